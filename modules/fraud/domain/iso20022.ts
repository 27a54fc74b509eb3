import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import type { FieldError } from '../../../packages/kernel/src/errors.ts';
import type { TxOutcome } from './typologies.ts';

/**
 * The subset of ISO 20022 the bank-facing screening speaks: an FI-to-FI customer credit transfer (pacs.008.001.x)
 * in, a payment status report (pacs.002.001.x) out. Element names as in the schema; namespaces are ignored, so
 * any pacs.008 version with these elements is read.
 */
export interface Pacs008Tx {
  endToEndId: string;
  amount: number;
  currency: string;
  debtorIban: string;
  debtorPhone: string | null;
  /** `Dbtr.PstlAdr.CtrySubDvsn`: the debtor's region as a KATO code (9 digits), if the bank sends it. */
  debtorRegion: string | null;
  creditorIban: string;
  creditorPhone: string | null;
}

export interface Pacs008 {
  msgId: string;
  createdAt: string;
  /** The message's name and version from its namespace (`pacs.008.001.08`), echoed in the status report. */
  messageName: string;
  txs: Pacs008Tx[];
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; malformed: string } | { ok: false; errors: FieldError[] };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  trimValues: true,
  isArray: (name) => name === 'CdtTrfTxInf',
});

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * XML's five predefined entities and character references, decoded here (the parser's own entity handling is off:
 * with document type declarations refused, nothing else can be defined). `A&amp;B` is `A&B`, as the bank meant it.
 */
const REFERENCE = /&(?:(lt|gt|amp|apos|quot)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));/g;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };
const decode = (s: string): string =>
  s.includes('&')
    ? s.replace(REFERENCE, (_, name: string | undefined, dec: string | undefined, hex: string | undefined) => {
        if (name) return PREDEFINED[name];
        const cp = dec ? Number(dec) : Number.parseInt(hex as string, 16);
        return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : '\ufffd';
      })
    : s;
/** An `&` that does not start one of those references (an undefined entity, or a bare ampersand). */
const STRAY_AMPERSAND = /&(?!(?:lt|gt|amp|apos|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});)/;

const text = (v: unknown): string | null => {
  if (typeof v === 'string') return decode(v).trim() || null;
  if (isNode(v) && typeof v['#text'] === 'string') return decode(v['#text']).trim() || null;
  return null;
};
const at = (n: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (isNode(v) ? v[k] : undefined), n);

/** ISO 20022 phone numbers are `+<country>-<number>` (e.g. `+7-7011234567`). */
const phoneOf = (v: unknown): string | null => {
  const s = text(v);
  return s ? s.replace('-', '') : null;
};

