import { performance } from 'node:perf_hooks';
import type { BusEvent, Subscription } from '../../packages/kernel/src/bus/types.ts';
import { newId } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { CALL_POLICY, type CallPolicy, POLICY_VERSION, type RuleId, SIMBOX_POLICY, TRANSACTION_POLICY, type TransactionPolicy } from './config/policy.ts';
import { type Policy, parsePolicy } from './domain/policy-check.ts';
import type { FraudSettings } from './config/settings.ts';
import { type CallOutcome, decideCall, type Ingress } from './domain/calls.ts';
import { IdentifierDigests, type IdentifierKind, identifierHash, isKazakhstanNumber } from './domain/identifiers.ts';
import { type IndicatorState, IndicatorSet, type Match } from './domain/indicator-set.ts';
import { HttpCertificateFetcher } from './cert-fetcher.ts';
import { type Attestation, type CertificateFetcher, type ShakenResult, verifyIdentity } from './domain/passport.ts';
import { RecentDecisions } from './domain/repeats.ts';
import { SimBoxDetector } from './domain/simbox.ts';
import { accountKey, accountKeyOfHex, CallStream, isCallRisk, PaymentStream } from './domain/streams.ts';
import { type Condition, decideTransaction, type TxDecision } from './domain/typologies.ts';
import { toKzt } from './domain/money.ts';
import {
  CALLS_RISKY,
  INDICATORS_CHANGED,
  IndicatorsChanged,
  POLICY_CHANGED,
  PolicyChanged,
  ROAMING_CHANGED,
  RiskyCalls,
  RoamingChanged,
  TRANSFERS_COMMITTED,
  TransfersCommitted,
} from './events.ts';
import { DecisionRecorder } from './recorder.ts';

/** Is this number roaming abroad now? The default reads what operators fed through the API; an HLR/CAMARA lookup can replace it. */
export interface RoamingCheck {
  isRoaming(msisdn: string, at: number): boolean | Promise<boolean>;
}

/**
 * Roaming status held in memory, fed by `fraud.roaming.changed` (from `PUT /api/v1/fraud/roaming`).
 * A number's return home is kept as a "not roaming" entry with its version rather than deleted: the feeding process
 * applies a change at once and then receives the bus's copy of it, and an older copy arriving after a newer change
 * must not bring back a state the operator has since withdrawn.
 */
export class TableRoamingCheck implements RoamingCheck {
  private readonly numbers = new Map<string, { roaming: boolean; until: number; version: number }>();
  apply(item: { msisdn: string; roaming: boolean; until: string | null; updatedAt: string }): void {
    const version = Date.parse(item.updatedAt);
    const held = this.numbers.get(item.msisdn);
    if (held && held.version > version) return;
    this.numbers.set(item.msisdn, { roaming: item.roaming, until: item.until ? Date.parse(item.until) : Number.POSITIVE_INFINITY, version });
  }
  isRoaming(msisdn: string, at: number): boolean {
    const s = this.numbers.get(msisdn);
    return !!s && s.roaming && at < s.until;
  }
}

/** Identifiers of a call, already normalised (E.164). */
export interface CallInput {
  caller: string;
  called: string;
  ingress: Ingress;
  trunk: string;
  identity: string | null;
  /** The calling SIM (IMSI) and handset (IMEI), normalised, when the originating switch knows them. */
  imsi?: string | null;
  imei?: string | null;
}

export interface CallResult {
  id: string;
  outcome: CallOutcome;
  reasons: string[];
  attestation: Attestation | null;
  degraded: boolean;
  latencyUs: number;
  policyVersion: string;
}

/** A transfer, identifiers normalised; `openedAt` from the bank when it knows the account. */
export interface TxInput {
  id: string;
  amount: number;
  currency: string;
  /** The amount in tenge (the policy's unit), converted at the configured rates when it came in another currency. */
  amountKzt: number;
  payer: { account: string; phone: string | null; openedAt: string | null };
  payee: { account: string; phone: string | null; card: string | null; openedAt: string | null };
  override: boolean;
}

/**
 * Who asked and from where: the partner (`partner:<name>`), its API key's channel (bank, telecom, …) and the KATO code
 * it gave for the transfer or call (a region or a district), already checked against the kernel's areas.
 */
export interface DecisionOrigin {
  partner: string;
  channel: string | null;
  area: string | null;
}

