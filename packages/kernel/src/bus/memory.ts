import type { BatchSubscribeOptions, Bus, BusBatchHandler, BusEvent, BusHandler, SubscribeOptions, Subscription } from './types.ts';
import { DEFAULT_MAX_BATCH, subjectMatches } from './types.ts';

interface Member {
  handler: BusBatchHandler;
  maxBatch: number;
  active: boolean;
}

interface Group {
  name: string;
  filter: string;
  /** Absolute index (see `MemoryBus.base`) of the next event this group has not yet acknowledged. */
  position: number;
  members: Member[];
  next: number;
  running: boolean;
  retryDelayMs: number;
}

/** A group joining late still finds at least this many of the latest events (beyond any not yet acknowledged). */
const RETAINED = 10_000;
/** The log is cut in steps of at least this many events, so cutting costs little per event. */
const CUT_EVERY = 1_024;

/**
 * In-process bus for embedded mode. It keeps in memory every event some durable group has yet to acknowledge,
 * plus the latest 10,000, which a group joining late replays. Across restarts the outbox table is the durable
 * log: `onAcknowledged` tells the outbox relay which events every group has handled, and only those are marked
 * published — so an event this process took but had not yet delivered everywhere when it died is published again
 * at the next start, and consumers, which dedupe by event id, apply it once.
 */
export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  /** The retained events; `log[0]` has the absolute index `base`. */
  private log: BusEvent[] = [];
  private base = 0;
  /** Absolute index: every event before it has been acknowledged by every group (or no group wanted it). */
  private settled = 0;
  private readonly acknowledgedListeners: ((events: BusEvent[]) => void)[] = [];
  private readonly seen = new Set<string>();
  private readonly groups = new Map<string, Group>();
  private readonly live = new Set<{ filter: string; handler: BusHandler; active: boolean }>();
  private readonly broadcasts = new Set<{ filter: string; handler: BusHandler; active: boolean }>();
  private readonly inflight = new Set<Promise<void>>();
  private closed = false;

  async publish(event: BusEvent): Promise<void> {
    if (this.closed) throw new Error('bus is closed');
    if (this.seen.has(event.id)) return;
    this.seen.add(event.id);
    this.log.push(event);
    for (const sub of this.live) {
      if (sub.active && subjectMatches(sub.filter, event.subject)) this.track(this.deliverLive(sub, event));
    }
    for (const group of this.groups.values()) this.pump(group);
    this.settle();
  }

  broadcast(event: BusEvent): void {
    if (this.closed) return;
    for (const sub of this.broadcasts) {
      if (sub.active && subjectMatches(sub.filter, event.subject)) this.track(Promise.resolve().then(() => this.deliverLive(sub, event)));
    }
  }

  /**
   * Calls `listener` with events, in publishing order, once every durable group known to this bus has handled
   * them or passed them by (a group keeps its position while it has no members, so it holds them back).
   */
  onAcknowledged(listener: (events: BusEvent[]) => void): void {
    this.acknowledgedListeners.push(listener);
  }

  /** How many events are held in memory (what the bounded log keeps). */
  get retained(): number {
    return this.log.length;
  }

  private get end(): number {
    return this.base + this.log.length;
  }

  /** Reports what every group has now acknowledged, and cuts the log down to what may still be needed. */
  private settle(): void {
    let lowest = this.end;
    for (const group of this.groups.values()) lowest = Math.min(lowest, group.position);
    if (lowest > this.settled) {
      const events = this.log.slice(this.settled - this.base, lowest - this.base);
      this.settled = lowest;
      for (const listener of this.acknowledgedListeners) listener(events);
    }
    const cut = Math.min(lowest, this.end - RETAINED) - this.base;
    if (cut >= CUT_EVERY) {
      for (let i = 0; i < cut; i++) this.seen.delete(this.log[i].id);
      this.log = this.log.slice(cut);
      this.base += cut;
    }
  }

  async subscribe(options: SubscribeOptions, handler: BusHandler): Promise<Subscription> {
    if (options.group) return this.join({ ...options, group: options.group, maxBatch: 1 }, (events) => handler(events[0]));
    const sub = { filter: options.subject, handler, active: true };
    const set = options.broadcast ? this.broadcasts : this.live;
    set.add(sub);
    return {
      unsubscribe: async () => {
        sub.active = false;
        set.delete(sub);
      },
    };
  }

  async subscribeBatch(options: BatchSubscribeOptions, handler: BusBatchHandler): Promise<Subscription> {
    return this.join(options, handler);
  }

  private async join(options: BatchSubscribeOptions, handler: BusBatchHandler): Promise<Subscription> {
    let group = this.groups.get(options.group);
    if (!group) {
      group = {
        name: options.group,
        filter: options.subject,
        position: options.startAt === 'new' ? this.end : this.base,
        members: [],
        next: 0,
        running: false,
        retryDelayMs: options.retryDelayMs ?? 1000,
      };
      this.groups.set(options.group, group);
    }
    const member: Member = { handler, maxBatch: Math.max(1, options.maxBatch ?? DEFAULT_MAX_BATCH), active: true };
    group.members.push(member);
    this.pump(group);
    const g = group;
    return {
      unsubscribe: async () => {
        member.active = false;
        g.members = g.members.filter((m) => m !== member);
      },
    };
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('bus is closed');
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    this.live.clear();
    this.broadcasts.clear();
    this.groups.clear();
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async deliverLive(sub: { handler: BusHandler; active: boolean }, event: BusEvent): Promise<void> {
    try {
      await sub.handler(event);
    } catch {
      // Live subscribers (SSE) get no redelivery: they are best-effort views of durable state.
    }
  }

  /**
   * Delivers the group's pending events in order, round-robin over its members, each taking up to its batch
   * size. A failed batch is handled again one event at a time; a failing event is retried (after the group's
   * delay) until it succeeds, and the events behind it wait — the group's position only moves forward.
   */
  private pump(group: Group): void {
    if (group.running || this.closed) return;
    group.running = true;
    const run = async () => {
      try {
        while (!this.closed && group.position < this.end && group.members.length > 0) {
          const member = group.members[group.next++ % group.members.length];
          const batch: BusEvent[] = [];
          const at: number[] = [];
          let end = group.position;
          while (end < this.end && batch.length < member.maxBatch) {
            const event = this.log[end - this.base];
            if (subjectMatches(group.filter, event.subject)) {
              batch.push(event);
              at.push(end);
            }
            end++;
          }
          if (batch.length === 0) {
            group.position = end;
            this.settle();
            continue;
          }
          try {
            await member.handler(batch);
            group.position = end;
            this.settle();
            continue;
          } catch {
            if (batch.length === 1) {
              await new Promise((r) => setTimeout(r, group.retryDelayMs));
              continue;
            }
          }
          // One at a time: the events before the first failure are acknowledged, the failure is retried.
          for (const [i, event] of batch.entries()) {
            if (this.closed) return;
            try {
              await member.handler([event]);
              group.position = at[i] + 1;
              this.settle();
            } catch {
              await new Promise((r) => setTimeout(r, group.retryDelayMs));
              break;
            }
          }
        }
      } finally {
        group.running = false;
      }
    };
    this.track(run());
  }
}
