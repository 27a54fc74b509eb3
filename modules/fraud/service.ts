import { createHmac } from 'node:crypto';
import type { CommandContext, UnitOfWork } from '../../packages/kernel/src/outbox.ts';
import { type FieldError, Problem } from '../../packages/kernel/src/errors.ts';
import { newId } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { CITIZEN_POLICY, type SimBoxPolicy } from './config/policy.ts';
import { HASH_PATTERN, type IdentifierKind, normalise } from './domain/identifiers.ts';
import type { Effect, IndicatorSource } from './domain/indicator-set.ts';
import type { SimBoxFinding } from './domain/simbox.ts';
import type { BacktestResult } from './domain/backtest.ts';
import { canonicalState, changesBetween, type FieldChange } from './domain/indicator-history.ts';
import { type Policy, parsePolicy } from './domain/policy-check.ts';
import { CASE_OPENED, DECISION_CONFIRMED, INDICATORS_CHANGED, POLICY_CHANGED, ROAMING_CHANGED, SIM_LIMIT_CHANGED } from './events.ts';
import { type FraudRuntime, type IndicatorRow, stateOf } from './runtime.ts';

/** An indicator as submitted (JSON body or one NDJSON line), after the schema. */
export interface IndicatorInput {
  kind: IdentifierKind;
  value?: string;
  hash?: string;
  source: IndicatorSource;
  sourceRef?: string;
  confidence: number;
  validFrom?: string;
  validUntil?: string;
  effect: Effect;
  overridable: boolean;
  note?: string;
}

/** Ready to store: the hash computed (or given), the clear value kept only when given and not a card. */
export interface CheckedIndicator {
  kind: IdentifierKind;
  hash: string;
  value: string | null;
  source: IndicatorSource;
  sourceRef: string | null;
  confidence: number;
  validFrom: string;
  validUntil: string | null;
  effect: Effect;
  overridable: boolean;
  note: string | null;
}

/** Checks what the schema cannot (one of value/hash, check digits, validity order); errors name `prefix.<field>`. */
/**
 * The sources a partner may give its own contributions: a bank's are the bank's, an operator's the operator's. A police
 * case is entered by fraud staff (the police themselves), citizens' reports only by the module; a partner's key
 * cannot label what it sends as either. Staff: any source (null).
 */
export function sourcesFor(principal: { kind: string; channel?: string } | null): readonly IndicatorSource[] | null {
  if (principal?.kind !== 'partner') return null;
  if (principal.channel === 'bank') return ['bank'];
  if (principal.channel === 'telecom') return ['operator'];
  return [];
}

export function checkIndicator(
  rt: FraudRuntime,
  input: IndicatorInput,
  prefix: string,
  now: Date,
  sources: readonly IndicatorSource[] | null = null,
): { ok: true; value: CheckedIndicator } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (sources && !sources.includes(input.source)) errors.push({ path: `${prefix}.source`, code: 'fraud.source_not_yours', params: { sources: sources.join(', ') || '—' } });
  let hash = '';
  let value: string | null = null;
  if ((input.value === undefined) === (input.hash === undefined)) errors.push({ path: `${prefix}.value`, code: 'fraud.value_or_hash' });
  else if (input.value !== undefined) {
    const n = normalise(input.kind, input.value);
    if (!n.ok) errors.push({ path: `${prefix}.value`, code: n.code });
    else {
      hash = rt.hash(input.kind, n.value);
      value = input.kind === 'card' ? null : n.value;
    }
  } else if (input.hash !== undefined) {
    if (!HASH_PATTERN.test(input.hash)) errors.push({ path: `${prefix}.hash`, code: 'invalid_format', params: { format: 'hex-sha256' } });
    hash = input.hash;
  }
  const validFrom = input.validFrom ?? now.toISOString();
  if (input.validUntil !== undefined && Date.parse(input.validUntil) <= Date.parse(validFrom)) errors.push({ path: `${prefix}.validUntil`, code: 'invalid_value' });
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      kind: input.kind,
      hash,
      value,
      source: input.source,
      sourceRef: input.sourceRef ?? null,
      confidence: input.confidence,
      validFrom: new Date(validFrom).toISOString(),
      validUntil: input.validUntil ? new Date(input.validUntil).toISOString() : null,
      effect: input.effect,
      overridable: input.overridable,
      note: input.note ?? null,
    },
  };
}

/**
 * The indicators a SIM-box finding becomes: the SIM (IMSI, ICCID, and its number when the records gave it) and the
 * device (IMEI), `warn`, from the operator. The number is what call screening sees of the SIM on every call; the IMSI
 * and IMEI, when the switch sends them.
 */
export function simboxIndicators(rt: FraudRuntime, f: SimBoxFinding, now: Date, policy: SimBoxPolicy): CheckedIndicator[] {
  const base = {
    source: 'operator' as const,
    sourceRef: null,
    confidence: f.newSim ? policy.confidence.newSim : policy.confidence.other,
    validFrom: now.toISOString(),
    validUntil: new Date(now.getTime() + policy.validDays * 86_400_000).toISOString(),
    effect: 'warn' as const,
    overridable: true,
    note: `SIM-box pattern: ${f.outgoing} outgoing, ${f.incoming} incoming, ${f.cells} cell(s), mean ${f.meanDurationS} s${f.newSim ? ', new SIM' : ''}`,
  };
  const ids: [IdentifierKind, string][] = [
    ['imsi', f.imsi],
    ...(f.msisdn ? [['phone', f.msisdn] as [IdentifierKind, string]] : []),
    ...(f.iccid ? [['iccid', f.iccid] as [IdentifierKind, string]] : []),
    ...f.imeis.map((i) => ['imei', i] as [IdentifierKind, string]),
  ];
  return ids.map(([kind, value]) => ({ ...base, kind, value, hash: rt.hash(kind, value) }));
}

export interface StoredIndicator extends IndicatorRow {
  value: string | null;
  source_ref: string | null;
  note: string | null;
  contributor: string;
  created_at: Date;
  /** Set by an upsert: true when the row was new. */
  inserted?: boolean;
}

