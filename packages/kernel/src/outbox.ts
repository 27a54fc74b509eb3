import type { Logger } from 'pino';
import { type AuditEntry, appendAudit, auditInsert } from './audit/log.ts';
import { type Bus, type BusEvent, subjectMatches } from './bus/types.ts';
import type { Clock } from './clock.ts';
import type { Db, Queryable, Tx } from './db/types.ts';
import { newId } from './ids.ts';
import { BatchWorker } from './worker.ts';

export interface NewEvent<T = unknown> {
  subject: string;
  data: T;
  jurisdiction?: string | null;
  permission?: string | null;
  key?: string;
}

/** What a command gets inside its transaction: the transaction, plus audit and event writers bound to it. */
export interface UnitOfWork {
  tx: Tx;
  now: Date;
  /** Appends to the audit chain; `actor` and `requestId` default to the command's. */
  audit(entry: Omit<AuditEntry, 'actor' | 'requestId'> & Partial<Pick<AuditEntry, 'actor' | 'requestId'>>): Promise<void>;
  /** Queues an event for the outbox relay; returns the event id. */
  emit<T>(event: NewEvent<T>): Promise<string>;
}

export interface CommandContext {
  actor: string;
  requestId?: string | null;
}

export async function writeOutbox(tx: Queryable, event: NewEvent, at: Date): Promise<string> {
  const id = newId();
  await writeOutboxRows(tx, [{ id, event }], at);
  return id;
}

/** Writes several events in one statement, in the given order (their `seq` follows it). */
export async function writeOutboxRows(tx: Queryable, rows: readonly { id: string; event: NewEvent }[], at: Date): Promise<void> {
  if (rows.length === 0) return;
  const { sql, params } = outboxInsert(rows, at, 0);
  await tx.query(sql, params);
}

/** The statement `writeOutboxRows` runs, with its parameters numbered from `offset + 1`. */
function outboxInsert(rows: readonly { id: string; event: NewEvent }[], at: Date, offset: number): { sql: string; params: unknown[] } {
  const p = (n: number) => `$${offset + n}`;
  return {
    sql: `insert into kernel_outbox (id, subject, key, jurisdiction, permission, payload, occurred_at)
     select id, subject, key, jurisdiction, permission, payload, ${p(7)}::timestamptz
     from unnest(${p(1)}::uuid[], ${p(2)}::text[], ${p(3)}::text[], ${p(4)}::text[], ${p(5)}::text[], ${p(6)}::jsonb[])
       with ordinality as e(id, subject, key, jurisdiction, permission, payload, n)
     order by n`,
    params: [
      rows.map((r) => r.id),
      rows.map((r) => r.event.subject),
      rows.map((r) => r.event.key ?? r.id),
      rows.map((r) => r.event.jurisdiction ?? null),
      rows.map((r) => r.event.permission ?? null),
      rows.map((r) => JSON.stringify(r.event.data ?? null)),
      at.toISOString(),
    ],
  };
}

/** A command's events and audit records in one statement (two data-modifying CTEs): one round trip, not two. */
async function writeEventsAndAudit(tx: Queryable, events: readonly { id: string; event: NewEvent }[], entries: readonly AuditEntry[], at: Date): Promise<void> {
  if (events.length === 0 || entries.length === 0) {
    // Both statements (either may be none) are sent before either answer is awaited.
    await Promise.all([writeOutboxRows(tx, events, at), appendAudit(tx, [...entries], at)]);
    return;
  }
  const outbox = outboxInsert(events, at, 0);
  const audit = auditInsert(entries, at, outbox.params.length);
  await tx.query(`with events as (${outbox.sql}), audit as (${audit.sql}) select 1`, [...outbox.params, ...audit.params]);
}

/**
 * A consumer that runs inside the transaction of the command that emitted its events, instead of after the bus
 * delivers them: its effects commit with the command's, or neither does. For a step that must never lag the
 * command (a citizen's report and the incident it becomes), at the price that its failure fails the command.
 */
