import { createHash } from 'node:crypto';
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  StorageType,
} from '@nats-io/jetstream';
import natsInternals from '@nats-io/nats-core/internal';
import { connect, type NatsConnection, nanos } from '@nats-io/transport-node';
import type { BatchSubscribeOptions, Bus, BusBatchHandler, BusEvent, BusHandler, SubscribeOptions, Subscription } from './types.ts';
import { DEFAULT_MAX_BATCH, subjectMatches } from './types.ts';

/**
 * nats-core 3.4 ends every answered request (each JetStream publish is one) by rejecting its already-resolved promise
 * with a new Error, stack trace and all, that nobody can see: about 3 % of the server's CPU at a thousand reports a
 * second. One shared error does the same job. A request cancelled while still waiting gets it too (its message is the
 * same); timeouts and connection errors are made elsewhere and keep their own.
 */
const CANCELLED = new natsInternals.RequestError('cancelled');
const cancelRequest = natsInternals.RequestOne.prototype.cancel;
natsInternals.RequestOne.prototype.cancel = function cancel(this: InstanceType<typeof natsInternals.RequestOne>, err?: Error) {
  cancelRequest.call(this, err ?? CANCELLED);
};

export interface NatsBusOptions {
  /** e.g. `nats://127.0.0.1:4222`; several servers may be given comma-separated. */
  url: string;
  /** JetStream stream holding the events. Default `TARTIP`. */
  stream?: string;
  /** First subject token: the event `kernel.user.created` travels as `<prefix>.kernel.user.created`. Default `tartip`. */
  subjectPrefix?: string;
  /** Connection name shown in the NATS monitoring endpoints. */
  name?: string;
  /** Credentials, when the server requires them. */
  user?: string;
  pass?: string;
  token?: string;
  /** Stream replicas: 3 on a 3-node cluster, so the log survives losing a node. Unset: left as it is (1 when created). */
  replicas?: number;
}

/** Publishing the same event id again within this window is dropped by the server. */
const DUPLICATE_WINDOW_MS = 2 * 60_000;
/** A delivered event not acknowledged within this time is delivered again (to any member of the group). */
const ACK_WAIT_MS = 30_000;
/** While a handler runs, tell the server every so often that it is still being worked on. */
const WORKING_EVERY_MS = 10_000;
/**
 * Events a group member pulls ahead of the one it is handling. Small, so that work spreads evenly over
 * members and buffered events do not sit out their ack wait behind a slow handler.
 */
const PULL_BATCH = 10;
const PING_TIMEOUT_MS = 2_000;

interface LiveSub {
  filter: string;
  handler: BusHandler;
  /** Stream sequence at subscribe time: only events stored after it are delivered. */
  after: number;
  active: boolean;
}

/**
 * The bus on NATS JetStream. All events live in one stream capturing `<prefix>.>`; a durable group is a
 * durable pull consumer (its members pull from it, so each event goes to one member, and its position
 * survives restarts), while live subscribers share one ephemeral ordered consumer per connection that
 * fans out in-process.
 */