/** An indicator's state as its history keeps it (everything but the identifier's hash and kind, which never change). */
function historyState(r: StoredIndicator) {
  return {
    kind: r.kind,
    hash: r.value_hash,
    value: r.value,
    source: r.source,
    sourceRef: r.source_ref,
    confidence: Number(r.confidence),
    effect: r.effect,
    overridable: r.overridable,
    validFrom: r.valid_from.toISOString(),
    validUntil: r.valid_until?.toISOString() ?? null,
    note: r.note,
    contributor: r.contributor,
    revoked: r.revoked_at !== null,
  };
}

type Change = 'added' | 'replaced' | 'edited' | 'revoked';

/** Appends one history row per indicator, in the command's transaction (one statement). */
async function writeHistory(uow: UnitOfWork, actor: string, rows: readonly { row: StoredIndicator; change: Change; comment?: string | null }[]): Promise<void> {
  if (rows.length === 0) return;
  const items = rows.map((x) => ({ id: newId(), indicatorId: x.row.id, change: x.change, comment: x.comment ?? null, state: historyState(x.row) }));
  await uow.tx.query(
    `insert into fraud_indicator_history (id, indicator_id, change, actor, at, comment, state)
     select x.id, x."indicatorId", x.change, $2, $3, x.comment, x.state
     from jsonb_to_recordset($1::jsonb) as x(id uuid, "indicatorId" uuid, change text, comment text, state jsonb)`,
    [JSON.stringify(items), actor, uow.now.toISOString()],
  );
}

const CHUNK = 500;

/**
 * Creates or replaces indicators (one per kind, hash and contributor) in one command: rows, an audit record (one per
 * indicator for a single submission, one summary for an import) and `fraud.indicators.changed` events in chunks.
 * The writing process applies them to its set at once; the others from the events.
 */
export async function upsertIndicators(
  kernel: Kernel,
  rt: FraudRuntime,
  ctx: CommandContext,
  items: readonly CheckedIndicator[],
  mode: 'single' | 'import' | 'detected',
): Promise<StoredIndicator[]> {
  const rows = await kernel.commands.run(ctx, async (uow) => {
    const stored = await writeIndicators(uow, ctx.actor, items);
    if (mode === 'single') {
      for (const r of stored) {
        await uow.audit({ action: 'indicator.upserted', entity: 'fraud_indicator', entityId: r.id, data: { kind: r.kind, hash: r.value_hash, effect: r.effect, source: r.source } });
      }
    } else {
      const kinds: Record<string, number> = {};
      for (const r of stored) kinds[r.kind] = (kinds[r.kind] ?? 0) + 1;
      await uow.audit({ action: mode === 'import' ? 'indicators.imported' : 'indicators.detected', entity: 'fraud_indicator', data: { count: stored.length, kinds } });
    }
    return stored;
  });
  for (const r of rows) rt.indicators.apply(stateOf(r));
  return rows;
}

/**
 * The last of the items that share a key, in the order of those last ones: what applying them one after another
 * would leave. One insert … on conflict statement may not touch a row twice (PostgreSQL refuses the whole statement),
 * and a batch may name one thing twice: an import with a number in two forms, two SIM-boxes in one gateway.
 */
export function lastOfEach<T>(items: readonly T[], keyOf: (item: T) => string): T[] {
  const last = new Map<string, number>();
  for (const [i, item] of items.entries()) last.set(keyOf(item), i);
  return items.filter((item, i) => last.get(keyOf(item)) === i);
}

/**
 * Upserts indicators of one contributor inside a command, and queues their `fraud.indicators.changed` events. An
 * identifier named more than once is written once, as its last mention says.
 */
async function writeIndicators(uow: UnitOfWork, contributor: string, named: readonly CheckedIndicator[], actor = contributor): Promise<StoredIndicator[]> {
  const items = lastOfEach(named, (x) => `${x.kind}:${x.hash}`);
  const stored: StoredIndicator[] = [];
  for (let i = 0; i < items.length; i += CHUNK) {
    const chunk = items.slice(i, i + CHUNK).map((x) => ({ ...x, id: newId() }));
    const out = await uow.tx.query<StoredIndicator>(
      `insert into fraud_indicator (id, kind, value_hash, value, source, source_ref, confidence, effect, overridable, valid_from, valid_until, note,
                                    contributor, created_at, updated_at)
       select x.id, x.kind, x.hash, x.value, x.source, x."sourceRef", x.confidence, x.effect, x.overridable, x."validFrom", x."validUntil", x.note,
              $2, $3, $3
       from jsonb_to_recordset($1::jsonb) as x(id uuid, kind text, hash text, value text, source text, "sourceRef" text, confidence float8, effect text,
            overridable boolean, "validFrom" timestamptz, "validUntil" timestamptz, note text)
       on conflict (kind, value_hash, contributor) do update set
         value = coalesce(excluded.value, fraud_indicator.value), source = excluded.source, source_ref = excluded.source_ref,
         confidence = excluded.confidence, effect = excluded.effect, overridable = excluded.overridable, valid_from = excluded.valid_from,
         valid_until = excluded.valid_until, note = excluded.note, updated_at = excluded.updated_at, revoked_at = null
       returning *, (xmax = 0) as inserted`,
      [JSON.stringify(chunk), contributor, uow.now.toISOString()],
    );
    stored.push(...out);
    await writeHistory(
      uow,
      actor,
      out.map((row) => ({ row, change: row.inserted ? 'added' : 'replaced' })),
    );
    await uow.emit({ subject: INDICATORS_CHANGED, data: { items: out.map(stateOf) }, permission: 'fraud:read' });
  }
  return stored;
}

