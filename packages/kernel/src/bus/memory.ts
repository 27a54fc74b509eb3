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
  /** Index in the log of the next event this group has not yet acknowledged. */
  position: number;
  members: Member[];
  next: number;
  running: boolean;
  retryDelayMs: number;
}

/**
 * In-process bus for embedded mode. It keeps the events of this process's lifetime in memory so that a
 * durable group joining late replays them; across restarts the outbox table is the durable log, and
 * consumers dedupe by event id, so nothing acknowledged is lost.
 */
export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  private readonly log: BusEvent[] = [];
  private readonly seen = new Set<string>();
  private readonly groups = new Map<string, Group>();
  private readonly live = new Set<{ filter: string; handler: BusHandler; active: boolean }>();
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
  }

  async subscribe(options: SubscribeOptions, handler: BusHandler): Promise<Subscription> {
    if (options.group) return this.join({ ...options, group: options.group, maxBatch: 1 }, (events) => handler(events[0]));
    const sub = { filter: options.subject, handler, active: true };
    this.live.add(sub);
    return {
      unsubscribe: async () => {
        sub.active = false;
        this.live.delete(sub);
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
        position: options.startAt === 'new' ? this.log.length : 0,
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
        while (!this.closed && group.position < this.log.length && group.members.length > 0) {
          const member = group.members[group.next++ % group.members.length];
          const batch: BusEvent[] = [];
          let end = group.position;
          while (end < this.log.length && batch.length < member.maxBatch) {
            const event = this.log[end++];
            if (subjectMatches(group.filter, event.subject)) batch.push(event);
          }
          if (batch.length === 0) {
            group.position = end;
            continue;
          }
          try {
            await member.handler(batch);
            group.position = end;
            continue;
          } catch {
            if (batch.length === 1) {
              await new Promise((r) => setTimeout(r, group.retryDelayMs));
              continue;
            }
          }
          // One at a time: the events before the first failure are acknowledged, the failure is retried.
          for (const event of batch) {
            if (this.closed) return;
            try {
              await member.handler([event]);
              group.position = this.log.indexOf(event, group.position) + 1;
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
