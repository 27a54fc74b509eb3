import { isMessageKey, type Lang } from '../i18n.ts';
import { api, ApiError } from './api.ts';
import type { Translate } from './lang.tsx';

/**
 * The fraud module's API as the analysts' screens use it (`/api/v1/fraud/*`): shared indicators, screening decisions,
 * the prevented-loss statistics and citizens' fraud cases. Answers go through the `normalize*` functions, so a field
 * the server renames is changed in one place.
 */

export const INDICATOR_KINDS = ['phone', 'iccid', 'imsi', 'imei', 'iban', 'card'] as const;
export type IndicatorKind = (typeof INDICATOR_KINDS)[number];
export const INDICATOR_SOURCES = ['police_case', 'bank', 'operator', 'citizen_report'] as const;
export type IndicatorSource = (typeof INDICATOR_SOURCES)[number];
export const INDICATOR_EFFECTS = ['block', 'warn'] as const;
export type IndicatorEffect = (typeof INDICATOR_EFFECTS)[number];

export interface Indicator {
  id: string;
  kind: string;
  hash: string;
  /** The identifier in the clear, or null when it was shared hashed (and always for a card). */
  value: string | null;
  source: string;
  sourceRef: string | null;
  confidence: number;
  effect: string;
  overridable: boolean;
  validFrom: string;
  validUntil: string | null;
  note: string | null;
  contributor: string;
  createdAt: string;
  updatedAt: string;
  revoked: boolean;
}

export interface IndicatorInput {
  kind: IndicatorKind;
  value: string;
  source: IndicatorSource;
  sourceRef?: string;
  confidence: number;
  effect: IndicatorEffect;
  overridable: boolean;
  validUntil?: string;
  note?: string;
}

/** One screening decision (a call at an operator's switch or a bank's transfer), as the decision log lists it. */
export interface Decision {
  id: string;
  kind: string;
  outcome: string;
  score: number | null;
  reasons: string[];
  latencyUs: number | null;
  degraded: boolean;
  policyVersion: string | null;
  partner: string | null;
  subject: Record<string, unknown>;
  amount: number | null;
  currency: string | null;
  decidedAt: string;
  /** The bank's or analyst's verdict: fraud or not; null until given. */
  confirmedFraud: boolean | null;
  outcomeAt: string | null;
  outcomeBy: string | null;
  outcomeNote: string | null;
}

export interface FraudStats {
  policyVersion: string;
  decisions: { kind: string; outcome: string; count: number; degraded: number; meanLatencyUs: number }[];
  feedback: { kind: string; truePositives: number; falsePositives: number; falseNegatives: number; trueNegatives: number; precision: number | null; recall: number | null }[];
  preventedLoss: { currency: string; amount: number }[];
  byDay: { day: string; partner: string; currency: string | null; preventedAmount: number; callsBlocked: number }[];
  /** Per region (KATO region code; null when the partner gave none), with its name in ru/kk/en. */
  byRegion: (Breakdown & { region: string | null; name: Record<Lang, string> | null })[];
  /** Per channel (the partner's API key channel: bank, telecom, …). */
  byChannel: (Breakdown & { channel: string | null })[];
  live: { indicators: number; degraded: boolean; recorderPending: number; recorderDropped: number };
}

/** What a region or channel prevented: confirmed-fraud sums held or blocked, transfers held and blocked, calls blocked. */
export interface Breakdown {
  prevented: { currency: string; amount: number }[];
  held: number;
  blocked: number;
  callsBlocked: number;
}

/** One version of an indicator in its history: what happened, who, when, why, and the fields that changed. */
export interface IndicatorHistoryEntry {
  change: string;
  actor: string;
  at: string;
  comment: string | null;
  changes: { field: string; from: unknown; to: unknown }[];
}

/** An edit of an indicator: only what changes. */
export interface IndicatorPatch {
  effect?: IndicatorEffect;
  confidence?: number;
  overridable?: boolean;
  validUntil?: string | null;
  note?: string | null;
  comment?: string;
}