/** Revokes an indicator: staff with fraud:write any, a partner only its own. */
export async function revokeIndicator(kernel: Kernel, rt: FraudRuntime, ctx: CommandContext, id: string, onlyContributor: string | null): Promise<StoredIndicator> {
  const row = await kernel.commands.run(ctx, async (uow) => {
    const [r] = await uow.tx.query<StoredIndicator>(
      `update fraud_indicator set revoked_at = $2, updated_at = $2
       where id = $1 and revoked_at is null and ($3::text is null or contributor = $3) returning *`,
      [id, uow.now.toISOString(), onlyContributor],
    );
    if (!r) throw Problem.notFound();
    await writeHistory(uow, ctx.actor, [{ row: r, change: 'revoked' }]);
    await uow.emit({ subject: INDICATORS_CHANGED, data: { items: [stateOf(r)] }, permission: 'fraud:read' });
    await uow.audit({ action: 'indicator.revoked', entity: 'fraud_indicator', entityId: r.id, data: { kind: r.kind, hash: r.value_hash } });
    return r;
  });
  rt.indicators.apply(stateOf(row));
  return row;
}

export interface IndicatorPatch {
  effect?: Effect;
  confidence?: number;
  overridable?: boolean;
  validFrom?: string;
  /** null: in force without an end. */
  validUntil?: string | null;
  /** null: no note. */
  note?: string | null;
  /** Why, kept in the indicator's history. */
  comment?: string;
}

/**
 * Edits an indicator in force (staff with fraud:write any, a partner only its own): the row, a history row, an audit
 * record naming the fields changed and `fraud.indicators.changed`, in one transaction; the writing process applies it
 * at once, the others from the event. A revoked indicator is not edited (409); an edit that changes nothing writes
 * nothing.
 */
export async function editIndicator(
  kernel: Kernel,
  rt: FraudRuntime,
  ctx: CommandContext,
  id: string,
  patch: IndicatorPatch,
  onlyContributor: string | null,
): Promise<{ row: StoredIndicator; changes: FieldChange[] }> {
  const out = await kernel.commands.run(ctx, async (uow) => {
    const [cur] = await uow.tx.query<StoredIndicator>('select * from fraud_indicator where id = $1 and ($2::text is null or contributor = $2) for update', [id, onlyContributor]);
    if (!cur) throw Problem.notFound();
    if (cur.revoked_at !== null) throw new Problem('fraud.indicator_revoked', {}, [], 409);
    const validFrom = patch.validFrom !== undefined ? new Date(patch.validFrom).toISOString() : cur.valid_from.toISOString();
    const validUntil = patch.validUntil !== undefined ? (patch.validUntil === null ? null : new Date(patch.validUntil).toISOString()) : (cur.valid_until?.toISOString() ?? null);
    if (validUntil !== null && Date.parse(validUntil) <= Date.parse(validFrom)) {
      throw Problem.validation([{ path: patch.validUntil !== undefined ? 'body.validUntil' : 'body.validFrom', code: 'invalid_value' }]);
    }
    const next = {
      effect: patch.effect ?? cur.effect,
      confidence: patch.confidence ?? Number(cur.confidence),
      overridable: patch.overridable ?? cur.overridable,
      validFrom,
      validUntil,
      note: patch.note !== undefined ? patch.note : cur.note,
    };
    const changes = changesBetween(canonicalState(historyState(cur)), canonicalState({ ...historyState(cur), ...next }));
    if (changes.length === 0) return { row: cur, changes };
    const [row] = await uow.tx.query<StoredIndicator>(
      `update fraud_indicator set effect = $2, confidence = $3, overridable = $4, valid_from = $5, valid_until = $6, note = $7, updated_at = $8
       where id = $1 returning *`,
      [id, next.effect, next.confidence, next.overridable, next.validFrom, next.validUntil, next.note, uow.now.toISOString()],
    );
    await writeHistory(uow, ctx.actor, [{ row, change: 'edited', comment: patch.comment ?? null }]);
    await uow.emit({ subject: INDICATORS_CHANGED, data: { items: [stateOf(row)] }, permission: 'fraud:read' });
    await uow.audit({ action: 'indicator.edited', entity: 'fraud_indicator', entityId: id, data: { kind: row.kind, hash: row.value_hash, fields: changes.map((c) => c.field) } });
    return { row, changes };
  });
  if (out.changes.length > 0) rt.indicators.apply(stateOf(out.row));
  return out;
}

export interface HistoryEntry {
  change: 'added' | 'replaced' | 'edited' | 'revoked';
  actor: string;
  at: string;
  comment: string | null;
  changes: FieldChange[];
}

/**
 * Every version of an indicator, oldest first, each with what changed from the one before; the read is audited. Null
 * when there is no such indicator (or, for a partner, none of its own).
 */
export async function indicatorHistory(kernel: Kernel, ctx: CommandContext, id: string, onlyContributor: string | null): Promise<{ indicator: StoredIndicator; history: HistoryEntry[] } | null> {
  return kernel.commands.run(ctx, async (uow) => {
    const [indicator] = await uow.tx.query<StoredIndicator>('select * from fraud_indicator where id = $1 and ($2::text is null or contributor = $2)', [id, onlyContributor]);
    if (!indicator) return null;
    const rows = await uow.tx.query<{ change: HistoryEntry['change']; actor: string; at: Date; comment: string | null; state: Record<string, unknown> }>(
      'select change, actor, at, comment, state from fraud_indicator_history where indicator_id = $1 order by at, id',
      [id],
    );
    await uow.audit({ action: 'indicator.history_read', entity: 'fraud_indicator', entityId: id, data: { versions: rows.length } });
    let before: ReturnType<typeof canonicalState> | null = null;
    const history = rows.map((r) => {
      const state = canonicalState(r.state);
      const entry = { change: r.change, actor: r.actor, at: new Date(r.at).toISOString(), comment: r.comment, changes: changesBetween(before, state) };
      before = state;
      return entry;
    });
    return { indicator, history };
  });
}

export interface PolicyVersion {
  version: number;
  comment: string;
  createdBy: string;
  createdAt: string;
}