/** The policy deciding now and its version (recorded with every decision). */
export interface ActivePolicy extends Policy {
  version: number;
}

/** The built-in default (`config/policy.ts`), version 1; the process settings give the call window and "large". */
export function defaultPolicy(settings: Pick<FraudSettings, 'callWindowMin' | 'largeAmount'>): Policy {
  const { degraded: _, ...calls } = CALL_POLICY;
  return {
    transactions: structuredClone({ ...TRANSACTION_POLICY, callWindowMin: settings.callWindowMin, largeAmount: settings.largeAmount }),
    calls: structuredClone(calls),
  };
}

export const DEFAULT_POLICY_COMMENT = `Built-in default (config/policy.ts ${POLICY_VERSION})`;

export interface TxResult extends TxDecision {
  id: string;
  transactionId: string;
  /** This transfer (same partner, id and content) was decided before, within the window: this is that decision. */
  repeated: boolean;
  degraded: boolean;
  latencyUs: number;
  policyVersion: string;
}

const SWEEP_MS = 60_000;
const SHARE_FLUSH_MS = 20;
/** How long a process waits, from when it begins to listen, for other processes' decisions to reach the log (PostgreSQL). */
const DEFAULT_LOG_SETTLE_MS = 1000;
const SHARE_MAX = 500;
/** Rows per page when the payment and call streams are read back from the decision log. */
const RESTORE_PAGE = 10_000;
const CALL_MEMORY_MS = 6 * 3_600_000;

/**
 * The fraud module's state in one process: the indicator set, the roaming table, the call and payment streams and
 * the decision recorder. The screening paths read only this memory; the database is written behind them.
 */
export class FraudRuntime {
  readonly indicators = new IndicatorSet();
  readonly roaming = new TableRoamingCheck();
  roamingCheck: RoamingCheck = this.roaming;
  fetcher: CertificateFetcher;
  readonly calls = new CallStream(CALL_MEMORY_MS);
  readonly payments = new PaymentStream();
  readonly simbox = new SimBoxDetector(SIMBOX_POLICY);
  readonly recorder: DecisionRecorder;
  /** Replaced whole (never mutated) when a new version arrives, so a decision reads one version throughout. */
  active: ActivePolicy;
  /** This process, to ignore its own risky-call and transfer events coming back from the bus. */
  readonly origin = newId();
  /** Risky calls and let-through transfers on their way to the other processes. */
  private readonly riskyCalls: BusBatch<RiskyCalls['items'][number]>;
  private readonly committedTransfers: BusBatch<TransfersCommitted['items'][number]>;
  /** What other processes shared while the streams were being read back: applied after it, in order. */
  private arrivedWhileRestoring: (() => void)[] | null = null;
  /**
   * When this process began to listen for other processes' risky calls and transfers: the read-back takes what was
   * decided before it, the broadcasts what was decided from it on, so one decided while the process starts counts once.
   */
  private listeningSince = 0;
  /** Transfers read back from the decision log at start, and transfers other processes let through, applied here. */
  restoredTransfers = 0;
  sharedTransfers = 0;
  /** Risky calls read back from the decision log at start, and risky calls other processes screened, applied here. */
  restoredCalls = 0;
  sharedCalls = 0;
  degraded = false;
  private subscriptions: Subscription[] = [];
  private timers: NodeJS.Timeout[] = [];
  private dbOk = true;
  private recorderOk = true;
  /** Identifier hashes (HMAC under the shared key, pads precomputed). */
  private readonly digests: IdentifierDigests;
  /** The digest of an identifier looked up and not kept (lookups are synchronous, one at a time). */
  private readonly scratchDigest = new Uint8Array(32);
  /** Transfers decided lately, by partner and transaction id: one sent again gets its first decision. */
  private readonly recentTransfers: RecentDecisions<{ content: string; answer: Omit<TxResult, 'typologies' | 'rules'> }>;
  /** Transfers answered with an earlier decision (sent again within the window). */
  repeatedTransfers = 0;
  /** The call policy of `active` with the degraded default, made once per policy version. */
  private callPolicy: CallPolicy | null = null;
  private callPolicyOf: ActivePolicy | null = null;