export interface Reaction {
  /** Subject filter, as for the bus (`reports.report.submitted`, `dispatch.>`). */
  subject: string;
  /** Names the reaction; its audit records default to the actor `system:<name>`. */
  name: string;
  /** Gets the command's matching events in the order they were emitted; may write, audit and emit. */
  react(uow: UnitOfWork, events: BusEvent[]): Promise<void>;
}

/** Events that reactions emit are reacted to in turn; a chain deeper than this is a loop, and fails the command. */
const MAX_REACTION_ROUNDS = 8;

/**
 * The command path: state, audit record and event are written in one transaction, so either all three
 * happen or none. Registered reactions run on the command's events before they are written. After commit the
 * relay is nudged to publish at once.
 */
export class Commands {
  private readonly reactions: Reaction[] = [];

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly relay?: { poke(): void },
  ) {}

  /** Registers a reaction for every command of this process from now on. */
  addReaction(reaction: Reaction): void {
    if (this.reactions.some((r) => r.name === reaction.name)) throw new Error(`reaction ${reaction.name} is registered already`);
    this.reactions.push(reaction);
  }

  async run<T>(ctx: CommandContext, fn: (uow: UnitOfWork) => Promise<T>): Promise<T> {
    let emitted = false;
    const result = await this.db.transaction(async (tx) => {
      const now = this.clock.now();
      // Events and audit records are written as the transaction's last statements, each kind in one insert, so a
      // command that emits many pays one round trip. The audit records are chained by the database at commit
      // (`appendAudit`): no lock is taken here.
      const entries: AuditEntry[] = [];
      const events: { id: string; event: NewEvent }[] = [];
      const unitOfWork = (actor: string): UnitOfWork => ({
        tx,
        now,
        audit: async (entry) => {
          entries.push({ actor, requestId: ctx.requestId ?? null, ...entry });
        },
        emit: async (event) => {
          const id = newId();
          events.push({ id, event });
          return id;
        },
      });
      const out = await fn(unitOfWork(ctx.actor));
      await this.react(events, now, unitOfWork);
      // The last write is sent, not awaited: the database adapter sends COMMIT right behind it (one round trip for
      // both) and fails the transaction with this write's error if it failed (db/in-flight.ts).
      writeEventsAndAudit(tx, events, entries, now).catch(() => {});
      emitted = events.length > 0;
      return out;
    });
    if (emitted) this.relay?.poke();
    return result;
  }

  /** Hands each reaction the events it matches, round after round, until no reaction emits anything new. */
  private async react(events: { id: string; event: NewEvent }[], now: Date, unitOfWork: (actor: string) => UnitOfWork): Promise<void> {
    if (this.reactions.length === 0) return;
    let from = 0;
    for (let round = 0; from < events.length; round++) {
      if (round === MAX_REACTION_ROUNDS) {
        throw new Error(`reactions did not settle after ${MAX_REACTION_ROUNDS} rounds (last subjects: ${events.slice(from).map((e) => e.event.subject).join(', ')})`);
      }
      // Only events some reaction wants are copied, as the bus would deliver them: the data as its JSON, so no
      // reaction sees (or changes) the emitter's object.
      const fresh = events
        .slice(from)
        .filter(({ event }) => this.reactions.some((r) => subjectMatches(r.subject, event.subject)))
        .map(({ id, event }): BusEvent => ({
          id,
          subject: event.subject,
          key: event.key ?? id,
          occurredAt: now.toISOString(),
          jurisdiction: event.jurisdiction ?? null,
          permission: event.permission ?? null,
          data: JSON.parse(JSON.stringify(event.data ?? null)),
        }));
      from = events.length;
      for (const reaction of this.reactions) {
        const matching = fresh.filter((e) => subjectMatches(reaction.subject, e.subject));
        if (matching.length > 0) await reaction.react(unitOfWork(`system:${reaction.name}`), matching);
      }
    }
  }
}