export class NatsBus implements Bus {
  readonly kind = 'nats' as const;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly stoppers = new Set<() => Promise<void>>();
  private readonly liveSubs = new Set<LiveSub>();
  private liveStarted?: Promise<void>;
  private closed = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly stream: string,
    readonly prefix: string,
  ) {}

  static async connect(opts: NatsBusOptions): Promise<NatsBus> {
    const stream = opts.stream ?? 'TARTIP';
    const prefix = opts.subjectPrefix ?? 'tartip';
    // Initial connect fails fast (so a misconfigured server is noticed); once up, reconnect forever.
    const nc = await connect({
      servers: opts.url.split(','),
      name: opts.name,
      maxReconnectAttempts: -1,
      // Every request (each JetStream publish is one) would otherwise build an Error up front to carry the
      // caller's stack should it time out: a few per cent of the server's CPU at thousands of events a second.
      noAsyncTraces: true,
      user: opts.user,
      pass: opts.pass,
      token: opts.token,
    });
    try {
      const jsm = await jetstreamManager(nc);
      // Replicas are set only when asked for, so an operator's `nats stream edit --replicas 3` is not undone.
      const config = {
        subjects: [`${prefix}.>`],
        duplicate_window: nanos(DUPLICATE_WINDOW_MS),
        ...(opts.replicas ? { num_replicas: opts.replicas } : {}),
      };
      try {
        await jsm.streams.info(stream);
        await jsm.streams.update(stream, config);
      } catch (err) {
        if (!isApiError(err, JetStreamApiCodes.StreamNotFound)) throw err;
        await jsm.streams.add({ name: stream, storage: StorageType.File, ...config });
      }
      return new NatsBus(nc, jetstream(nc), jsm, stream, prefix);
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  async publish(event: BusEvent): Promise<void> {
    if (this.closed) throw new Error('bus is closed');
    // msgID makes the server drop a second publish of the same event id (within the duplicate window).
    await this.js.publish(`${this.prefix}.${event.subject}`, JSON.stringify(event), {
      msgID: event.id,
      expect: { streamName: this.stream },
    });
  }

  /** Core NATS, outside the stream: `<prefix>-broadcast.<subject>` is not captured by `<prefix>.>`. */
  broadcast(event: BusEvent): void {
    if (this.closed || this.nc.isClosed()) return;
    try {
      this.nc.publish(`${this.prefix}-broadcast.${event.subject}`, JSON.stringify(event));
    } catch {
      // Disconnected past the client's buffer: a broadcast may be lost by design.
    }
  }

  async subscribe(options: SubscribeOptions, handler: BusHandler): Promise<Subscription> {
    if (this.closed) throw new Error('bus is closed');
    if (!options.group && options.broadcast) return this.subscribeBroadcast(options, handler);
    if (!options.group) return this.subscribeLive(options, handler);
    return this.subscribeGroup({ ...options, group: options.group, maxBatch: 1 }, (events) => handler(events[0]));
  }

  async subscribeBatch(options: BatchSubscribeOptions, handler: BusBatchHandler): Promise<Subscription> {
    if (this.closed) throw new Error('bus is closed');
    return this.subscribeGroup(options, handler);
  }

  async ping(): Promise<void> {
    if (this.closed || this.nc.isClosed()) throw new Error('bus is closed');
    // rtt() round-trips to the server; while disconnected it would wait for the reconnect, hence the timeout.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`NATS did not answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.nc.rtt(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Stop pulling; each consumer loop finishes the handler it is in and hands back what it had buffered.
    await Promise.allSettled([...this.stoppers].map((stop) => stop()));
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    // drain() flushes pending acks/naks before closing the connection; it rejects if the connection is already gone.
    await this.nc.drain().catch(() => this.nc.close());
  }

  /**
   * A member of a durable group: a durable pull consumer named after the group. Messages the client has pulled
   * are handed to `handler` in batches: a batch is what has arrived by the time the previous one is done.
   */
  private async subscribeGroup(options: BatchSubscribeOptions, handler: BusBatchHandler): Promise<Subscription> {
    const { group } = options;
    const durable = consumerName(group);
    const filter = `${this.prefix}.${options.subject}`;
    const retryDelayMs = options.retryDelayMs ?? 1000;
    const maxBatch = Math.max(1, options.maxBatch ?? DEFAULT_MAX_BATCH);
    try {
      const info = await this.jsm.consumers.info(this.stream, durable);
      // Where a group starts is fixed at creation; its filter may follow the code.
      if (info.config.filter_subject !== filter) {
        await this.jsm.consumers.update(this.stream, durable, { filter_subject: filter });
      }
    } catch (err) {
      if (!isApiError(err, JetStreamApiCodes.ConsumerNotFound)) throw err;
      // Creating a consumer with an identical config is idempotent, so members racing here all succeed.
      await this.jsm.consumers.add(this.stream, {
        durable_name: durable,
        filter_subject: filter,
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(ACK_WAIT_MS),
        deliver_policy: options.startAt === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
        max_deliver: -1,
        // Enough unacknowledged events for a full batch (plus the next one filling up) to be in flight.
        max_ack_pending: Math.max(1000, maxBatch * 4),
      });
    }
    const consumer = await this.js.consumers.get(this.stream, durable);

    let active = true;
    let messages: ConsumerMessages | undefined;
    const buffer: JsMsg[] = [];
    let flushing: Promise<void> | null = null;
    // One batch at a time, in arrival order; started on the next turn of the event loop, so the messages the
    // client already holds all join it.
    const flush = (): Promise<void> => {
      flushing ??= (async () => {
        await new Promise((r) => setImmediate(r));
        while (buffer.length > 0) await this.handleGroupBatch(buffer.splice(0, maxBatch), handler, retryDelayMs);
      })().finally(() => {
        flushing = null;
        // A message that arrived after the last check but before this line must not wait for the next one.
        if (buffer.length > 0) void flush();
      });
      return flushing;
    };
    const loop = (async () => {
      // consume() recovers from disconnects by itself; if it still ends while we are subscribed
      // (e.g. the consumer was deleted under us), start it again after a pause.
      while (active && !this.closed) {
        try {
          messages = await consumer.consume({ max_messages: maxBatch === 1 ? PULL_BATCH : maxBatch * 2 });
          if (!active) await messages.close();
          for await (const m of messages) {
            // After unsubscribe: give buffered events back at once so another member takes them.
            if (!active) {
              m.nak();
              continue;
            }
            buffer.push(m);
            const pending = flush();
            if (buffer.length >= maxBatch) await pending; // a full batch waits: pull no further ahead
          }
          await flushing;
        } catch {
          // fall through to the retry pause
        }
        if (active && !this.closed) await sleep(1000);
      }
    })();
    this.track(loop);

    const stop = async () => {
      if (!active) return;
      active = false;
      this.stoppers.delete(stop);
      await messages?.close();
      await loop;
      await flushing;
    };
    this.stoppers.add(stop);
    return { unsubscribe: stop };
  }

  private async handleGroupBatch(msgs: JsMsg[], handler: BusBatchHandler, retryDelayMs: number): Promise<void> {
    const batch: { m: JsMsg; event: BusEvent }[] = [];
    for (const m of msgs) {
      try {
        batch.push({ m, event: m.json<BusEvent>() });
      } catch {
        m.term('not a JSON bus event'); // never deliverable: do not retry forever
      }
    }
    if (batch.length === 0) return;
    const keepAlive = setInterval(() => {
      for (const { m } of batch) m.working();
    }, WORKING_EVERY_MS);
    try {
      try {
        await handler(batch.map((b) => b.event));
        for (const { m } of batch) m.ack();
        return;
      } catch {
        if (batch.length === 1) {
          batch[0].m.nak(retryDelayMs);
          return;
        }
      }
      // The batch failed as a whole: each event on its own, so only the one that fails is retried.
      for (const { m, event } of batch) {
        try {
          await handler([event]);
          m.ack();
        } catch {
          m.nak(retryDelayMs);
        }
      }
    } finally {
      clearInterval(keepAlive);
    }
  }

  /** A broadcast subscriber: a core NATS subscription, nothing stored or acknowledged; a bad message is skipped. */
  private async subscribeBroadcast(options: SubscribeOptions, handler: BusHandler): Promise<Subscription> {
    const sub = this.nc.subscribe(`${this.prefix}-broadcast.${options.subject}`, {
      callback: (err, msg) => {
        if (err) return;
        let event: BusEvent;
        try {
          event = JSON.parse(msg.string()) as BusEvent;
        } catch {
          return;
        }
        const p = handler(event).catch(() => {});
        this.inflight.add(p);
        void p.finally(() => this.inflight.delete(p));
      },
    });
    // The server knows of the subscription once this resolves: a broadcast sent after it is delivered.
    await this.nc.flush();
    return { unsubscribe: async () => sub.unsubscribe() };
  }

  /** A live subscriber: served by the connection's shared ordered consumer, from the current end of the stream. */
  private async subscribeLive(options: SubscribeOptions, handler: BusHandler): Promise<Subscription> {
    const { state } = await this.jsm.streams.info(this.stream);
    const sub: LiveSub = { filter: options.subject, handler, after: state.last_seq, active: true };
    // The shared consumer starts right after the first subscriber's position, so it never misses what a
    // later subscriber (whose `after` can only be higher) is owed.
    this.liveStarted ??= this.startLive(state.last_seq + 1);
    try {
      await this.liveStarted;
    } catch (err) {
      this.liveStarted = undefined;
      throw err;
    }
    this.liveSubs.add(sub);
    return {
      unsubscribe: async () => {
        sub.active = false;
        this.liveSubs.delete(sub);
      },
    };
  }

  private async startLive(fromSeq: number): Promise<void> {
    // An ordered consumer is ephemeral, in-memory on the server, and recreated by the client at the right
    // sequence after a disconnect or a gap, so live subscribers neither miss nor repeat stored events.
    const consumer = await this.js.consumers.get(this.stream, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: fromSeq,
    });
    const messages = await consumer.consume();
    const loop = (async () => {
      try {
        for await (const m of messages) {
          let event: BusEvent;
          try {
            event = m.json<BusEvent>();
          } catch {
            continue;
          }
          for (const sub of this.liveSubs) {
            if (sub.active && m.seq > sub.after && subjectMatches(sub.filter, event.subject)) {
              // Handlers run concurrently; their errors are swallowed (live views are best-effort).
              this.track(Promise.resolve().then(() => sub.handler(event)).catch(() => {}));
            }
          }
        }
      } catch {
        // The iterator only fails when the connection closes for good.
      }
    })();
    this.track(loop);
    this.stoppers.add(async () => {
      await messages.close();
      await loop;
    });
  }

  private track(p: Promise<unknown>): void {
    this.inflight.add(p);
    void p.catch(() => {}).finally(() => this.inflight.delete(p));
  }
}

/**
 * A valid, stable consumer name for a group: NATS forbids whitespace, `.`, `*`, `>`, path separators
 * and more. Names that had to change get a short hash of the original, so `a.b` and `a_b` stay distinct.
 */
export function consumerName(group: string): string {
  const safe = group.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 100);
  if (safe === group) return safe;
  return `${safe}_${createHash('sha256').update(group).digest('hex').slice(0, 8)}`;
}

function isApiError(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