/** The version in force, as stored (the latest), with the policy itself. */
export async function currentPolicy(kernel: Kernel, rt: FraudRuntime): Promise<PolicyVersion & { policy: Policy }> {
  const [r] = await kernel.db.query<{ version: number; policy: unknown; comment: string; created_by: string; created_at: Date }>(
    'select version, policy, comment, created_by, created_at from fraud_policy_version order by version desc limit 1',
  );
  if (!r) return { version: rt.active.version, comment: '', createdBy: 'system', createdAt: new Date(0).toISOString(), policy: { transactions: rt.active.transactions, calls: rt.active.calls } };
  const p = parsePolicy(r.policy, 'policy');
  const policy = p.ok ? p.value : { transactions: rt.active.transactions, calls: rt.active.calls };
  return { version: Number(r.version), comment: r.comment, createdBy: r.created_by, createdAt: new Date(r.created_at).toISOString(), policy };
}

export async function policyVersions(kernel: Kernel, limit: number): Promise<PolicyVersion[]> {
  const rows = await kernel.db.query<{ version: number; comment: string; created_by: string; created_at: Date }>(
    'select version, comment, created_by, created_at from fraud_policy_version order by version desc limit $1',
    [limit],
  );
  return rows.map((r) => ({ version: Number(r.version), comment: r.comment, createdBy: r.created_by, createdAt: new Date(r.created_at).toISOString() }));
}

/**
 * Stores a checked policy as the next version (who, when, why), audited, and publishes `fraud.policy.changed` so every
 * process decides by it; this process at once. `basedOn`, when given, must be the latest version (else 409: someone
 * saved meanwhile).
 */
export async function savePolicy(kernel: Kernel, rt: FraudRuntime, ctx: CommandContext, policy: Policy, comment: string, basedOn: number | null): Promise<PolicyVersion> {
  const saved = await kernel.commands.run(ctx, async (uow) => {
    await uow.tx.query('lock table fraud_policy_version in exclusive mode');
    const [{ latest }] = await uow.tx.query<{ latest: number | null }>('select max(version) as latest from fraud_policy_version');
    const current = latest === null ? 1 : Number(latest);
    if (basedOn !== null && basedOn !== current) throw new Problem('fraud.policy_conflict', { version: current }, [], 409);
    const version = latest === null ? 2 : current + 1;
    const at = uow.now.toISOString();
    await uow.tx.query('insert into fraud_policy_version (version, policy, comment, created_by, created_at) values ($1, $2::jsonb, $3, $4, $5)', [
      version,
      JSON.stringify(policy),
      comment,
      ctx.actor,
      at,
    ]);
    await uow.emit({ subject: POLICY_CHANGED, key: 'policy', data: { version, policy, comment, createdBy: ctx.actor, createdAt: at }, permission: 'fraud:read' });
    await uow.audit({ action: 'policy.changed', entity: 'fraud_policy', entityId: String(version), data: { version, previous: current, comment } });
    return { version, comment, createdBy: ctx.actor, createdAt: at };
  });
  rt.applyPolicy(saved.version, policy);
  return saved;
}

/** A backtest as kept: the policy exactly as tested (a stored version, or a draft), the file, who, when, the result. */
export interface BacktestRun extends BacktestResult {
  id: string;
  policyVersion: string | null;
  draft: boolean;
  fileName: string | null;
  fileSha256: string;
  createdBy: string;
  createdAt: string;
}

interface BacktestRow {
  id: string;
  policy_version: number | null;
  policy?: unknown;
  file_name: string | null;
  file_sha256: string;
  result: BacktestResult;
  created_by: string;
  created_at: Date;
}

const backtestRun = (r: BacktestRow): BacktestRun => ({
  ...r.result,
  id: r.id,
  policyVersion: r.policy_version === null ? null : String(r.policy_version),
  draft: r.policy_version === null,
  fileName: r.file_name,
  fileSha256: r.file_sha256,
  createdBy: r.created_by,
  createdAt: new Date(r.created_at).toISOString(),
});

/** A stored version of the policy, or null when there is no such version. */
export async function policyOfVersion(kernel: Kernel, version: number): Promise<Policy | null> {
  const [r] = await kernel.db.query<{ policy: unknown }>('select policy from fraud_policy_version where version = $1', [version]);
  if (!r) return null;
  const p = parsePolicy(r.policy, 'policy');
  return p.ok ? p.value : null;
}

/** Keeps a backtest's result with the policy it tested (audited: a policy change may later rest on it). */
export async function saveBacktest(
  kernel: Kernel,
  ctx: CommandContext,
  run: { policy: Policy; policyVersion: number | null; fileName: string | null; fileSha256: string; result: BacktestResult },
): Promise<BacktestRun> {
  return kernel.commands.run(ctx, async (uow) => {
    const id = newId();
    const [row] = await uow.tx.query<BacktestRow>(
      `insert into fraud_backtest (id, policy_version, policy, file_name, file_sha256, rows, result, created_by, created_at)
       values ($1, $2, $3::jsonb, $4, $5, $6, $7::jsonb, $8, $9)
       returning id, policy_version, file_name, file_sha256, result, created_by, created_at`,
      [id, run.policyVersion, JSON.stringify(run.policy), run.fileName, run.fileSha256, run.result.rows, JSON.stringify(run.result), ctx.actor, uow.now.toISOString()],
    );
    await uow.audit({
      action: 'backtest.run',
      entity: 'fraud_backtest',
      entityId: id,
      data: { policyVersion: run.policyVersion, draft: run.policyVersion === null, fileSha256: run.fileSha256, rows: run.result.rows, precision: run.result.precision, recall: run.result.recall, auc: run.result.auc },
    });
    return backtestRun(row);
  });
}

/** Backtests, newest first, after a cursor (created_at, id). */
export async function listBacktests(kernel: Kernel, limit: number, after: [string, string] | null): Promise<BacktestRun[]> {
  const rows = await kernel.db.query<BacktestRow>(
    `select id, policy_version, file_name, file_sha256, result, created_by, created_at from fraud_backtest
     where ($2::timestamptz is null or (created_at, id) < ($2::timestamptz, $3::uuid))
     order by created_at desc, id desc limit $1`,
    [limit, after?.[0] ?? null, after?.[1] ?? null],
  );
  return rows.map(backtestRun);
}

