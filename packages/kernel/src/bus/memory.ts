import type { Bus, BusEvent, BusHandler, SubscribeOptions, Subscription } from './types.ts';
import { subjectMatches } from './types.ts';

interface Member {
  handler: BusHandler;
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
    if (!options.group) {
      const sub = { filter: options.subject, handler, active: true };
      this.live.add(sub);
      return {
        unsubscribe: async () => {
          sub.active = false;
          this.live.delete(sub);
        },
      };
    }
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
    const member: Member = { handler, active: true };
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

  /** Delivers the group's pending events one at a time, in order, round-robin over its members. */
  private pump(group: Group): void {
    if (group.running || this.closed) return;
    group.running = true;
    const run = async () => {
      try {
        while (!this.closed && group.position < this.log.length && group.members.length > 0) {
          const event = this.log[group.position];
          if (!subjectMatches(group.filter, event.subject)) {
            group.position++;
            continue;
          }
          const member = group.members[group.next++ % group.members.length];
          try {
            await member.handler(event);
            group.position++;
          } catch {
            await new Promise((r) => setTimeout(r, group.retryDelayMs));
          }
        }
      } finally {
        group.running = false;
      }
    };
    this.track(run());
  }
}
