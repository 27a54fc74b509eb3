import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { pacs008 } from '../testing/iso20022.ts';
import { parsePacs008, renderPacs002 } from './iso20022.ts';

describe('ISO 20022 pacs.008 in', () => {
  it('reads the group header and each credit transfer', () => {
    const r = parsePacs008(pacs008());
    expect(r).toEqual({
      ok: true,
      value: {
        msgId: 'MSG-1',
        createdAt: '2026-11-24T10:00:00.000Z',
        messageName: 'pacs.008.001.10',
        txs: [
          {
            endToEndId: 'E2E-1',
            amount: 25000,
            currency: 'KZT',
            debtorIban: 'KZ86125KZT5004100100',
            debtorPhone: '+77011234567',
            debtorRegion: null,
            creditorIban: 'KZ75125KZT2069100100',
            creditorPhone: null,
          },
        ],
      },
    });
  });

  it('reads the debtor’s region (a KATO code) from its postal address', () => {
    const r = parsePacs008(pacs008({ region: '751110000' }));
    expect(r.ok && r.value.txs[0].debtorRegion).toBe('751110000');
  });

  it('malformed XML is refused with the parser’s reason', () => {
    const r = parsePacs008('<Document><FIToFICstmrCdtTrf></Document>');
    expect(r.ok).toBe(false);
    expect('malformed' in r && r.malformed).toMatch(/line 1/);
    expect(parsePacs008('')).toEqual({ ok: false, malformed: 'empty body' });
    expect(parsePacs008('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')).toMatchObject({ ok: false, malformed: expect.stringMatching(/document type/) });
  });

  it('decodes XML’s references in values (A&amp;B is A&B) and refuses undefined entities and bare ampersands', () => {
    const r = parsePacs008(pacs008({ msgId: 'A&amp;B&#x2F;&#1040;&lt;1&gt;', e2e: 'E&apos;2E' }));
    expect(r.ok && [r.value.msgId, r.value.txs[0].endToEndId]).toEqual(['A&B/А<1>', "E'2E"]);
    expect(parsePacs008(pacs008({ msgId: 'A&nbsp;B' }))).toMatchObject({ ok: false, malformed: expect.stringMatching(/undefined entity or bare '&' \(line 5\)/) });
    expect(parsePacs008(pacs008({ msgId: 'A & B' })).ok).toBe(false);
  });

  it('identifiers longer than Max35Text, a creation time that is not one, and repeated elements are named', () => {
    const base = 'body.Document.FIToFICstmrCdtTrf';
    expect(parsePacs008(pacs008({ e2e: 'E'.repeat(36) }))).toEqual({ ok: false, errors: [{ path: `${base}.CdtTrfTxInf.0.PmtId.EndToEndId`, code: 'too_big', params: { maximum: 35 } }] });
    expect(parsePacs008(pacs008({ e2e: 'E'.repeat(35) })).ok).toBe(true);
    expect(parsePacs008(pacs008({ msgId: 'M'.repeat(36) }))).toMatchObject({ ok: false, errors: [{ path: `${base}.GrpHdr.MsgId`, code: 'too_big' }] });
    const at = (when: string) => parsePacs008(pacs008().replace('2026-11-24T10:00:00.000Z', when));
    expect(at('5')).toEqual({ ok: false, errors: [{ path: `${base}.GrpHdr.CreDtTm`, code: 'invalid_format', params: { format: 'date-time' } }] });
    expect(at('2026-11-24').ok).toBe(false);
    expect(at('2026-11-24T10:00:00').ok).toBe(true);
    expect(at('2026-11-24T10:00:00+05:00').ok).toBe(true);
    const twice = pacs008().replace('<EndToEndId>E2E-1</EndToEndId>', '<EndToEndId>E2E-1</EndToEndId><EndToEndId>E2E-2</EndToEndId>');
    expect(parsePacs008(twice)).toEqual({ ok: false, errors: [{ path: `${base}.CdtTrfTxInf.0.PmtId.EndToEndId`, code: 'fraud.repeated_element' }] });
  });

  it('the same end-to-end id twice in one message is refused, naming the first', () => {
    const one = pacs008({ nb: '2' });
    const tx = one.slice(one.indexOf('<CdtTrfTxInf>'), one.indexOf('</CdtTrfTxInf>') + '</CdtTrfTxInf>'.length);
    const two = one.replace(tx, `${tx}${tx}`);
    expect(parsePacs008(two)).toEqual({
      ok: false,
      errors: [{ path: 'body.Document.FIToFICstmrCdtTrf.CdtTrfTxInf.1.PmtId.EndToEndId', code: 'fraud.repeated_in_message', params: { index: 0 } }],
    });
    expect(parsePacs008(two.replace(tx, tx.replace('E2E-1', 'E2E-2'))).ok).toBe(true);
  });

  it('missing mandatory elements are named', () => {
    const base = 'body.Document.FIToFICstmrCdtTrf';
    expect(parsePacs008(pacs008({ omit: 'MsgId' }))).toEqual({ ok: false, errors: [{ path: `${base}.GrpHdr.MsgId`, code: 'required' }] });
    expect(parsePacs008(pacs008({ omit: 'EndToEndId' }))).toEqual({ ok: false, errors: [{ path: `${base}.CdtTrfTxInf.0.PmtId.EndToEndId`, code: 'required' }] });
    expect(parsePacs008(pacs008({ omit: 'IntrBkSttlmAmt' }))).toEqual({ ok: false, errors: [{ path: `${base}.CdtTrfTxInf.0.IntrBkSttlmAmt`, code: 'required' }] });
    expect(parsePacs008(pacs008({ omit: 'DbtrAcct' }))).toEqual({ ok: false, errors: [{ path: `${base}.CdtTrfTxInf.0.DbtrAcct.Id.IBAN`, code: 'required' }] });
    expect(parsePacs008(pacs008({ amount: '-5' }))).toEqual({ ok: false, errors: [{ path: `${base}.CdtTrfTxInf.0.IntrBkSttlmAmt`, code: 'invalid_value' }] });
    expect(parsePacs008(pacs008({ ccy: 'kz' }))).toEqual({ ok: false, errors: [{ path: `${base}.CdtTrfTxInf.0.IntrBkSttlmAmt.@Ccy`, code: 'required' }] });
    expect(parsePacs008(pacs008({ nb: '2' }))).toEqual({ ok: false, errors: [{ path: `${base}.GrpHdr.NbOfTxs`, code: 'fraud.count_mismatch', params: { count: 1 } }] });
    expect(parsePacs008('<Document><Other/></Document>')).toEqual({ ok: false, errors: [{ path: base, code: 'required' }] });
  });
});