/** One backtest with the policy it tested, or null. */
export async function getBacktest(kernel: Kernel, id: string): Promise<(BacktestRun & { policy: Policy | null }) | null> {
  const [r] = await kernel.db.query<BacktestRow>(
    'select id, policy_version, policy, file_name, file_sha256, result, created_by, created_at from fraud_backtest where id = $1',
    [id],
  );
  if (!r) return null;
  const p = parsePolicy(r.policy, 'policy');
  return { ...backtestRun(r), policy: p.ok ? p.value : null };
}

export interface IndicatorQuery {
  kind?: IdentifierKind;
  hash?: string;
  limit: number;
  after?: { updatedAt: string; id: string };
  includeRevoked: boolean;
  /** Only those in force now: not revoked, valid from before now, not expired (the export). */
  inForce?: boolean;
}

/** Newest first; the read is audited (phone numbers and accounts are personal data). */
export async function listIndicators(kernel: Kernel, ctx: CommandContext, q: IndicatorQuery, action: 'indicators.read' | 'indicators.exported'): Promise<StoredIndicator[]> {
  return kernel.commands.run(ctx, async (uow) => {
    const rows = await uow.tx.query<StoredIndicator>(
      `select * from fraud_indicator
       where ($1::text is null or kind = $1) and ($2::text is null or value_hash = $2) and ($3 or revoked_at is null)
         and ($4::timestamptz is null or (updated_at, id) < ($4::timestamptz, $5::uuid))
         and (not $7 or (valid_from <= $8 and (valid_until is null or valid_until > $8)))
       order by updated_at desc, id desc limit $6`,
      [q.kind ?? null, q.hash ?? null, q.includeRevoked, q.after?.updatedAt ?? null, q.after?.id ?? null, q.limit, q.inForce === true, uow.now.toISOString()],
    );
    await uow.audit({ action, entity: 'fraud_indicator', data: { count: rows.length, kind: q.kind ?? null, hash: q.hash ?? null } });
    return rows;
  });
}

export interface RoamingItem {
  msisdn: string;
  roaming: boolean;
  until: string | null;
}

/** Stores an operator's roaming statuses and tells every process (`fraud.roaming.changed`); a number sent twice takes its last status. */
export async function feedRoaming(kernel: Kernel, rt: FraudRuntime, ctx: CommandContext, sent: readonly RoamingItem[]): Promise<number> {
  const items = lastOfEach(sent, (i) => i.msisdn);
  const applied = await kernel.commands.run(ctx, async (uow) => {
    const at = uow.now.toISOString();
    await uow.tx.query(
      `insert into fraud_roaming (msisdn, roaming, until, operator, updated_at)
       select x.msisdn, x.roaming, x.until, $2, $3 from jsonb_to_recordset($1::jsonb) as x(msisdn text, roaming boolean, until timestamptz)
       on conflict (msisdn) do update set roaming = excluded.roaming, until = excluded.until, operator = excluded.operator, updated_at = excluded.updated_at`,
      [JSON.stringify(items), ctx.actor, at],
    );
    const data = { items: items.map((i) => ({ ...i, updatedAt: at })) };
    await uow.emit({ subject: ROAMING_CHANGED, data, permission: 'fraud:read' });
    await uow.audit({ action: 'roaming.fed', entity: 'fraud_roaming', data: { count: items.length } });
    return data.items;
  });
  for (const i of applied) rt.roaming.apply(i);
  return applied.length;
}

interface DecisionRow {
  id: string;
  kind: 'call' | 'transaction';
  outcome: string;
  partner: string;
  confirmed_fraud: boolean | null;
}

/**
 * Records whether a decision was fraud. Waits (briefly) for the recorder so a decision made a moment ago is found;
 * a partner may only answer for its own decisions; an answer is final (409 on a second one).
 */
export async function recordOutcome(
  kernel: Kernel,
  rt: FraudRuntime,
  ctx: CommandContext,
  id: string,
  input: { fraud: boolean; note?: string },
  partner: string | null,
): Promise<{ id: string; kind: string; outcome: string; fraud: boolean; at: string }> {
  await Promise.race([rt.recorder.flush(), new Promise((r) => setTimeout(r, 2000))]);
  return kernel.commands.run(ctx, async (uow) => {
    const [d] = await uow.tx.query<DecisionRow>('select id, kind, outcome, partner, confirmed_fraud from fraud_decision where id = $1 for update', [id]);
    if (!d) throw new Problem('fraud.not_screened', { id }, [], 404);
    if (partner !== null && d.partner !== partner) throw new Problem('fraud.not_own_decision', {}, [], 403);
    if (d.confirmed_fraud !== null) throw new Problem('fraud.outcome_recorded', {}, [], 409);
    const at = uow.now.toISOString();
    await uow.tx.query('update fraud_decision set confirmed_fraud = $2, outcome_at = $3, outcome_by = $4, outcome_note = $5 where id = $1', [
      id,
      input.fraud,
      at,
      ctx.actor,
      input.note ?? null,
    ]);
    await uow.emit({ subject: DECISION_CONFIRMED, key: id, data: { decisionId: id, kind: d.kind, outcome: d.outcome, fraud: input.fraud, at }, permission: 'fraud:read' });
    await uow.audit({ action: 'decision.outcome_recorded', entity: 'fraud_decision', entityId: id, data: { fraud: input.fraud, outcome: d.outcome } });
    return { id, kind: d.kind, outcome: d.outcome, fraud: input.fraud, at };
  });
}