export interface PolicyBand {
  ref: string;
  lower: number;
  upper: number | null;
}

export interface PolicyRule {
  id?: string;
  version: string;
  description: string;
  bands: PolicyBand[];
}

export interface PolicyTypology {
  id: string;
  version: string;
  name: string;
  rules: Record<string, Record<string, number>>;
  alert: number;
  interdiction: number;
}

export type CallSetting = 'allow' | 'label' | 'block';
export const CALL_SETTINGS: readonly CallSetting[] = ['allow', 'label', 'block'];

/** The decision policy as `GET /api/v1/fraud/policy` gives it and `PUT` takes it back. */
export interface PolicyDocument {
  transactions: {
    callWindowMin: number;
    largeAmount: number;
    newAccountDays: number;
    muleWindowMin: number;
    velocityWindowMin: number;
    minHistory: number;
    rules: Record<string, PolicyRule>;
    typologies: PolicyTypology[];
  };
  calls: {
    domesticCliOnInternational: CallSetting;
    shaken: { attestation: { A: CallSetting; B: CallSetting; C: CallSetting }; invalid: CallSetting; absent: CallSetting };
  };
}

export interface PolicyVersionInfo {
  version: number;
  comment: string;
  createdBy: string;
  createdAt: string;
}

export interface BacktestResult {
  id: string;
  /** The stored version tested; null for a draft. */
  policyVersion: string | null;
  draft: boolean;
  fileName: string | null;
  createdBy: string;
  createdAt: string;
  rows: number;
  frauds: number;
  flagged: number;
  truePositives: number;
  precision: number | null;
  recall: number | null;
  auc: number | null;
  outcomes: { allow: number; hold: number; block: number };
  typologies: { id: string; alerts: number; fraudAlerts: number }[];
}

export interface FraudCase {
  id: string;
  channel: string;
  reporter: string;
  description: string | null;
  amount: number | null;
  currency: string | null;
  occurredAt: string | null;
  status: string;
  statusComment: string | null;
  createdAt: string;
  identifiers: { kind: string; hash: string; value: string | null }[];
}

/** A case's statuses, in the order an analyst works it. */
export const CASE_STATUSES = ['open', 'investigating', 'closed'] as const;

// ---- normalisers ------------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);

export function normalizeIndicator(v: unknown): Indicator {
  const o = obj(v);
  return {
    id: String(o.id ?? ''),
    kind: str(o.kind) ?? 'unknown',
    hash: str(o.hash) ?? '',
    value: str(o.value),
    source: str(o.source) ?? 'unknown',
    sourceRef: str(o.sourceRef),
    confidence: num(o.confidence) ?? 0,
    effect: str(o.effect) ?? 'warn',
    overridable: o.overridable !== false,
    validFrom: str(o.validFrom) ?? '',
    validUntil: str(o.validUntil),
    note: str(o.note),
    contributor: str(o.contributor) ?? '',
    createdAt: str(o.createdAt) ?? '',
    updatedAt: str(o.updatedAt) ?? str(o.createdAt) ?? '',
    revoked: o.revoked === true,
  };
}

export function normalizeDecision(v: unknown): Decision {
  const o = obj(v);
  const fraud = bool(o.confirmedFraud) ?? bool(o.fraud) ?? bool(obj(o.confirmation).fraud);
  return {
    id: String(o.id ?? ''),
    kind: str(o.kind) ?? 'unknown',
    outcome: str(o.outcome) ?? 'unknown',
    score: num(o.score),
    reasons: arr(o.reasons).filter((r): r is string => typeof r === 'string'),
    latencyUs: num(o.latencyUs),
    degraded: o.degraded === true,
    policyVersion: str(o.policyVersion),
    partner: str(o.partner),
    subject: obj(o.subject),
    amount: num(o.amount),
    currency: str(o.currency),
    decidedAt: str(o.decidedAt) ?? str(o.at) ?? str(o.createdAt) ?? '',
    confirmedFraud: fraud,
    outcomeAt: str(o.outcomeAt) ?? str(obj(o.confirmation).at),
    outcomeBy: str(o.outcomeBy) ?? str(obj(o.confirmation).by),
    outcomeNote: str(o.outcomeNote) ?? str(obj(o.confirmation).note),
  };
}