describe('pacs.002 out', () => {
  it('answers each transaction with ACCP, PDNG or RJCT, the decision id and the reasons', () => {
    const original = { msgId: 'M&S-1', createdAt: '2026-11-24T10:00:00.000Z', messageName: 'pacs.008.001.08', txs: [] };
    const xml = renderPacs002({
      msgId: 'ANS-1',
      createdAt: '2026-11-24T10:00:01.000Z',
      original,
      lines: [
        { endToEndId: 'E1', decisionId: 'd1', outcome: 'allow', score: 0, reasons: [] },
        { endToEndId: 'E2', decisionId: 'd2', outcome: 'hold', score: 500, reasons: ['typology_T-CALL_alert'] },
        { endToEndId: 'E3', decisionId: 'd3', outcome: 'block', score: 0, reasons: ['payee_listed_block'] },
      ],
    });
    const doc = new XMLParser({ ignoreAttributes: false, isArray: (n) => n === 'TxInfAndSts' || n === 'AddtlInf' }).parse(xml);
    expect(doc.Document['@_xmlns']).toBe('urn:iso:std:iso:20022:tech:xsd:pacs.002.001.12');
    const sts = doc.Document.FIToFIPmtSts;
    // The original's id as the bank sent it (escaped once in the XML, A&amp;B — not A&amp;amp;B), and its version.
    expect(xml).toContain('<OrgnlMsgId>M&amp;S-1</OrgnlMsgId>');
    expect(sts.OrgnlGrpInfAndSts.OrgnlMsgNmId).toBe('pacs.008.001.08');
    expect(sts.TxInfAndSts.map((t: { TxSts: string }) => t.TxSts)).toEqual(['ACCP', 'PDNG', 'RJCT']);
    expect(sts.TxInfAndSts[0].StsRsnInf).toBeUndefined();
    expect(sts.TxInfAndSts[1]).toMatchObject({ StsId: 'd2', OrgnlEndToEndId: 'E2', StsRsnInf: { Rsn: { Cd: 'FRAD' }, AddtlInf: ['score=500', 'typology_T-CALL_alert'] } });
  });
});