  constructor(
    private readonly kernel: Kernel,
    readonly settings: FraudSettings,
  ) {
    this.fetcher = new HttpCertificateFetcher(settings.certCacheMs, settings.certTimeoutMs, { allowPrivate: settings.shakenAllowPrivate });
    this.digests = new IdentifierDigests(settings.hashKey);
    this.recentTransfers = new RecentDecisions(settings.repeatWindowMs, settings.repeatMax);
    this.active = { version: 1, ...defaultPolicy(settings) };
    this.riskyCalls = new BusBatch(kernel, CALLS_RISKY, this.origin);
    this.committedTransfers = new BusBatch(kernel, TRANSFERS_COMMITTED, this.origin);
    this.recorder = new DecisionRecorder(
      kernel.db,
      kernel.log.child({ component: 'fraud-recorder' }),
      { batch: settings.recordBatch, buffer: settings.recordBuffer, retryMs: settings.healthMs, thread: settings.recordThread },
      (ok) => {
        this.recorderOk = ok;
        this.updateHealth();
      },
    );
  }

  private updateHealth(): void {
    const degraded = !(this.dbOk && this.recorderOk);
    if (degraded !== this.degraded) {
      this.degraded = degraded;
      this.kernel.log[degraded ? 'warn' : 'info']({ degraded }, degraded ? 'fraud screening degraded: database unreachable, safe defaults apply' : 'fraud screening back to normal');
    }
  }

  /** The transaction policy in force. */
  get policy(): TransactionPolicy {
    return this.active.transactions;
  }

  /** Applies a version of the policy if it is newer than the one in force; returns whether it did. */
  applyPolicy(version: number, policy: Policy): boolean {
    if (version <= this.active.version && !(version === 1 && this.active.version === 1)) return false;
    this.active = { version, transactions: policy.transactions, calls: policy.calls };
    this.kernel.log.info({ policyVersion: version }, 'fraud policy version applied');
    return true;
  }

  /** The region (KATO region code) of a region or district code, or null when the kernel knows no such area. */
  regionOf(kato: string): string | null {
    const a = this.kernel.areas.area(kato);
    if (!a) return null;
    return a.level === 'region' ? a.kato : a.parentKato;
  }

  hash(kind: IdentifierKind, normalForm: string): string {
    return identifierHash(this.settings.hashKey, kind, normalForm);
  }