/** Arbitrary constant: the advisory lock held by the process that is relaying. */
export const RELAY_LOCK = 7_461_003;

interface OutboxRow {
  seq: number;
  id: string;
  subject: string;
  key: string;
  jurisdiction: string | null;
  permission: string | null;
  payload: unknown;
  occurred_at: Date;
}

/** A bus that says when every durable group has handled an event (the in-process `MemoryBus`). */
interface SettlingBus extends Bus {
  onAcknowledged(listener: (events: BusEvent[]) => void): void;
}

const settles = (bus: Bus): bus is SettlingBus => typeof (bus as Partial<SettlingBus>).onAcknowledged === 'function';

/**
 * Publishes committed outbox rows to the bus, oldest first, and marks them published. Rows are claimed with
 * `for update skip locked`, so several processes relay side by side without publishing a row twice; a crash
 * between publish and mark re-publishes with the same event id, which the bus de-duplicates.
 * Events that share a key are published in order; different keys go in parallel.
 *
 * On NATS a row is published once JetStream has stored it. The in-process bus of embedded mode keeps its events in
 * this process's memory, so there a row is marked published only when every durable group has handled it (the bus
 * tells, `onAcknowledged`); until then the relay remembers how far it has handed rows over. After a crash, rows
 * handed over but not yet handled everywhere are published again, and consumers, deduping by event id, apply each
 * once — so what a command committed always reaches its consumers.
 */
export class OutboxRelay {
  private readonly worker: BatchWorker;
  published = 0;
  /** Embedded: the highest seq handed to the bus in this process, the rows handed and not yet acknowledged by every group, and those acknowledged, to mark. */
  private deferMarking = false;
  private handedThrough = 0;
  private readonly handed = new Set<string>();
  private acknowledged: string[] = [];

  constructor(
    private readonly db: Db,
    private readonly bus: Bus,
    log: Logger,
    private readonly batch = 500,
    intervalMs = 250,
  ) {
    this.worker = new BatchWorker(() => this.relayOnce(), { batch, intervalMs, log, name: 'outbox relay' });
    if (settles(bus)) {
      this.deferMarking = true;
      bus.onAcknowledged((events) => {
        for (const e of events) if (this.handed.delete(e.id)) this.acknowledged.push(e.id);
        if (this.acknowledged.length > 0) this.poke();
      });
    }
  }

  start(): void {
    this.worker.start();
  }

  /** Relays now (coalescing concurrent calls). */
  poke(): void {
    this.worker.poke();
  }

  /** Publishes one batch (and, embedded, marks what the bus has delivered everywhere); returns how many rows it did either to. */
  async relayOnce(): Promise<number> {
    const marking = this.acknowledged;
    this.acknowledged = [];
    try {
      return await this.db.transaction(async (tx) => {
        // One relay at a time across all processes, so events of one key never overtake each other even when
        // they fall into different batches. A process that does not get the lock leaves the work to the holder.
        // The lock is taken in the statement that reads the batch (one round trip fewer per pass): the read runs
        // only when it was granted, and the one row with `ok` alone says so when there is nothing to read. The read
        // is a function (kernel migration 0003) that walks the pending index, stepping over rows earlier passes
        // found published, however long since autovacuum last came.
        const read = await tx.query<OutboxRow & { ok: boolean }>(
          'select ok, seq, id, subject, key, jurisdiction, permission, payload, occurred_at from kernel_outbox_claim($1, $2, $3)',
          [this.batch, this.handedThrough, RELAY_LOCK],
        );
        if (!read[0]?.ok) {
          this.acknowledged.unshift(...marking);
          return 0;
        }
        if (marking.length > 0) await tx.query('update kernel_outbox set published_at = now() where id = any($1::uuid[])', [marking]);
        const rows = read[0].id === null ? [] : read;
        if (rows.length === 0) return marking.length;
        const chains = new Map<string, Promise<void>>();
        for (const r of rows) {
          const event: BusEvent = {
            id: r.id,
            subject: r.subject,
            key: r.key,
            occurredAt: new Date(r.occurred_at).toISOString(),
            jurisdiction: r.jurisdiction,
            permission: r.permission,
            data: r.payload,
          };
          if (this.deferMarking) this.handed.add(r.id);
          const prev = chains.get(r.key) ?? Promise.resolve();
          chains.set(r.key, prev.then(() => this.bus.publish(event)));
        }
        await Promise.all(chains.values());
        if (this.deferMarking) this.handedThrough = Number(rows[rows.length - 1].seq);
        else await tx.query('update kernel_outbox set published_at = now() where id = any($1::uuid[])', [rows.map((r) => r.id)]);
        this.published += rows.length;
        return rows.length + marking.length;
      });
    } catch (e) {
      // Not marked this time: the next pass tries again (a row left unmarked is at worst published again).
      this.acknowledged.unshift(...marking);
      throw e;
    }
  }