export interface Stats {
  from: string | null;
  to: string | null;
  decisions: { kind: string; outcome: string; count: number; degraded: number; meanLatencyUs: number }[];
  feedback: {
    kind: string;
    /** Flagged (not allowed) and confirmed fraud / not fraud; allowed and later confirmed fraud. */
    truePositives: number;
    falsePositives: number;
    falseNegatives: number;
    trueNegatives: number;
    precision: number | null;
    recall: number | null;
  }[];
  /** Sums of held or blocked transfers later confirmed fraud, per currency. */
  preventedLoss: { currency: string; amount: number }[];
  /** Per day (UTC) and partner: confirmed-fraud sums held or blocked, and calls blocked. */
  byDay: { day: string; partner: string; currency: string | null; preventedAmount: number; callsBlocked: number }[];
  /** Per region (KATO region code; null: the partner gave none) and per channel (the partner's API key channel). */
  byRegion: (Breakdown & { region: string | null; name: { ru: string; kk: string; en: string } | null })[];
  byChannel: (Breakdown & { channel: string | null })[];
  live: { indicators: number; degraded: boolean; recorderPending: number; recorderDropped: number };
}

/** What a region or a channel prevented: confirmed-fraud sums held or blocked (per currency), transfers held and blocked, calls blocked. */
export interface Breakdown {
  prevented: { currency: string; amount: number }[];
  held: number;
  blocked: number;
  callsBlocked: number;
}

async function breakdown(kernel: Kernel, column: 'region' | 'channel', where: string, params: unknown[]) {
  const rows = await kernel.db.query<{ key: string | null; currency: string | null; amount: string | null; held: number; blocked: number; calls: number }>(
    `select ${column} as key, currency,
            sum(amount) filter (where kind = 'transaction' and outcome in ('hold', 'block') and confirmed_fraud)::text as amount,
            count(*) filter (where kind = 'transaction' and outcome = 'hold')::int8 as held,
            count(*) filter (where kind = 'transaction' and outcome = 'block')::int8 as blocked,
            count(*) filter (where kind = 'call' and outcome = 'block')::int8 as calls
     from fraud_decision where ${where} group by 1, 2
     having count(*) filter (where outcome in ('hold', 'block')) > 0
     order by 1 nulls last, 2`,
    params,
  );
  const by = new Map<string | null, Breakdown>();
  for (const r of rows) {
    const b = by.get(r.key) ?? { prevented: [], held: 0, blocked: 0, callsBlocked: 0 };
    const amount = Number(r.amount ?? 0);
    if (r.currency && amount > 0) b.prevented.push({ currency: r.currency, amount });
    b.held += Number(r.held);
    b.blocked += Number(r.blocked);
    b.callsBlocked += Number(r.calls);
    by.set(r.key, b);
  }
  const kzt = (b: Breakdown) => b.prevented.find((p) => p.currency === 'KZT')?.amount ?? 0;
  return [...by.entries()].sort((a, b) => kzt(b[1]) - kzt(a[1]) || b[1].blocked + b[1].callsBlocked - (a[1].blocked + a[1].callsBlocked));
}

export async function stats(kernel: Kernel, rt: FraudRuntime, from: string | null, to: string | null): Promise<Stats> {
  const where = `($1::timestamptz is null or decided_at >= $1) and ($2::timestamptz is null or decided_at < $2)`;
  const decisions = await kernel.db.query<{ kind: string; outcome: string; count: number; degraded: number; latency: number }>(
    `select kind, outcome, count(*)::int8 as count, count(*) filter (where degraded)::int8 as degraded, coalesce(avg(latency_us), 0)::float8 as latency
     from fraud_decision where ${where} group by kind, outcome order by kind, outcome`,
    [from, to],
  );
  const fb = await kernel.db.query<{ kind: string; tp: number; fp: number; fn: number; tn: number }>(
    `select kind,
       count(*) filter (where outcome <> 'allow' and confirmed_fraud)::int8 as tp,
       count(*) filter (where outcome <> 'allow' and not confirmed_fraud)::int8 as fp,
       count(*) filter (where outcome = 'allow' and confirmed_fraud)::int8 as fn,
       count(*) filter (where outcome = 'allow' and not confirmed_fraud)::int8 as tn
     from fraud_decision where confirmed_fraud is not null and ${where} group by kind order by kind`,
    [from, to],
  );
  const loss = await kernel.db.query<{ currency: string; amount: string }>(
    `select currency, sum(amount)::text as amount from fraud_decision
     where kind = 'transaction' and outcome in ('hold', 'block') and confirmed_fraud and ${where} group by currency order by currency`,
    [from, to],
  );
  const days = await kernel.db.query<{ day: string; partner: string; currency: string | null; amount: string | null; calls: number }>(
    `select to_char(date_trunc('day', decided_at at time zone 'UTC'), 'YYYY-MM-DD') as day, partner, currency,
            sum(amount) filter (where kind = 'transaction' and outcome in ('hold', 'block') and confirmed_fraud)::text as amount,
            count(*) filter (where kind = 'call' and outcome = 'block')::int8 as calls
     from fraud_decision where ${where} group by 1, 2, 3
     having count(*) filter (where kind = 'call' and outcome = 'block') > 0
         or sum(amount) filter (where kind = 'transaction' and outcome in ('hold', 'block') and confirmed_fraud) > 0
     order by 1, 2, 3`,
    [from, to],
  );
  const ratio = (a: number, b: number) => (a + b === 0 ? null : a / (a + b));
  const regions = await breakdown(kernel, 'region', where, [from, to]);
  const channels = await breakdown(kernel, 'channel', where, [from, to]);
  return {
    from,
    to,
    decisions: decisions.map((d) => ({ kind: d.kind, outcome: d.outcome, count: Number(d.count), degraded: Number(d.degraded), meanLatencyUs: Math.round(d.latency) })),
    feedback: fb.map((f) => ({
      kind: f.kind,
      truePositives: Number(f.tp),
      falsePositives: Number(f.fp),
      falseNegatives: Number(f.fn),
      trueNegatives: Number(f.tn),
      precision: ratio(Number(f.tp), Number(f.fp)),
      recall: ratio(Number(f.tp), Number(f.fn)),
    })),
    preventedLoss: loss.map((l) => ({ currency: l.currency, amount: Number(l.amount) })),
    byDay: days.map((d) => ({ day: d.day, partner: d.partner, currency: d.currency, preventedAmount: Number(d.amount ?? 0), callsBlocked: Number(d.calls) })),
    byRegion: regions.map(([region, b]) => {
      const a = region ? kernel.areas.area(region) : null;
      return { region, name: a ? a.name : null, ...b };
    }),
    byChannel: channels.map(([channel, b]) => ({ channel, ...b })),
    live: { indicators: rt.indicators.size, degraded: rt.degraded, recorderPending: rt.recorder.pending, recorderDropped: rt.recorder.dropped },
  };
}