  /** Subscribes to the module's events (live, every process), then loads the tables; applying is idempotent by version. */
  async start(): Promise<void> {
    const { bus, db } = this.kernel;
    this.arrivedWhileRestoring = [];
    this.subscriptions.push(
      await bus.subscribe({ subject: INDICATORS_CHANGED }, async (e: BusEvent) => {
        const parsed = IndicatorsChanged.safeParse(e.data);
        if (parsed.success) for (const s of parsed.data.items) this.indicators.apply(s);
      }),
      await bus.subscribe({ subject: ROAMING_CHANGED }, async (e: BusEvent) => {
        const parsed = RoamingChanged.safeParse(e.data);
        if (parsed.success) for (const item of parsed.data.items) this.roaming.apply(item);
      }),
      await bus.subscribe({ subject: POLICY_CHANGED }, async (e: BusEvent) => {
        const parsed = PolicyChanged.safeParse(e.data);
        if (!parsed.success) return;
        const p = parsePolicy(parsed.data.policy, 'policy');
        if (p.ok) this.applyPolicy(parsed.data.version, p.value);
        else this.kernel.log.error({ policyVersion: parsed.data.version, errors: p.errors }, 'fraud policy version refused');
      }),
      await bus.subscribe({ subject: CALLS_RISKY, broadcast: true }, async (e: BusEvent) => {
        // This process's own events come back too: skip them before parsing (up to 500 calls each).
        if ((e.data as { origin?: unknown } | null)?.origin === this.origin) return;
        const parsed = RiskyCalls.safeParse(e.data);
        if (!parsed.success) return;
        const items = parsed.data.items;
        if (this.arrivedWhileRestoring) this.arrivedWhileRestoring.push(() => this.applySharedCalls(items));
        else this.applySharedCalls(items);
      }),
      await bus.subscribe({ subject: TRANSFERS_COMMITTED, broadcast: true }, async (e: BusEvent) => {
        if ((e.data as { origin?: unknown } | null)?.origin === this.origin) return;
        const parsed = TransfersCommitted.safeParse(e.data);
        if (!parsed.success) return;
        const items = parsed.data.items;
        if (this.arrivedWhileRestoring) this.arrivedWhileRestoring.push(() => this.applySharedTransfers(items));
        else this.applySharedTransfers(items);
      }),
    );
    // Each subscription is known to the bus once it resolves, so every decision made from here on reaches this process
    // (another process shares it after making it); one made before is the log's to give. Set before the subscriptions,
    // a decision made while they were being set up would have been missed by both.
    this.listeningSince = this.kernel.clock.nowMs();
    const listening = performance.now();
    let after: [string, string] = ['-infinity', '00000000-0000-0000-0000-000000000000'];
    for (;;) {
      const rows = await db.query<IndicatorRow>(
        `select id, kind, value_hash, source, confidence, effect, overridable, valid_from, valid_until, revoked_at, updated_at
         from fraud_indicator
         where revoked_at is null and (valid_until is null or valid_until > now()) and (updated_at, id) > ($1::timestamptz, $2::uuid)
         order by updated_at, id limit 5000`,
        after,
      );
      for (const r of rows) this.indicators.apply(stateOf(r));
      if (rows.length < 5000) break;
      const last = rows[rows.length - 1];
      after = [last.updated_at.toISOString(), last.id];
    }
    await this.loadPolicy();
    const roaming = await db.query<{ msisdn: string; roaming: boolean; until: Date | null; updated_at: Date }>(
      'select msisdn, roaming, until, updated_at from fraud_roaming where roaming and (until is null or until > now())',
    );
    for (const r of roaming) this.roaming.apply({ msisdn: r.msisdn, roaming: r.roaming, until: r.until?.toISOString() ?? null, updatedAt: r.updated_at.toISOString() });
    await this.settle(listening);
    await this.restoreHistory();
    this.timers.push(
      setInterval(() => {
        db.ping().then(
          () => {
            this.dbOk = true;
            this.updateHealth();
          },
          () => {
            this.dbOk = false;
            this.updateHealth();
          },
        );
      }, this.settings.healthMs),
      setInterval(() => {
        const now = this.kernel.clock.nowMs();
        this.calls.sweep(now);
        this.simbox.sweep(now);
        this.payments.sweep(now, this.historyMs());
      }, SWEEP_MS),
    );
    for (const t of this.timers) t.unref();
  }

  /** Writes the built-in default as version 1 if there is no version yet, then applies the latest. */
  private async loadPolicy(): Promise<void> {
    const { db, clock } = this.kernel;
    const seed = defaultPolicy(this.settings);
    await db.query(
      `insert into fraud_policy_version (version, policy, comment, created_by, created_at)
       select 1, $1::jsonb, $2, 'system', $3 where not exists (select 1 from fraud_policy_version) on conflict (version) do nothing`,
      [JSON.stringify(seed), DEFAULT_POLICY_COMMENT, clock.now().toISOString()],
    );
    const [latest] = await db.query<{ version: number; policy: unknown }>('select version, policy from fraud_policy_version order by version desc limit 1');
    if (!latest) return;
    const p = parsePolicy(latest.policy, 'policy');
    if (p.ok) this.applyPolicy(Number(latest.version), p.value);
    else this.kernel.log.error({ policyVersion: latest.version, errors: p.errors }, 'stored fraud policy version refused; the built-in default decides');
  }

