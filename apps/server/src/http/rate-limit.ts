import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Clock } from '../../../../packages/kernel/src/clock.ts';
import { Problem } from '../../../../packages/kernel/src/errors.ts';

/** A route's request budget: `config.rateLimit`. */
export interface RouteRateLimit {
  /** Requests one key may make in a window: a number, or one per request (e.g. by the kind of caller). */
  max: number | ((req: FastifyRequest) => number);
  /** The window's length, ms. */
  timeWindow: number;
  /** Whose budget a request spends; the client's address when not given. */
  keyGenerator?: (req: FastifyRequest) => string;
  /** When the budget is checked: `onRequest` (after authentication, the default), or `preHandler` when the key is in the body. */
  hook?: 'onRequest' | 'preHandler';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    rateLimit?: RouteRateLimit;
  }
}

/** One key's window: requests counted in it so far, and when it closes (ms since the epoch). */
export interface Window {
  count: number;
  closesAt: number;
}

/**
 * Fixed windows, one per key: a key's window opens at its first request and lasts `windowMs`; the next request after
 * it closes opens a new one. Windows are kept in the order they opened, and all last as long, so the first to close
 * are always at the front: they are dropped from there as time passes, with no timer and no scan. At most `capacity`
 * keys are held (a flood of distinct addresses cannot grow it without end): when full, the oldest window — the next
 * to close anyway — makes room.
 */
export class FixedWindows {
  private readonly windows = new Map<string, Window & { n: number }>();
  /**
   * Keys in the order their windows opened, read from `head` (the next to close) — not the Map's own order: a Map whose
   * oldest entries are deleted keeps their slots until it is rebuilt, and finding its first live entry walks them all,
   * which a flood of distinct addresses would turn into a scan per request.
   */
  private order: string[] = [];
  private head = 0;
  /** Places dropped from the front of `order` when it is compacted: place n is at `order[n - dropped]`. */
  private dropped = 0;

  constructor(
    private readonly windowMs: number,
    private readonly capacity = 20_000,
  ) {}

  /** Counts one request of `key` at `now` (ms); the key's window, this request included. */
  hit(key: string, now: number): Window {
    this.forget(now, this.capacity);
    let w = this.windows.get(key);
    // Closed but not yet forgotten (the clock went back and forth): it starts again, at the back.
    if (w !== undefined && w.closesAt <= now) w = undefined;
    if (w === undefined) {
      if (!this.windows.has(key)) this.forget(now, this.capacity - 1);
      w = { count: 0, closesAt: now + this.windowMs, n: this.dropped + this.order.length };
      this.windows.set(key, w);
      this.order.push(key);
    }
    w.count++;
    return w;
  }

  get size(): number {
    return this.windows.size;
  }

  /** Drops, from the front, the windows closed by `now`, and the oldest while more than `keep` are held. */
  private forget(now: number, keep: number): void {
    while (this.head < this.order.length) {
      const key = this.order[this.head];
      const w = this.windows.get(key);
      const current = w !== undefined && w.n === this.dropped + this.head;
      // A window opened again later has a newer place further on: this older place is only skipped.
      if (current && w.closesAt > now && this.windows.size <= keep) break;
      if (current) this.windows.delete(key);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.dropped += this.head;
      this.head = 0;
    }
  }
}

const byAddress = (req: FastifyRequest) => req.ip;

/**
 * The hook that spends a request of its key's budget: `x-ratelimit-limit`, `x-ratelimit-remaining` and
 * `x-ratelimit-reset` (seconds until the window closes) on every answer; past the limit a 429 `rate_limited`
 * problem with `retry-after`, and the route's handler does not run. Synchronous: no promise, no turn of the event
 * loop — it runs on every partner request, the switch's call screening among them.
 */
export function rateLimitHook(limit: RouteRateLimit, clock: Clock) {
  const windows = new FixedWindows(limit.timeWindow);
  const keyOf = limit.keyGenerator ?? byAddress;
  const { max } = limit;
  return (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const allowed = typeof max === 'number' ? max : max(req);
    const now = clock.nowMs();
    const w = windows.hit(keyOf(req), now);
    const resetS = Math.ceil((w.closesAt - now) / 1000);
    reply.header('x-ratelimit-limit', allowed);
    reply.header('x-ratelimit-remaining', Math.max(0, allowed - w.count));
    reply.header('x-ratelimit-reset', resetS);
    if (w.count <= allowed) return done();
    reply.header('retry-after', resetS);
    done(new Problem('rate_limited', { seconds: resetS }));
  };
}

/** Every route registered after this with `config.rateLimit` gets its own budget, checked by `rateLimitHook`. */
export function registerRateLimits(app: FastifyInstance, clock: Clock) {
  app.addHook('onRoute', (route) => {
    const limit = route.config?.rateLimit;
    if (!limit) return;
    const hook = limit.hook ?? 'onRequest';
    const handler = rateLimitHook(limit, clock);
    const existing = route[hook];
    route[hook] = existing === undefined ? [handler] : Array.isArray(existing) ? [...existing, handler] : [existing, handler];
  });
}