export interface SimRegistration {
  iin: string;
  msisdn: string;
  iccid: string | null;
  event: 'registered' | 'deregistered';
  at: string;
}

/**
 * Applies an operator's SIM registrations and deregistrations, then counts the active SIMs of every person touched
 * (across all operators). A person over `SIM_LIMIT.maxPerIin` is flagged (`fraud_sim_limit`, `fraud.sim_limit.changed`);
 * one who comes back under it is cleared. One command: rows, one audit record, the events.
 */
export async function feedSimRegistrations(
  kernel: Kernel,
  ctx: CommandContext,
  items: readonly SimRegistration[],
  limit: number,
): Promise<{ iin: string; active: number }[]> {
  return kernel.commands.run(ctx, async (uow) => {
    const at = uow.now.toISOString();
    const msisdns = items.map((i) => i.msisdn);
    const before = await uow.tx.query<{ iin: string }>('select distinct iin from fraud_sim_registration where msisdn = any($1::text[])', [msisdns]);
    await uow.tx.query(
      `insert into fraud_sim_registration (msisdn, iin, iccid, operator, registered_at, deregistered_at, updated_at)
       select distinct on (x.msisdn) x.msisdn, x.iin, x.iccid, $2, x.at, case when x.event = 'deregistered' then x.at end, $3
       from rows from (jsonb_to_recordset($1::jsonb) as (iin text, msisdn text, iccid text, event text, at timestamptz)) with ordinality as x(iin, msisdn, iccid, event, at, n)
       order by x.msisdn, x.at desc, x.n desc
       on conflict (msisdn) do update set
         iin = case when excluded.deregistered_at is null then excluded.iin else fraud_sim_registration.iin end,
         iccid = coalesce(excluded.iccid, fraud_sim_registration.iccid), operator = excluded.operator,
         registered_at = case when excluded.deregistered_at is null then excluded.registered_at else fraud_sim_registration.registered_at end,
         deregistered_at = excluded.deregistered_at, updated_at = excluded.updated_at
       where coalesce(fraud_sim_registration.deregistered_at, fraud_sim_registration.registered_at) <= coalesce(excluded.deregistered_at, excluded.registered_at)`,
      [JSON.stringify(items), ctx.actor, at],
    );
    const iins = [...new Set([...items.map((i) => i.iin), ...before.map((b) => b.iin)])];
    const counts = await uow.tx.query<{ iin: string; active: number; exceeded: boolean | null; held: number | null }>(
      `select p.iin, count(r.msisdn)::int as active, l.exceeded, l.active as held
       from unnest($1::text[]) as p(iin)
       left join fraud_sim_registration r on r.iin = p.iin and r.deregistered_at is null
       left join fraud_sim_limit l on l.iin = p.iin
       group by p.iin, l.exceeded, l.active`,
      [iins],
    );
    const over: { iin: string; active: number }[] = [];
    for (const c of counts) {
      const active = Number(c.active);
      const exceeded = active > limit;
      if (exceeded) over.push({ iin: c.iin, active });
      const changed = exceeded ? c.exceeded !== true || Number(c.held) !== active : c.exceeded === true;
      if (!changed) continue;
      await uow.tx.query(
        `insert into fraud_sim_limit (iin, active, exceeded, flagged_at, updated_at) values ($1, $2, $3, $4, $4)
         on conflict (iin) do update set active = excluded.active, exceeded = excluded.exceeded, updated_at = excluded.updated_at,
           flagged_at = case when fraud_sim_limit.exceeded then fraud_sim_limit.flagged_at else excluded.flagged_at end`,
        [c.iin, active, exceeded, at],
      );
      await uow.emit({ subject: SIM_LIMIT_CHANGED, key: c.iin, data: { iin: c.iin, active, exceeded, limit, at }, permission: 'fraud:read' });
    }
    await uow.audit({ action: 'sim_registrations.fed', entity: 'fraud_sim_registration', data: { count: items.length, overLimit: over.length } });
    return over.sort((a, b) => (a.iin < b.iin ? -1 : 1));
  });
}

/** People over the SIM limit now, most SIMs first; the read is audited (IINs are personal data). */
export async function simLimits(kernel: Kernel, ctx: CommandContext, limit: number): Promise<{ iin: string; active: number; flaggedAt: string }[]> {
  return kernel.commands.run(ctx, async (uow) => {
    const rows = await uow.tx.query<{ iin: string; active: number; flagged_at: Date }>(
      'select iin, active, flagged_at from fraud_sim_limit where exceeded order by active desc, iin limit $1',
      [limit],
    );
    await uow.audit({ action: 'sim_limits.read', entity: 'fraud_sim_limit', data: { count: rows.length } });
    return rows.map((r) => ({ iin: r.iin, active: Number(r.active), flaggedAt: r.flagged_at.toISOString() }));
  });
}

export interface CitizenReport {
  channel: string;
  /** The reporter as the channel knows them (device id or phone), if given: one person's reports count once. */
  reporter: string | null;
  identifiers: { kind: IdentifierKind; value: string }[];
  description: string | null;
  amount: number | null;
  currency: string | null;
  occurredAt: string | null;
}

export interface OpenedCase {
  caseId: string;
  /** `listed: false`: an analyst revoked the citizens' indicator for it; the case names it, the list does not. */
  indicators: { kind: IdentifierKind; hash: string; reports: number; confidence: number; listed: boolean }[];
}

/**
 * Opens a case for a citizen's report and, in the same transaction, turns each identifier it names into the
 * citizens' `warn` indicator for it, with the confidence the count of distinct reports within the window earns.
 */