  /**
   * Before the log is read back: another process writes its decisions to the log a little after it makes them (its
   * recorder batches them), so one made just before this process began to listen may not be there yet, and its
   * broadcast went out before this process listened. Waiting `logSettleMs` from that moment (the time spent loading
   * the indicators counts) lets those writes land. On PGlite there is no other process.
   */
  private async settle(listening: number): Promise<void> {
    if (this.settings.historyRestoreMax <= 0 && this.settings.callRestoreMax <= 0) return;
    const settleMs = this.settings.logSettleMs ?? (this.kernel.db.kind === 'pglite' ? 0 : DEFAULT_LOG_SETTLE_MS);
    const wait = settleMs - (performance.now() - listening);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  /** How long an idle account's transfers are kept: twice the mule window, the longest any rule looks back. */
  private historyMs(): number {
    return this.policy.muleWindowMin * 60_000 * 2;
  }

  /**
   * Rebuilds the payment and call streams from the decision log — what a process that had been running all along
   * would hold: the transfers let through (allowed or held) within `historyMs` before this process began to listen,
   * the newest `historyRestoreMax` at most, and the risky calls within the call-then-transfer window, the newest
   * `callRestoreMax` at most, each replayed oldest first. Accounts are known by their hashes, as the log keeps them;
   * amounts are converted to tenge at today's rates (a currency no longer rated is left out). What other processes
   * share meanwhile waits and is applied after, so each stream's order holds. The module is not ready until this ends.
   */
  private async restoreHistory(): Promise<void> {
    try {
      await Promise.all([this.readBackTransfers(), this.readBackCalls()]);
    } finally {
      const arrived = this.arrivedWhileRestoring ?? [];
      this.arrivedWhileRestoring = null;
      for (const apply of arrived) apply();
    }
  }

  private async readBackTransfers(): Promise<void> {
    const max = this.settings.historyRestoreMax;
    if (max <= 0) return;
    type Row = { payer: string | null; payee: string | null; amount: string | null; currency: string | null };
    await this.readLog<Row>(
      // The partial index (decided_at, id) of migration 0007.
      `kind = 'transaction' and outcome in ('allow', 'hold')`,
      `subject->>'payerHash' as payer, subject->>'payeeHash' as payee, amount, currency`,
      this.historyMs(),
      max,
      (r, at) => {
        const amount = r.amount === null || r.currency === null ? null : toKzt(Number(r.amount), r.currency, this.settings.kztRates);
        const payer = r.payer === null ? Number.NaN : accountKeyOfHex(r.payer);
        const payee = r.payee === null ? Number.NaN : accountKeyOfHex(r.payee);
        if (amount === null || Number.isNaN(payer) || Number.isNaN(payee)) return;
        this.payments.commit({ payer, payee, amount, at, payerOpenedAt: null, payeeOpenedAt: null });
        this.restoredTransfers++;
      },
    );
    if (this.restoredTransfers > 0) this.kernel.log.info({ transfers: this.restoredTransfers, accounts: this.payments.size }, 'fraud payment stream read back from the decision log');
  }

  private async readBackCalls(): Promise<void> {
    const max = this.settings.callRestoreMax;
    if (max <= 0) return;
    type Row = { caller: string | null; called: string | null; risk: string | null };
    await this.readLog<Row>(
      // The partial index (decided_at, id) of migration 0009: a call is logged with its risk only when it has one.
      `kind = 'call' and subject ? 'risk'`,
      `subject->>'caller' as caller, subject->>'called' as called, subject->>'risk' as risk`,
      this.policy.callWindowMin * 60_000,
      max,
      (r, at) => {
        if (r.caller === null || r.called === null || !isCallRisk(r.risk)) return;
        this.calls.record(r.called, r.caller, r.risk, at);
        this.restoredCalls++;
      },
    );
    if (this.restoredCalls > 0) this.kernel.log.info({ calls: this.restoredCalls, called: this.calls.size }, 'fraud call stream read back from the decision log');
  }

  /**
   * The newest `max` decisions matching `where` in the `windowMs` before this process began to listen, oldest first,
   * page by page through a partial index on (decided_at, id), each with its time in epoch ms. The time
   * is read as epoch microseconds, a float8 that holds them exactly (a Date would cut them to milliseconds and the
   * cursor would read a row twice; parsing a Date per row was also most of a row's cost).
   */
  private async readLog<Row>(where: string, columns: string, windowMs: number, max: number, apply: (row: Row, at: number) => void): Promise<void> {
    const { db } = this.kernel;
    const window = [new Date(this.listeningSince - windowMs).toISOString(), new Date(this.listeningSince).toISOString()];
    const within = `${where} and decided_at >= $1 and decided_at < $2`;
    const us = `(extract(epoch from decided_at) * 1000000)::float8`;
    const [first] = await db.query<{ us: number; id: string }>(
      `select ${us} as us, id from fraud_decision where ${within} order by decided_at desc, id desc offset $3 limit 1`,
      [...window, max - 1],
    );
    let after: [string, string] = first ? [String(first.us), first.id] : [String((this.listeningSince - windowMs) * 1000), '00000000-0000-0000-0000-000000000000'];
    let inclusive = first !== undefined;
    for (;;) {
      const rows = await db.query<Row & { us: number; id: string }>(
        `select ${us} as us, id, ${columns}
         from fraud_decision where ${within} and (decided_at, id) ${inclusive ? '>=' : '>'} (timestamptz 'epoch' + $3::int8 * interval '1 microsecond', $4::uuid)
         order by decided_at, id limit ${RESTORE_PAGE}`,
        [...window, ...after],
      );
      for (const r of rows) apply(r, Math.floor(r.us / 1000));
      if (rows.length < RESTORE_PAGE) break;
      const last = rows[rows.length - 1];
      after = [String(last.us), last.id];
      inclusive = false;
    }
  }

  /**
   * Other processes' transfers, those decided since this process began to listen: an earlier one is the decision
   * log's to give (read back at start), and counting it from a late broadcast too would count it twice.
   */
  private applySharedTransfers(items: TransfersCommitted['items']): void {
    for (const t of items) {
      if (t.at < this.listeningSince) continue;
      this.payments.commit({ payer: t.payer, payee: t.payee, amount: t.amount, at: t.at, payerOpenedAt: null, payeeOpenedAt: null });
      this.sharedTransfers++;
    }
  }

  /** Other processes' risky calls, those screened since this process began to listen (as for transfers). */
  private applySharedCalls(items: RiskyCalls['items']): void {
    for (const c of items) {
      if (c.at < this.listeningSince) continue;
      this.calls.record(c.called, c.caller, c.risk, c.at);
      this.sharedCalls++;
    }
  }

  async stop(): Promise<void> {
    this.riskyCalls.flush();
    this.committedTransfers.flush();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const s of this.subscriptions.splice(0)) await s.unsubscribe().catch(() => {});
    await this.recorder.stop();
  }

