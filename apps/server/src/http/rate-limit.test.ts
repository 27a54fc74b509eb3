import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../packages/kernel/src/clock.ts';
import { Problem } from '../../../../packages/kernel/src/errors.ts';
import { FixedWindows, registerRateLimits } from './rate-limit.ts';

describe('FixedWindows', () => {
  it('a flood of distinct keys stays within capacity, and a key met again keeps its own window', () => {
    const w = new FixedWindows(60_000, 1000);
    for (let i = 0; i < 100_000; i++) w.hit(`10.0.${i >> 8}.${i & 255}`, 1_000 + i);
    expect(w.size).toBe(1000);
    // The newest keys are still counted in their windows; the oldest made room; later, every window has closed.
    expect(w.hit(`10.0.${99_998 >> 8}.${99_998 & 255}`, 101_000).count).toBe(2);
    expect(w.hit('10.0.0.0', 101_000).count).toBe(1);
    expect(w.hit(`10.0.${99_998 >> 8}.${99_998 & 255}`, 200_000).count).toBe(1);
    expect(w.size).toBe(1);
  });

  it('counts a key in the window its first request opened, and opens a new one when it closes', () => {
    const w = new FixedWindows(60_000);
    expect(w.hit('a', 1_000)).toMatchObject({ count: 1, closesAt: 61_000 });
    expect(w.hit('a', 30_000)).toMatchObject({ count: 2, closesAt: 61_000 });
    expect(w.hit('b', 30_000)).toMatchObject({ count: 1, closesAt: 90_000 });
    expect(w.hit('a', 60_999)).toMatchObject({ count: 3, closesAt: 61_000 });
    expect(w.hit('a', 61_000)).toMatchObject({ count: 1, closesAt: 121_000 });
    expect(w.hit('b', 61_000)).toMatchObject({ count: 2, closesAt: 90_000 });
  });

  it('forgets closed windows as time passes, so a quiet key holds no memory', () => {
    const w = new FixedWindows(1_000);
    for (let i = 0; i < 500; i++) w.hit(`ip-${i}`, i);
    expect(w.size).toBe(500);
    w.hit('late', 1_250); // windows opened before 250 ms have closed
    expect(w.size).toBe(250);
    w.hit('later', 5_000);
    expect(w.size).toBe(1);
  });

  it('holds at most its capacity: a flood of new keys pushes out the oldest windows, and the rest keep their counts', () => {
    const w = new FixedWindows(60_000, 100);
    for (let i = 0; i < 3; i++) w.hit('partner', 0);
    for (let i = 0; i < 1_000; i++) w.hit(`flood-${i}`, 10 + i);
    expect(w.size).toBe(100);
    expect(w.hit('flood-999', 2_000).count).toBe(2);
    expect(w.hit('partner', 2_000).count).toBe(1); // the oldest window made room
  });

  it('when the clock steps back, a window still closes on time and the key starts again', () => {
    const w = new FixedWindows(1_000);
    w.hit('a', 5_000);
    w.hit('b', 100); // opened "earlier" but behind a in order
    expect(w.hit('b', 1_100).count).toBe(1);
    expect(w.hit('a', 5_500).count).toBe(2);
  });
});

describe('route rate limits', () => {
  async function app(clock: ManualClock) {
    const app = Fastify();
    app.setErrorHandler((err, _req, reply) => {
      const p = err instanceof Problem ? err : new Problem('internal');
      reply.code(p.status).send({ code: p.code, params: p.params });
    });
    registerRateLimits(app, clock);
    let served = 0;
    app.get('/by-address', { config: { rateLimit: { max: 2, timeWindow: 60_000 } } }, async () => ({ served: ++served }));
    app.post(
      '/by-key',
      {
        config: {
          rateLimit: {
            max: (req) => ((req.headers['x-kind'] as string) === 'big' ? 3 : 1),
            timeWindow: 60_000,
            keyGenerator: (req) => String(req.headers['x-key']),
          },
        },
      },
      async () => ({ served: ++served }),
    );
    app.post(
      '/by-body',
      { config: { rateLimit: { max: 1, timeWindow: 60_000, hook: 'preHandler', keyGenerator: (req) => String((req.body as { key: string }).key) } } },
      async () => ({ served: ++served }),
    );
    app.get('/free', async () => ({ served: ++served }));
    await app.ready();
    return { app, served: () => served };
  }

  it('answers within the budget with its headers; past it a 429 with retry-after, and the handler does not run', async () => {
    const clock = new ManualClock(new Date('2026-12-07T10:00:00Z'));
    const { app: a, served } = await app(clock);
    const first = await a.inject({ method: 'GET', url: '/by-address' });
    expect(first.statusCode).toBe(200);
    expect(first.headers).toMatchObject({ 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '1', 'x-ratelimit-reset': '60' });
    clock.advance(15_500);
    expect((await a.inject({ method: 'GET', url: '/by-address' })).headers['x-ratelimit-remaining']).toBe('0');
    const refused = await a.inject({ method: 'GET', url: '/by-address' });
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toEqual({ code: 'rate_limited', params: { seconds: 45 } });
    expect(refused.headers).toMatchObject({ 'retry-after': '45', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '45' });
    expect(served()).toBe(2);
    // Another client address has its own budget; a route without a limit has none.
    expect((await a.inject({ method: 'GET', url: '/by-address', remoteAddress: '10.0.0.9' })).statusCode).toBe(200);
    expect((await a.inject({ method: 'GET', url: '/free' })).headers['x-ratelimit-limit']).toBeUndefined();
    // When the window closes, the budget is whole again.
    clock.advance(45_000);
    const again = await a.inject({ method: 'GET', url: '/by-address' });
    expect(again.statusCode).toBe(200);
    expect(again.headers['x-ratelimit-remaining']).toBe('1');
    await a.close();
  });

  it('keys and budgets chosen per request: each key spends its own, at the size the request earns', async () => {
    const { app: a } = await app(new ManualClock());
    const post = (key: string, kind = 'small') => a.inject({ method: 'POST', url: '/by-key', headers: { 'x-key': key, 'x-kind': kind } });
    expect((await post('p1', 'big')).headers['x-ratelimit-limit']).toBe('3');
    expect((await post('p1', 'big')).statusCode).toBe(200);
    expect((await post('p1', 'big')).statusCode).toBe(200);
    expect((await post('p1', 'big')).statusCode).toBe(429);
    expect((await post('p2')).statusCode).toBe(200);
    expect((await post('p2')).statusCode).toBe(429);
    await a.close();
  });

  it('a preHandler limit reads its key from the parsed body', async () => {
    const { app: a, served } = await app(new ManualClock());
    const post = (key: string) => a.inject({ method: 'POST', url: '/by-body', payload: { key } });
    expect((await post('k1')).statusCode).toBe(200);
    expect((await post('k1')).statusCode).toBe(429);
    expect((await post('k2')).statusCode).toBe(200);
    expect(served()).toBe(2);
    await a.close();
  });
});