export function normalizeStats(v: unknown): FraudStats {
  const o = obj(v);
  const live = obj(o.live);
  return {
    policyVersion: str(o.policyVersion) ?? '',
    decisions: arr(o.decisions).map((d) => {
      const x = obj(d);
      return { kind: str(x.kind) ?? '', outcome: str(x.outcome) ?? '', count: num(x.count) ?? 0, degraded: num(x.degraded) ?? 0, meanLatencyUs: num(x.meanLatencyUs) ?? 0 };
    }),
    feedback: arr(o.feedback).map((f) => {
      const x = obj(f);
      return {
        kind: str(x.kind) ?? '',
        truePositives: num(x.truePositives) ?? 0,
        falsePositives: num(x.falsePositives) ?? 0,
        falseNegatives: num(x.falseNegatives) ?? 0,
        trueNegatives: num(x.trueNegatives) ?? 0,
        precision: num(x.precision),
        recall: num(x.recall),
      };
    }),
    preventedLoss: arr(o.preventedLoss).map((p) => ({ currency: str(obj(p).currency) ?? 'KZT', amount: num(obj(p).amount) ?? 0 })),
    byDay: arr(o.byDay).map((d) => {
      const x = obj(d);
      return { day: str(x.day) ?? '', partner: str(x.partner) ?? '', currency: str(x.currency), preventedAmount: num(x.preventedAmount) ?? 0, callsBlocked: num(x.callsBlocked) ?? 0 };
    }),
    byRegion: arr(o.byRegion).map((r) => {
      const x = obj(r);
      const name = obj(x.name);
      return {
        ...breakdown(x),
        region: str(x.region),
        name: str(name.ru) ? { ru: str(name.ru) ?? '', kk: str(name.kk) ?? str(name.ru) ?? '', en: str(name.en) ?? str(name.ru) ?? '' } : null,
      };
    }),
    byChannel: arr(o.byChannel).map((c) => ({ ...breakdown(obj(c)), channel: str(obj(c).channel) })),
    live: {
      indicators: num(live.indicators) ?? 0,
      degraded: live.degraded === true,
      recorderPending: num(live.recorderPending) ?? 0,
      recorderDropped: num(live.recorderDropped) ?? 0,
    },
  };
}

function breakdown(x: Obj): Breakdown {
  return {
    prevented: arr(x.prevented).map((p) => ({ currency: str(obj(p).currency) ?? 'KZT', amount: num(obj(p).amount) ?? 0 })),
    held: num(x.held) ?? 0,
    blocked: num(x.blocked) ?? 0,
    callsBlocked: num(x.callsBlocked) ?? 0,
  };
}

/** The prevented sum of one currency in a breakdown row (0 when none). */
export function preventedIn(b: Breakdown, currency = 'KZT'): number {
  return b.prevented.find((p) => p.currency === currency)?.amount ?? 0;
}

export function normalizeHistoryEntry(v: unknown): IndicatorHistoryEntry {
  const o = obj(v);
  return {
    change: str(o.change) ?? 'edited',
    actor: str(o.actor) ?? '',
    at: str(o.at) ?? '',
    comment: str(o.comment),
    changes: arr(o.changes).map((c) => ({ field: str(obj(c).field) ?? '', from: obj(c).from ?? null, to: obj(c).to ?? null })),
  };
}