  private lookup(kind: IdentifierKind, normalForm: string | null, at: number, digest?: Uint8Array): Match | null {
    return normalForm ? this.indicators.lookupDigest(kind, digest ?? this.digests.digest(kind, normalForm, this.scratchDigest), at) : null;
  }

  private callPolicyFor(active: ActivePolicy): CallPolicy {
    if (this.callPolicyOf !== active || !this.callPolicy) {
      this.callPolicy = { ...active.calls, degraded: this.settings.degradedCall };
      this.callPolicyOf = active;
    }
    return this.callPolicy;
  }

  /**
   * Screens a call. Without an Identity header and with a synchronous roaming check (the default) the decision is
   * made at once, without an async frame; a PASSporT to verify or an asynchronous roaming check take the async path.
   */
  screenCall(input: CallInput, origin: DecisionOrigin): Promise<CallResult> {
    try {
      const t0 = performance.now();
      const policy = this.active;
      const now = this.kernel.clock.nowMs();
      const callerListed = this.lookup('phone', input.caller, now);
      const callerIsKazakhstan = isKazakhstanNumber(input.caller);
      const roaming = input.ingress === 'international' && callerIsKazakhstan ? this.roamingCheck.isRoaming(input.caller, now) : false;
      if (input.identity || typeof roaming !== 'boolean') return this.screenCallAsync(input, origin, t0, policy, now, callerListed, callerIsKazakhstan, roaming);
      return Promise.resolve(this.decideAndRecordCall(input, origin, t0, policy, now, callerListed, callerIsKazakhstan, roaming, null));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private async screenCallAsync(
    input: CallInput,
    origin: DecisionOrigin,
    t0: number,
    policy: ActivePolicy,
    now: number,
    callerListed: Match | null,
    callerIsKazakhstan: boolean,
    roaming: boolean | Promise<boolean>,
  ): Promise<CallResult> {
    const callerRoaming = await roaming;
    let shaken: ShakenResult | null = null;
    if (input.identity) {
      shaken = await verifyIdentity(input.identity, input, now, this.fetcher, {
        anchors: this.settings.trustAnchors,
        freshnessS: this.settings.shakenFreshnessS,
        allowHttp: this.settings.shakenAllowHttp,
      });
    }
    return this.decideAndRecordCall(input, origin, t0, policy, now, callerListed, callerIsKazakhstan, callerRoaming, shaken);
  }

  private decideAndRecordCall(
    input: CallInput,
    origin: DecisionOrigin,
    t0: number,
    policy: ActivePolicy,
    now: number,
    callerListed: Match | null,
    callerIsKazakhstan: boolean,
    callerRoaming: boolean,
    shaken: ShakenResult | null,
  ): CallResult {
    const degraded = this.degraded;
    const deviceListed = input.imsi || input.imei ? worseMatch(this.lookup('imsi', input.imsi ?? null, now), this.lookup('imei', input.imei ?? null, now)) : null;
    const decision = decideCall(
      {
        caller: input.caller,
        called: input.called,
        ingress: input.ingress,
        callerIsKazakhstan,
        callerRoaming,
        callerListed,
        deviceListed,
        callerKnown: this.calls.knows(input.called, input.caller, now),
        shaken,
        degraded,
      },
      this.callPolicyFor(policy),
    );
    this.calls.record(input.called, input.caller, decision.risk, now);
    if (decision.risk) this.riskyCalls.push({ called: input.called, caller: input.caller, risk: decision.risk, at: now });
    const id = newId();
    const attestation = shaken?.ok ? shaken.attest : null;
    const policyVersion = String(policy.version);
    const latencyUs = Math.round((performance.now() - t0) * 1000);
    this.recorder.recordCall({
      id,
      outcome: decision.outcome,
      reasons: decision.reasons,
      latencyUs,
      degraded,
      policyVersion,
      partner: origin.partner,
      channel: origin.channel,
      area: origin.area,
      region: origin.area ? this.regionOf(origin.area) : null,
      decidedAt: now,
      caller: input.caller,
      called: input.called,
      ingress: input.ingress,
      trunk: input.trunk,
      attestation,
      risk: decision.risk,
      indicators: matchedIds(callerListed, deviceListed),
    });
    return { id, outcome: decision.outcome, reasons: decision.reasons, attestation, degraded, latencyUs, policyVersion };
  }

  screenTransaction(input: TxInput, origin: DecisionOrigin): TxResult {
    const t0 = performance.now();
    const active = this.active;
    const policy = active.transactions;
    const now = this.kernel.clock.nowMs();
    // The same transfer sent again gets its first decision: deciding it anew would see its own first attempt in
    // the payer's history (and record it twice). No new record is written.
    const key = `${origin.partner}\u0000${input.id}`;
    const content = transferContent(input);
    const before = this.recentTransfers.get(key, now);
    if (before && before.value.content === content) {
      this.repeatedTransfers++;
      return { ...before.value.answer, typologies: [], rules: [], repeated: true };
    }
    const conditions: Condition[] = [];
    // Each account is hashed once: for the lookup and, as bytes, for the decision log.
    const payerDigest = this.digests.digest('iban', input.payer.account);
    const payeeDigest = this.digests.digest('iban', input.payee.account);
    const payerAccount = this.lookup('iban', input.payer.account, now, payerDigest);
    if (payerAccount?.effect === 'block') conditions.push({ party: 'payer', overridable: payerAccount.overridable });
    let listed = 0;
    let payeeBlock: Match | null = null;
    const payeeMatches = [this.lookup('iban', input.payee.account, now, payeeDigest), this.lookup('phone', input.payee.phone, now), this.lookup('card', input.payee.card, now)];
    for (const m of payeeMatches) {
      if (!m) continue;
      if (m.effect === 'block') payeeBlock = payeeBlock && !payeeBlock.overridable ? payeeBlock : m;
      else listed = Math.max(listed, m.confidence);
    }
    if (payeeBlock) conditions.push({ party: 'payee', overridable: payeeBlock.overridable });
    const call = input.payer.phone ? this.calls.riskiest(input.payer.phone, now, policy.callWindowMin * 60_000) : { value: 0 };
    // Accounts are held in the stream by their keyed hashes (as numbers), as the decision log and the other processes know them.
    const transfer = {
      payer: accountKey(payerDigest),
      payee: accountKey(payeeDigest),
      amount: input.amountKzt,
      at: now,
      payerOpenedAt: input.payer.openedAt ? Date.parse(input.payer.openedAt) : null,
      payeeOpenedAt: input.payee.openedAt ? Date.parse(input.payee.openedAt) : null,
    };
    const values: Record<RuleId, number> = { ...this.payments.features(transfer, policy), listed_payee: listed, call_then_transfer: call.value };
    const degraded = this.degraded;
    const decision = decideTransaction({
      values,
      conditions,
      override: input.override,
      amount: input.amountKzt,
      degradedHoldAmount: degraded ? this.settings.degradedHoldAmount : null,
      policy,
    });
    if (decision.outcome !== 'block') {
      this.payments.commit(transfer);
      this.committedTransfers.push({ payer: transfer.payer, payee: transfer.payee, amount: transfer.amount, at: now });
    }
    const id = newId();
    const latencyUs = Math.round((performance.now() - t0) * 1000);
    this.recorder.recordTransaction({
      id,
      outcome: decision.outcome,
      score: decision.score,
      reasons: decision.reasons,
      latencyUs,
      degraded,
      policyVersion: String(active.version),
      partner: origin.partner,
      channel: origin.channel,
      area: origin.area,
      region: origin.area ? this.regionOf(origin.area) : null,
      amount: input.amount,
      currency: input.currency,
      decidedAt: now,
      transactionId: input.id,
      payerHash: payerDigest,
      payeeHash: payeeDigest,
      typologies: decision.typologies,
      indicators: matchedIds(payerAccount, ...payeeMatches),
    });
    const result: TxResult = { id, transactionId: input.id, ...decision, repeated: false, degraded, latencyUs, policyVersion: String(active.version) };
    // Kept small (a few objects, not the explanation's dozens): at thousands of transfers a second, 200,000 full
    // answers held for minutes made every major collection trace them. A repeat answers the same decision — id,
    // outcome, score, reasons — and its explanation is the decision log's.
    const { typologies: _t, rules: _r, ...answer } = result;
    this.recentTransfers.remember(key, { content, answer }, now);
    return result;
  }
}

/**
 * Items for the other processes, broadcast (`Bus.broadcast`: not stored) in one event per few milliseconds or per
 * SHARE_MAX items: screening never waits for the bus, and a lost event costs the others a little history, not a
 * decision. Stored in the stream, these would be most of its bytes — at 20,000 calls a second, 150 GB a day.
 */
class BusBatch<T> {
  private items: T[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly kernel: Kernel,
    private readonly subject: string,
    private readonly origin: string,
  ) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length >= SHARE_MAX) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), SHARE_FLUSH_MS);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const items = this.items;
    if (items.length === 0) return;
    this.items = [];
    const event: BusEvent<{ origin: string; items: T[] }> = {
      id: newId(),
      subject: this.subject,
      occurredAt: new Date().toISOString(),
      jurisdiction: null,
      permission: 'fraud:read',
      data: { origin: this.origin, items },
    };
    this.kernel.bus.broadcast(event);
  }
}