/** ISO 20022's ISODateTime: a date and a time, with or without a zone. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$/;

export function parsePacs008(xml: string): Parsed<Pacs008> {
  if (xml.trim() === '') return { ok: false, malformed: 'empty body' };
  if (/<!DOCTYPE/i.test(xml)) return { ok: false, malformed: 'document type declarations are not accepted' };
  const valid = XMLValidator.validate(xml);
  if (valid !== true) return { ok: false, malformed: `${valid.err.msg} (line ${valid.err.line})` };
  const stray = STRAY_AMPERSAND.exec(xml);
  if (stray) return { ok: false, malformed: `undefined entity or bare '&' (line ${xml.slice(0, stray.index).split('\n').length})` };
  const doc = parser.parse(xml) as Node;
  const root = at(doc, 'Document', 'FIToFICstmrCdtTrf');
  const base = 'body.Document.FIToFICstmrCdtTrf';
  if (!isNode(root)) return { ok: false, errors: [{ path: base, code: 'required' }] };
  const errors: FieldError[] = [];
  const need = (v: unknown, path: string, maxLength = 140): string => {
    if (Array.isArray(v)) {
      errors.push({ path, code: 'fraud.repeated_element' });
      return '';
    }
    const s = text(v);
    if (s === null) errors.push({ path, code: 'required' });
    else if (s.length > maxLength) errors.push({ path, code: 'too_big', params: { maximum: maxLength } });
    return s ?? '';
  };
  // Identifiers are ISO 20022's Max35Text.
  const msgId = need(at(root, 'GrpHdr', 'MsgId'), `${base}.GrpHdr.MsgId`, 35);
  const createdAt = need(at(root, 'GrpHdr', 'CreDtTm'), `${base}.GrpHdr.CreDtTm`);
  if (createdAt && (!ISO_DATE_TIME.test(createdAt) || Number.isNaN(Date.parse(createdAt)))) {
    errors.push({ path: `${base}.GrpHdr.CreDtTm`, code: 'invalid_format', params: { format: 'date-time' } });
  }
  const nb = need(at(root, 'GrpHdr', 'NbOfTxs'), `${base}.GrpHdr.NbOfTxs`);
  const list = (root.CdtTrfTxInf as unknown[] | undefined) ?? [];
  if (list.length === 0) errors.push({ path: `${base}.CdtTrfTxInf`, code: 'required' });
  else if (nb && nb !== String(list.length)) errors.push({ path: `${base}.GrpHdr.NbOfTxs`, code: 'fraud.count_mismatch', params: { count: list.length } });
  if (list.length > 100) errors.push({ path: `${base}.CdtTrfTxInf`, code: 'too_big', params: { maximum: '100' } });
  const seen = new Map<string, number>();
  const txs: Pacs008Tx[] = list.slice(0, 100).map((tx, i) => {
    const p = `${base}.CdtTrfTxInf.${i}`;
    const amountNode = at(tx, 'IntrBkSttlmAmt');
    const amountText = need(amountNode, `${p}.IntrBkSttlmAmt`);
    const amount = Number(amountText);
    if (amountText && (!/^\d{1,18}(\.\d{1,5})?$/.test(amountText) || !(amount > 0))) errors.push({ path: `${p}.IntrBkSttlmAmt`, code: 'invalid_value' });
    const currency = isNode(amountNode) && typeof amountNode['@_Ccy'] === 'string' ? amountNode['@_Ccy'] : '';
    if (amountText && !/^[A-Z]{3}$/.test(currency)) errors.push({ path: `${p}.IntrBkSttlmAmt.@Ccy`, code: 'required' });
    const endToEndId = need(at(tx, 'PmtId', 'EndToEndId'), `${p}.PmtId.EndToEndId`, 35);
    // Each transfer of a message is its own: the same end-to-end id twice is a mistake, not two transfers.
    const first = seen.get(endToEndId);
    if (endToEndId && first !== undefined) errors.push({ path: `${p}.PmtId.EndToEndId`, code: 'fraud.repeated_in_message', params: { index: first } });
    else seen.set(endToEndId, i);
    return {
      endToEndId,
      amount,
      currency,
      debtorIban: need(at(tx, 'DbtrAcct', 'Id', 'IBAN'), `${p}.DbtrAcct.Id.IBAN`),
      debtorPhone: phoneOf(at(tx, 'Dbtr', 'CtctDtls', 'MobNb')),
      debtorRegion: text(at(tx, 'Dbtr', 'PstlAdr', 'CtrySubDvsn')),
      creditorIban: need(at(tx, 'CdtrAcct', 'Id', 'IBAN'), `${p}.CdtrAcct.Id.IBAN`),
      creditorPhone: phoneOf(at(tx, 'Cdtr', 'CtctDtls', 'MobNb')),
    };
  });
  if (errors.length > 0) return { ok: false, errors };
  const ns = at(doc, 'Document', '@_xmlns');
  const messageName = (typeof ns === 'string' && /(pacs\.008\.\d{3}\.\d{2})$/.exec(ns)?.[1]) || 'pacs.008.001.10';
  return { ok: true, value: { msgId, createdAt, messageName, txs } };
}

/** pacs.002 transaction status: ACCP (accepted), PDNG (pending: held for review), RJCT (rejected). */
export const TX_STATUS: Record<TxOutcome, string> = { allow: 'ACCP', hold: 'PDNG', block: 'RJCT' };

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: true, suppressEmptyNode: true });

export interface StatusLine {
  endToEndId: string;
  decisionId: string;
  outcome: TxOutcome;
  score: number;
  reasons: string[];
}

export function renderPacs002(input: { msgId: string; createdAt: string; original: Pacs008; lines: StatusLine[] }): string {
  const doc = {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    Document: {
      '@_xmlns': 'urn:iso:std:iso:20022:tech:xsd:pacs.002.001.12',
      FIToFIPmtSts: {
        GrpHdr: { MsgId: input.msgId, CreDtTm: input.createdAt },
        OrgnlGrpInfAndSts: { OrgnlMsgId: input.original.msgId, OrgnlMsgNmId: input.original.messageName, OrgnlCreDtTm: input.original.createdAt },
        TxInfAndSts: input.lines.map((l) => ({
          StsId: l.decisionId,
          OrgnlEndToEndId: l.endToEndId,
          TxSts: TX_STATUS[l.outcome],
          StsRsnInf:
            l.outcome === 'allow'
              ? undefined
              : { Rsn: { Cd: 'FRAD' }, AddtlInf: [`score=${l.score}`, ...l.reasons].map((r) => r.slice(0, 105)) },
        })),
      },
    },
  };
  return builder.build(doc) as string;
}