export function normalizeBacktest(v: unknown): BacktestResult {
  const o = obj(v);
  const out = obj(o.outcomes);
  return {
    id: str(o.id) ?? '',
    policyVersion: str(o.policyVersion),
    draft: o.draft === true,
    fileName: str(o.fileName),
    createdBy: str(o.createdBy) ?? '',
    createdAt: str(o.createdAt) ?? '',
    rows: num(o.rows) ?? 0,
    frauds: num(o.frauds) ?? 0,
    flagged: num(o.flagged) ?? 0,
    truePositives: num(o.truePositives) ?? 0,
    precision: num(o.precision),
    recall: num(o.recall),
    auc: num(o.auc),
    outcomes: { allow: num(out.allow) ?? 0, hold: num(out.hold) ?? 0, block: num(out.block) ?? 0 },
    typologies: arr(o.typologies).map((t) => ({ id: str(obj(t).id) ?? '', alerts: num(obj(t).alerts) ?? 0, fraudAlerts: num(obj(t).fraudAlerts) ?? 0 })),
  };
}

/**
 * Field errors of a refused policy keyed by the path after `body.` (`policy.transactions.typologies.0.alert`), and
 * those of the request itself (`comment`).
 */
export function problemFieldErrors(e: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(e instanceof ApiError)) return out;
  for (const err of e.problem?.errors ?? []) out[err.path.replace(/^body\.?/, '') || '_'] ??= err.message;
  return out;
}