  /** Stops the timer and publishes everything still pending (graceful shutdown). */
  async stop(): Promise<void> {
    await this.worker.stop();
    while ((await this.relayOnce()) > 0) {}
  }

  /**
   * Embedded, after the bus has drained at shutdown: marks what its groups handled since the last pass, so the next
   * start does not publish it again. Nothing to do on NATS.
   */
  async markAcknowledged(): Promise<void> {
    const ids = this.acknowledged;
    this.acknowledged = [];
    if (ids.length > 0) await this.db.query('update kernel_outbox set published_at = now() where id = any($1::uuid[])', [ids]);
  }

  /**
   * Deletes what is no longer needed: published events and handled-event marks after `retentionDays`
   * (longer than any redelivery window), and idempotency records after a day.
   */
  async prune(retentionDays = 7): Promise<void> {
    await this.db.query(`delete from kernel_outbox where published_at < now() - make_interval(days => $1)`, [retentionDays]);
    await this.db.query(`delete from kernel_inbox where handled_at < now() - make_interval(days => $1)`, [retentionDays]);
    await this.db.query(`delete from kernel_idempotency where created_at < now() - interval '1 day'`);
  }

  async pending(): Promise<number> {
    const [r] = await this.db.query<{ n: number }>('select count(*)::int8 as n from kernel_outbox where published_at is null');
    return r.n;
  }
}

/**
 * The batch form of `handleOnce`, inside the caller's transaction: records every event id of the batch in the
 * inbox in one statement and returns the events not handled before (in their order), for the caller to apply in
 * the same transaction.
 */
export async function markHandled(tx: Queryable, consumer: string, events: readonly BusEvent[]): Promise<BusEvent[]> {
  if (events.length === 0) return [];
  const rows = await tx.query<{ event_id: string }>(
    `insert into kernel_inbox (consumer, event_id) select $1, id from unnest($2::uuid[]) as u(id)
     on conflict do nothing returning event_id`,
    [consumer, events.map((e) => e.id)],
  );
  const fresh = new Set(rows.map((r) => r.event_id));
  const seen = new Set<string>();
  // An id twice in one batch (a redelivery racing its original) is applied once.
  return events.filter((e) => fresh.has(e.id) && !seen.has(e.id) && seen.add(e.id));
}

/**
 * Runs `fn` once per (consumer, event): records the event id in the inbox in the same transaction as the
 * effect, so a redelivered event is skipped. Returns false when the event had been handled already.
 */
export async function handleOnce(db: Db, consumer: string, event: BusEvent, fn: (tx: Tx) => Promise<void>): Promise<boolean> {
  return db.transaction(async (tx) => {
    const inserted = await tx.query(
      'insert into kernel_inbox (consumer, event_id) values ($1, $2) on conflict do nothing returning event_id',
      [consumer, event.id],
    );
    if (inserted.length === 0) return false;
    await fn(tx);
    return true;
  });
}
