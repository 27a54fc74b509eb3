/**
 * The event bus every module publishes to and subscribes from.
 *
 * Two implementations honour this contract: `MemoryBus` (embedded mode, one process) and
 * `NatsBus` (production, NATS JetStream). A module never knows which one it has.
 */

/** An event as it travels on the bus. `id` is unique and is what consumers dedupe by. */
export interface BusEvent<T = unknown> {
  /** UUIDv7 of the event (also its outbox row id). */
  id: string;
  /** Dotted subject, `<module>.<entity>.<verb>`, e.g. `kernel.user.created`. */
  subject: string;
  /** ISO-8601 UTC time the state change was committed. */
  occurredAt: string;
  /** KATO code of the place the event belongs to; null for national events. Used to filter streams. */
  jurisdiction: string | null;
  /** Permission a person needs to see this event on a live stream; null = any authenticated user. */
  permission: string | null;
  /** Key that orders and partitions related events (e.g. an incident id); defaults to the id. */
  key?: string;
  data: T;
}

export type BusHandler = (event: BusEvent) => Promise<void>;
/** Handles several events of a durable group at once, in order; resolving acknowledges them all. */
export type BusBatchHandler = (events: BusEvent[]) => Promise<void>;

export interface SubscribeOptions {
  /**
   * Subject filter. Exact (`kernel.user.created`), or ending in `.>` / `>` for everything below a prefix
   * (`kernel.>`), as in NATS.
   */
  subject: string;
  /**
   * Durable group name. Subscribers that share a group share the work: each event goes to exactly one
   * of them (a queue group), and the group's position survives restarts, so it replays what it missed.
   * Without a group the subscription is live only: it sees events published after it started, each
   * subscriber gets every event (fan-out), and nothing is remembered — what SSE streams use.
   */
  group?: string;
  /**
   * Without a group: receive the events `Bus.broadcast` sends on this subject (and only those), instead of the stored
   * ones.
   */
  broadcast?: boolean;
  /** With a group: where a brand-new group starts. `all` (default) replays the whole log. */
  startAt?: 'all' | 'new';
  /** Delay before an event whose handler threw is delivered again. Default 1000 ms. */
  retryDelayMs?: number;
}

export interface BatchSubscribeOptions extends SubscribeOptions {
  group: string;
  /** Most events in one call. Default 256. */
  maxBatch?: number;
}

export interface Subscription {
  /** Stops delivery to this subscriber; a durable group keeps its position. */
  unsubscribe(): Promise<void>;
}

export interface Bus {
  readonly kind: 'memory' | 'nats';
  /** Resolves once the bus has durably accepted the event (JetStream ack). Publishing the same id twice is a no-op. */
  publish(event: BusEvent): Promise<void>;
  /**
   * Sends an event at once to the `broadcast` subscribers of its subject in every process, and keeps nothing: it is
   * not stored, never replayed, unseen by durable groups and by ordinary live subscribers, and lost to a process that
   * is not listening or not connected. For observations other processes hold in memory and can miss for a moment (a
   * stream of calls or transfers at thousands a second), where storing each would cost more than it is worth: on
   * NATS, a stream of them would fill the JetStream stream's disk and push out the events that matter.
   */
  broadcast(event: BusEvent): void;
  /** A handler that throws gets the event again after `retryDelayMs`; one that resolves acknowledges it. */
  subscribe(options: SubscribeOptions, handler: BusHandler): Promise<Subscription>;
  /**
   * A durable group member that takes its events in batches: whatever has arrived while the previous batch
   * was being handled (up to `maxBatch`), in order, one batch at a time — so a handler can write many events
   * in one transaction. When a batch's handler throws, its events are handled again one by one, so a poison
   * event holds up only itself; each of those that throws is redelivered after `retryDelayMs`.
   */
  subscribeBatch(options: BatchSubscribeOptions, handler: BusBatchHandler): Promise<Subscription>;
  /** Throws when the bus cannot be reached (readiness probe). */
  ping(): Promise<void>;
  /** Drains in-flight handlers, then closes. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_BATCH = 256;

/** True when `subject` matches the NATS-style `filter` (`*` one token, `>` the rest). */
export function subjectMatches(filter: string, subject: string): boolean {
  if (filter === '>' || filter === subject) return true;
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (f[i] !== '*' && f[i] !== s[i]) return false;
  }
  return f.length === s.length;
}