/** A number typed by a person (`0,5` or `1 000`), or null when it is empty or not a number. */
export function parseNumberInput(raw: string): number | null {
  const v = raw.replace(/[\s\u00a0\u202f]/g, '').replace(',', '.');
  if (v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

export function normalizeCase(v: unknown): FraudCase {
  const o = obj(v);
  return {
    id: String(o.id ?? ''),
    channel: str(o.channel) ?? '',
    reporter: str(o.reporter) ?? '',
    description: str(o.description),
    amount: num(o.amount),
    currency: str(o.currency),
    occurredAt: str(o.occurredAt),
    status: str(o.status) ?? '',
    statusComment: str(o.statusComment),
    createdAt: str(o.createdAt) ?? '',
    identifiers: arr(o.identifiers).map((i) => ({ kind: str(obj(i).kind) ?? '', hash: str(obj(i).hash) ?? '', value: str(obj(i).value) })),
  };
}

// ---- the dashboard's figures ------------------------------------------------------------------------------------

/** One day of the chart: prevented sums (per currency) and calls blocked, all partners together. */
export interface DayTotal {
  day: string;
  prevented: number;
  callsBlocked: number;
}

/** Per day, oldest first, with the prevented sums of `currency` (other currencies are not added in). */
export function totalsByDay(rows: FraudStats['byDay'], currency = 'KZT'): DayTotal[] {
  const days = new Map<string, DayTotal>();
  for (const r of rows) {
    const d = days.get(r.day) ?? { day: r.day, prevented: 0, callsBlocked: 0 };
    if (r.currency === null || r.currency === currency) d.prevented += r.preventedAmount;
    d.callsBlocked += r.callsBlocked;
    days.set(r.day, d);
  }
  return [...days.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
}

/** Per partner (the channel: a bank's or an operator's key), most prevented first. */
export function totalsByPartner(rows: FraudStats['byDay'], currency = 'KZT'): { partner: string; prevented: number; callsBlocked: number }[] {
  const by = new Map<string, { partner: string; prevented: number; callsBlocked: number }>();
  for (const r of rows) {
    const p = by.get(r.partner) ?? { partner: r.partner, prevented: 0, callsBlocked: 0 };
    if (r.currency === null || r.currency === currency) p.prevented += r.preventedAmount;
    p.callsBlocked += r.callsBlocked;
    by.set(r.partner, p);
  }
  return [...by.values()].sort((a, b) => b.prevented - a.prevented || b.callsBlocked - a.callsBlocked || a.partner.localeCompare(b.partner));
}

/** Decisions of a kind by outcome: `{ allow: 3, block: 1 }`. */
export function outcomeCounts(stats: FraudStats, kind: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of stats.decisions) if (d.kind === kind) out[d.outcome] = (out[d.outcome] ?? 0) + d.count;
  return out;
}

// ---- texts ------------------------------------------------------------------------------------------------------

const locales: Record<Lang, string> = { ru: 'ru-RU', kk: 'ru-RU', en: 'en-GB' };

export function formatNumber(v: number, lang: Lang, digits = 0): string {
  return new Intl.NumberFormat(locales[lang], { maximumFractionDigits: digits }).format(v);
}

/** «1 250 000 ₸» for tenge, «1 250 USD» for another currency. */
export function formatMoney(v: number, currency: string | null, lang: Lang): string {
  return !currency || currency === 'KZT' ? `${formatNumber(v, lang)} ₸` : `${formatNumber(v, lang, 2)} ${currency}`;
}

/** «87 %» or «—» when there is nothing to divide. */
export function formatShare(v: number | null, lang: Lang): string {
  return v == null ? '—' : `${formatNumber(v * 100, lang, 1)} %`;
}

/** A label for a code the server sends (`fkind.phone`, …), or the code itself when the catalogue lacks it. */
export function codeText(t: Translate, prefix: string, code: string): string {
  const key = `${prefix}.${code}`;
  return isMessageKey(key) ? t(key) : code;
}

/**
 * A reason code in words: `caller_listed_block` → «номер звонящего в списке блокировки»; the parametrised ones
 * (`typology_T-CALL_alert`, `shaken_invalid_stale`) name their typology or check. Unknown codes show as the code.
 */
export function reasonText(t: Translate, code: string): string {
  const typology = /^typology_(.+)_(alert|interdiction)$/.exec(code);
  if (typology) {
    const name = codeText(t, 'ftypology', typology[1]);
    return t(typology[2] === 'alert' ? 'freason.typologyAlert' : 'freason.typologyInterdiction', { typology: name });
  }
  const shaken = /^shaken_invalid_(.+)$/.exec(code);
  if (shaken) return t('freason.shakenInvalid', { reason: codeText(t, 'fshaken', shaken[1]) });
  return codeText(t, 'freason', code);
}

/** The numbers or accounts a decision was about, as the server recorded them (accounts as hashes), in one line. */
export function subjectText(d: Decision): string {
  const s = d.subject;
  const pick = (k: string) => (typeof s[k] === 'string' ? (s[k] as string) : null);
  if (d.kind === 'call') return [pick('caller'), pick('called')].filter(Boolean).join(' → ');
  const short = (v: string | null) => (v && /^[0-9a-f]{64}$/.test(v) ? `${v.slice(0, 10)}…` : v);
  const tx = pick('transactionId') ?? pick('id');
  const parts = [short(pick('payerHash') ?? pick('payer') ?? pick('payerAccount')), short(pick('payeeHash') ?? pick('payee') ?? pick('payeeAccount'))].filter(Boolean).join(' → ');
  return [tx, parts].filter(Boolean).join(' · ');
}

/** `+77051112233` from what a person types (`8 705 111 22 33`); anything else as typed (the server checks it). */
export function normalizeIdentifier(kind: IndicatorKind, raw: string): string {
  const v = raw.trim();
  if (kind === 'phone') {
    const digits = v.replace(/[\s()\-.]/g, '');
    if (/^\+7\d{10}$/.test(digits)) return digits;
    if (/^[87]\d{10}$/.test(digits)) return `+7${digits.slice(1)}`;
  }
  return v;
}

/** Field errors of a refused indicator, keyed by the field after `body.` (`value`, `confidence`, …). */
export function indicatorFieldErrors(e: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(e instanceof ApiError)) return out;
  for (const err of e.problem?.errors ?? []) {
    const field = err.path.replace(/^body[./]?/, '').split(/[./[]/)[0] || '_';
    out[field] ??= err.message;
  }
  return out;
}

// ---- API --------------------------------------------------------------------------------------------------------

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const enc = encodeURIComponent;

export interface IndicatorQuery {
  kind?: IndicatorKind | '';
  value?: string;
  includeRevoked?: boolean;
  cursor?: string | null;
}

export interface DecisionQuery {
  kind?: 'call' | 'transaction' | '';
  /** A phone number, an IBAN or a transaction id: the server tells which. */
  search?: string;
  outcome?: string;
  /** Everything not allowed. */
  flagged?: boolean;
  cursor?: string | null;
}

export const fraudApi = {
  async indicators(q: IndicatorQuery, signal?: AbortSignal): Promise<{ items: Indicator[]; nextCursor: string | null }> {
    const p = new URLSearchParams({ limit: '100' });
    if (q.kind) p.set('kind', q.kind);
    if (q.kind && q.value?.trim()) p.set('value', normalizeIdentifier(q.kind, q.value));
    if (q.includeRevoked) p.set('includeRevoked', 'true');
    if (q.cursor) p.set('cursor', q.cursor);
    const page = await api<Page<unknown>>(`/api/v1/fraud/indicators?${p}`, { signal });
    return { items: page.items.map(normalizeIndicator), nextCursor: page.nextCursor ?? null };
  },
  async addIndicator(input: IndicatorInput): Promise<Indicator> {
    return normalizeIndicator(await api<unknown>('/api/v1/fraud/indicators', { method: 'POST', body: input }));
  },
  async revokeIndicator(id: string): Promise<Indicator> {
    return normalizeIndicator(await api<unknown>(`/api/v1/fraud/indicators/${enc(id)}`, { method: 'DELETE' }));
  },
  /**
   * The decision log, newest first. Null when the server has no such route (`GET /api/v1/fraud/decisions` is not
   * in the fraud module yet): the screen says so instead of failing.
   */
  async decisions(q: DecisionQuery, signal?: AbortSignal): Promise<{ items: Decision[]; nextCursor: string | null } | null> {
    const p = new URLSearchParams({ limit: '100' });
    if (q.kind) p.set('kind', q.kind);
    if (q.search?.trim()) p.set('search', q.search.trim());
    if (q.outcome) p.set('outcome', q.outcome);
    if (q.flagged) p.set('flagged', 'true');
    if (q.cursor) p.set('cursor', q.cursor);
    try {
      const page = await api<Page<unknown>>(`/api/v1/fraud/decisions?${p}`, { signal });
      return { items: arr(page.items).map(normalizeDecision), nextCursor: page.nextCursor ?? null };
    } catch (e) {
      if (e instanceof ApiError && e.status === 404 && !e.problem?.code?.startsWith('fraud.')) return null;
      throw e;
    }
  },
  recordOutcome(id: string, fraud: boolean, note?: string): Promise<{ id: string; kind: string; outcome: string; fraud: boolean; at: string }> {
    return api(`/api/v1/fraud/decisions/${enc(id)}/outcome`, { method: 'POST', body: { fraud, ...(note ? { note } : {}) } });
  },
  async stats(q: { from?: string; to?: string }, signal?: AbortSignal): Promise<FraudStats> {
    const p = new URLSearchParams();
    if (q.from) p.set('from', q.from);
    if (q.to) p.set('to', q.to);
    const qs = p.toString();
    return normalizeStats(await api<unknown>(`/api/v1/fraud/stats${qs ? `?${qs}` : ''}`, { signal }));
  },
  async editIndicator(id: string, patch: IndicatorPatch): Promise<Indicator> {
    return normalizeIndicator(await api<unknown>(`/api/v1/fraud/indicators/${enc(id)}`, { method: 'PATCH', body: patch }));
  },
  async indicatorHistory(id: string, signal?: AbortSignal): Promise<IndicatorHistoryEntry[]> {
    return arr((await api<{ history: unknown[] }>(`/api/v1/fraud/indicators/${enc(id)}/history`, { signal })).history).map(normalizeHistoryEntry);
  },
  async policy(signal?: AbortSignal): Promise<PolicyVersionInfo & { policy: PolicyDocument; ruleIds: string[] }> {
    return api(`/api/v1/fraud/policy`, { signal });
  },
  savePolicy(policy: PolicyDocument, comment: string, basedOn: number): Promise<PolicyVersionInfo> {
    return api('/api/v1/fraud/policy', { method: 'PUT', body: { policy, comment, basedOn } });
  },
  async policyVersions(signal?: AbortSignal): Promise<{ current: number; items: PolicyVersionInfo[] }> {
    return api('/api/v1/fraud/policy/versions?limit=100', { signal });
  },
  /** Runs a backtest through the version in force, or `version`; the result is kept. */
  async backtest(csv: string, o: { version?: number; fileName?: string } = {}): Promise<BacktestResult> {
    const p = new URLSearchParams();
    if (o.version !== undefined) p.set('version', String(o.version));
    if (o.fileName) p.set('fileName', o.fileName.slice(0, 200));
    const q = p.toString();
    return normalizeBacktest(await api<unknown>(`/api/v1/fraud/backtests${q ? `?${q}` : ''}`, { method: 'POST', body: csv, contentType: 'text/csv' }));
  },
  /** Runs a backtest through a draft policy that is not saved (nor applied). */
  async backtestDraft(csv: string, policy: PolicyDocument, fileName?: string): Promise<BacktestResult> {
    return normalizeBacktest(await api<unknown>('/api/v1/fraud/backtests/draft', { method: 'POST', body: { csv, policy, ...(fileName ? { fileName: fileName.slice(0, 200) } : {}) } }));
  },
  async backtests(signal?: AbortSignal): Promise<BacktestResult[]> {
    return arr((await api<{ items: unknown[] }>('/api/v1/fraud/backtests?limit=50', { signal })).items).map(normalizeBacktest);
  },
  async cases(signal?: AbortSignal): Promise<FraudCase[]> {
    return arr((await api<{ items: unknown[] }>('/api/v1/fraud/cases?limit=200', { signal })).items).map(normalizeCase);
  },
  /** People over the SIM limit across all operators, most SIMs first (the read is audited: IINs are personal data). */
  async simLimits(signal?: AbortSignal): Promise<{ limit: number; items: { iin: string; active: number; flaggedAt: string }[] }> {
    return api('/api/v1/fraud/sim-limits', { signal });
  },
  setCaseStatus(id: string, status: string, comment?: string): Promise<{ id: string; status: string; statusComment: string | null; statusAt: string }> {
    return api(`/api/v1/fraud/cases/${enc(id)}`, { method: 'PATCH', body: { status, ...(comment ? { comment } : {}) } });
  },
};

/** Live events of the fraud module (SSE names them exactly). */
export const FRAUD_SUBJECTS: readonly string[] = ['fraud.indicators.changed', 'fraud.decision.confirmed', 'fraud.case.opened', 'fraud.policy.changed'];

/** Where the policy screen leaves a draft for the backtest screen (this tab only). */
const DRAFT_KEY = 'tartip.fraud.policyDraft';

export function keepPolicyDraft(policy: PolicyDocument, basedOn: number): void {
  sessionStorage.setItem(DRAFT_KEY, JSON.stringify({ policy, basedOn }));
}

export function clearPolicyDraft(): void {
  sessionStorage.removeItem(DRAFT_KEY);
}

export function policyDraft(): { policy: PolicyDocument; basedOn: number } | null {
  try {
    const v = JSON.parse(sessionStorage.getItem(DRAFT_KEY) ?? 'null') as { policy?: PolicyDocument; basedOn?: number } | null;
    return v?.policy && typeof v.basedOn === 'number' ? { policy: v.policy, basedOn: v.basedOn } : null;
  } catch {
    return null;
  }
}