/** The ids of the indicators that matched (undefined when none did — almost every decision: nothing is allocated). */
function matchedIds(...matches: (Match | null)[]): string[] | undefined {
  let ids: string[] | undefined;
  for (const m of matches) if (m && m.ids.length > 0) ids = ids ? [...ids, ...m.ids] : m.ids;
  return ids;
}

/** The more severe of two matches: a block over a warning, else the more confident. */
function worseMatch(a: Match | null, b: Match | null): Match | null {
  if (!a || !b) return a ?? b;
  if (a.effect !== b.effect) return a.effect === 'block' ? a : b;
  return a.confidence >= b.confidence ? a : b;
}

/**
 * What makes two transfers sent under one id the same transfer — amount, currency, parties, override — as one string
 * (a card by the last four digits and length only: the number itself is not kept, and the rest already tells two
 * transfers of one id apart).
 */
function transferContent(t: TxInput): string {
  const card = t.payee.card === null ? '' : `${t.payee.card.length}:${t.payee.card.slice(-4)}`;
  return `${t.amount}|${t.currency}|${t.override}|${t.payer.account}|${t.payer.phone ?? ''}|${t.payee.account}|${t.payee.phone ?? ''}|${card}`;
}

export interface IndicatorRow {
  id: string;
  kind: IdentifierKind;
  value_hash: string;
  source: IndicatorState['source'];
  confidence: number;
  effect: IndicatorState['effect'];
  overridable: boolean;
  valid_from: Date;
  valid_until: Date | null;
  revoked_at: Date | null;
  updated_at: Date;
}

export function stateOf(r: IndicatorRow): IndicatorState {
  return {
    id: r.id,
    kind: r.kind,
    hash: r.value_hash,
    source: r.source,
    confidence: Number(r.confidence),
    effect: r.effect,
    overridable: r.overridable,
    validFrom: r.valid_from.toISOString(),
    validUntil: r.valid_until?.toISOString() ?? null,
    revoked: r.revoked_at !== null,
    updatedAt: r.updated_at.toISOString(),
  };
}