export async function openCitizenCase(kernel: Kernel, rt: FraudRuntime, ctx: CommandContext, report: CitizenReport): Promise<OpenedCase> {
  const p = CITIZEN_POLICY;
  const out = await kernel.commands.run(ctx, async (uow) => {
    const caseId = newId();
    const at = uow.now.toISOString();
    const ids = report.identifiers.map((i) => ({ kind: i.kind, hash: rt.hash(i.kind, i.value), value: i.kind === 'card' ? null : i.value }));
    const reporterHash = report.reporter === null ? null : createHmac('sha256', rt.settings.hashKey).update(`reporter:${report.channel}:${report.reporter}`).digest('hex');
    await uow.tx.query(
      `insert into fraud_case (id, channel, reporter, reporter_hash, description, amount, currency, occurred_at, status, created_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9)`,
      [caseId, report.channel, ctx.actor, reporterHash, report.description, report.amount, report.currency, report.occurredAt, at],
    );
    await uow.tx.query(
      `insert into fraud_case_identifier (case_id, kind, value_hash, value, created_at)
       select $1, x.kind, x.hash, x.value, $3 from jsonb_to_recordset($2::jsonb) as x(kind text, hash text, value text) on conflict do nothing`,
      [caseId, JSON.stringify(ids), at],
    );
    // Distinct reporters: a case whose reporter is known counts once per reporter, one without counts alone.
    // An identifier whose citizens' indicator an analyst revoked stays revoked (the case still names it).
    const counts = await uow.tx.query<{ kind: IdentifierKind; value_hash: string; reports: number; revoked: boolean }>(
      `select c.kind, c.value_hash, count(distinct coalesce(f.reporter_hash, f.id::text))::int as reports,
              exists (select 1 from fraud_indicator i where i.contributor = $4 and i.kind = c.kind and i.value_hash = c.value_hash and i.revoked_at is not null) as revoked
       from fraud_case_identifier c
       join fraud_case f on f.id = c.case_id
       join jsonb_to_recordset($1::jsonb) as x(kind text, hash text) on c.kind = x.kind and c.value_hash = x.hash
       where c.created_at > $2::timestamptz - make_interval(days => $3)
       group by c.kind, c.value_hash`,
      [JSON.stringify(ids), at, p.windowDays, p.contributor],
    );
    const indicators = counts.map((c) => ({
      kind: c.kind,
      hash: c.value_hash,
      reports: Number(c.reports),
      confidence: p.confidence[Math.min(Number(c.reports), p.confidence.length) - 1],
      listed: !c.revoked,
    }));
    const stored = await writeIndicators(
      uow,
      p.contributor,
      indicators.filter((i) => i.listed).map((i) => ({
        kind: i.kind,
        hash: i.hash,
        value: ids.find((x) => x.kind === i.kind && x.hash === i.hash)?.value ?? null,
        source: 'citizen_report',
        sourceRef: null,
        confidence: i.confidence,
        validFrom: at,
        validUntil: new Date(uow.now.getTime() + p.validDays * 86_400_000).toISOString(),
        effect: 'warn',
        overridable: true,
        note: `${i.reports} citizen report(s) within ${p.windowDays} days`,
      })),
      ctx.actor,
    );
    await uow.emit({ subject: CASE_OPENED, key: caseId, data: { caseId, channel: report.channel, identifiers: ids.map(({ kind, hash }) => ({ kind, hash })), at }, permission: 'fraud:read' });
    await uow.audit({ action: 'case.opened', entity: 'fraud_case', entityId: caseId, data: { channel: report.channel, identifiers: ids.length } });
    return { result: { caseId, indicators }, stored };
  });
  for (const r of out.stored) rt.indicators.apply(stateOf(r));
  return out.result;
}

export const CASE_STATUSES = ['open', 'investigating', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

/** Sets a case's status, with the analyst's comment; audited with the status it had. 404 for no such case. */
export async function setCaseStatus(kernel: Kernel, ctx: CommandContext, id: string, status: CaseStatus, comment: string | null) {
  return kernel.commands.run(ctx, async (uow) => {
    const [before] = await uow.tx.query<{ status: CaseStatus }>('select status from fraud_case where id = $1 for update', [id]);
    if (!before) throw Problem.notFound();
    const at = uow.now.toISOString();
    await uow.tx.query('update fraud_case set status = $2, status_comment = $3, status_at = $4 where id = $1', [id, status, comment, at]);
    await uow.audit({ action: 'case.status_changed', entity: 'fraud_case', entityId: id, data: { from: before.status, to: status, comment } });
    return { id, status, statusComment: comment, statusAt: at };
  });
}

/** Cases, newest first, with their identifiers; audited (they name people's numbers and accounts). */
export async function listCases(kernel: Kernel, ctx: CommandContext, limit: number) {
  return kernel.commands.run(ctx, async (uow) => {
    const rows = await uow.tx.query<{ id: string; channel: string; reporter: string; description: string | null; amount: string | null; currency: string | null; occurred_at: Date | null; status: string; status_comment: string | null; created_at: Date; identifiers: { kind: string; hash: string; value: string | null }[] }>(
      `select c.*, coalesce((select jsonb_agg(jsonb_build_object('kind', i.kind, 'hash', i.value_hash, 'value', i.value) order by i.kind, i.value_hash)
                             from fraud_case_identifier i where i.case_id = c.id), '[]'::jsonb) as identifiers
       from fraud_case c order by c.created_at desc, c.id desc limit $1`,
      [limit],
    );
    await uow.audit({ action: 'cases.read', entity: 'fraud_case', data: { count: rows.length } });
    return rows.map((r) => ({
      id: r.id,
      channel: r.channel,
      reporter: r.reporter,
      description: r.description,
      amount: r.amount === null ? null : Number(r.amount),
      currency: r.currency,
      occurredAt: r.occurred_at?.toISOString() ?? null,
      status: r.status,
      statusComment: r.status_comment,
      createdAt: r.created_at.toISOString(),
      identifiers: r.identifiers,
    }));
  });
}
