/**
 * Request budgets on the real app (`config.rateLimit`, http/rate-limit.ts): partners per key, the public per client
 * address, Open311 per the key in its form. Past a budget the answer is a localised 429 problem with retry-after,
 * and nothing is stored — counted in the tables. The window is the kernel clock's: a manual clock moves it on.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../packages/kernel/src/clock.ts';
import { DEMO_API_KEYS } from '../../../../packages/kernel/src/demo.ts';
import { backendName } from '../../../../packages/kernel/src/testing.ts';
import { fraudRuntime } from '../../../../modules/fraud/index.ts';
import { problem, type TestServer, testServer } from '../testing.ts';

const key = (name: string) => DEMO_API_KEYS.find((k) => k.name === name)?.key as string;
const TELECOM = key('demo-telecom');
const BANK = key('demo-bank');
const APP102 = key('app-102');
const EGOV = key('egov-mobile');

describe(`request budgets on ${backendName}`, () => {
  let server: TestServer;
  const clock = new ManualClock(new Date('2026-12-07T08:00:00Z'));
  const count = async (table: string) => (await server.kernel.db.query<{ n: number }>(`select count(*)::int8 as n from ${table}`))[0].n;
  let spot = 0;
  /** Points in Almaty far enough apart that no report is another's duplicate. */
  const almaty = (): [number, number] => {
    spot++;
    return [76.9 + (spot % 10) * 0.01, 43.22 + Math.floor(spot / 10) * 0.01];
  };

  beforeAll(async () => {
    server = await testServer({
      clock,
      env: { TARTIP_FRAUD_RATE_LIMIT_PARTNER: '3', TARTIP_REPORTS_RATE_LIMIT_PARTNER: '2', TARTIP_REPORTS_RATE_LIMIT_IP: '1', TARTIP_REPORTS_RATE_LIMIT_DEVICE: '100' },
    });
  });
  afterAll(async () => server?.close());

  const screen = (apiKey: string, lang = 'en', url = '/api/v1/fraud/calls/screen') =>
    server.app.inject({ method: 'POST', url, headers: { 'x-api-key': apiKey, 'accept-language': lang }, payload: { caller: '+77015550101', called: '+77015550202', ingress: 'domestic', trunk: 't1' } });

  it('call screening: a key’s budget per route and window, the headers on every answer, then a localised 429', async () => {
    const answers: LightMyRequestResponse[] = [];
    for (let i = 0; i < 3; i++) answers.push(await screen(TELECOM));
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    expect(answers.map((r) => r.headers['x-ratelimit-remaining'])).toEqual(['2', '1', '0']);
    expect(answers[0].headers).toMatchObject({ 'x-ratelimit-limit': '3', 'x-ratelimit-reset': '60' });
    clock.advance(20_000);
    for (const [lang, title] of [
      ['en', 'Too many requests'],
      ['ru', 'Слишком много запросов'],
      ['kk', 'Сұраулар тым көп'],
    ]) {
      const refused = await screen(TELECOM, lang);
      const body = problem(refused, 429, 'rate_limited');
      expect(body.title).toBe(title);
      expect(body.detail).toContain('40');
      expect(refused.headers['retry-after']).toBe('40');
    }
    // Another partner's key, and the same key on another route, have budgets of their own.
    expect((await screen(BANK)).statusCode).toBe(200);
    const batch = await server.app.inject({
      method: 'POST',
      url: '/api/v1/fraud/calls/screen/batch',
      headers: { 'x-api-key': TELECOM },
      payload: { calls: [{ caller: '+77015550101', called: '+77015550202', ingress: 'domestic', trunk: 't1' }] },
    });
    expect(batch.statusCode, batch.body).toBe(200);
    // The window closes 60 s after it opened: the key is whole again.
    clock.advance(40_000);
    const again = await screen(TELECOM);
    expect(again.statusCode).toBe(200);
    expect(again.headers['x-ratelimit-remaining']).toBe('2');
  });

  it('a refused call is not screened: the decision log gets only the answered ones', async () => {
    const recorder = fraudRuntime(server.kernel).recorder;
    const logged = async () => {
      await recorder.flush();
      return (await server.kernel.db.query<{ n: number }>("select count(*)::int8 as n from fraud_decision where kind = 'call'"))[0].n;
    };
    clock.advance(60_000);
    const before = await logged();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await screen(TELECOM)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect((await logged()) - before).toBe(3);
  });

  it('citizen reports: the public web page per client address, a partner per key; a refused report is not stored', async () => {
    const submit = (headers: Record<string, string>, remoteAddress = '192.0.2.10') =>
      server.app.inject({
        method: 'POST',
        url: '/api/v1/reports',
        remoteAddress,
        headers: { 'accept-language': 'ru', ...headers },
        payload: { category: 'theft', location: { type: 'Point', coordinates: almaty() } },
      });
    const before = await count('reports_report');
    expect((await submit({})).statusCode).toBe(201);
    problem(await submit({}), 429, 'rate_limited');
    expect((await submit({}, '192.0.2.11')).statusCode).toBe(201);
    // The partner's budget is its key's, whatever address its requests come from.
    expect((await submit({ 'x-api-key': APP102 }, '198.51.100.1')).statusCode).toBe(201);
    expect((await submit({ 'x-api-key': APP102 }, '198.51.100.2')).statusCode).toBe(201);
    const refused = await submit({ 'x-api-key': APP102 }, '198.51.100.3');
    expect(problem(refused, 429, 'rate_limited').title).toBe('Слишком много запросов');
    expect(refused.headers['x-ratelimit-limit']).toBe('2');
    expect(await count('reports_report')).toBe(before + 4);
  });

  it('Open311: the budget is the api_key in the form (read after the body is parsed); a refused request stores nothing', async () => {
    const post = (apiKey: string) => {
      const [lon, lat] = almaty();
      return server.app.inject({
        method: 'POST',
        url: '/open311/v2/requests.json',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'kk' },
        payload: new URLSearchParams({ api_key: apiKey, service_code: 'noise', lat: String(lat), long: String(lon) }).toString(),
      });
    };
    const before = await count('reports_report');
    expect((await post(EGOV)).statusCode).toBe(200);
    expect((await post(EGOV)).statusCode).toBe(200);
    const refused = await post(EGOV);
    expect(refused.statusCode).toBe(429);
    // In the standard's own error format, like every Open311 error, in the caller's language.
    expect(refused.json()).toEqual([{ code: 429, description: 'Сұраулар тым көп; 60 с кейін қайталаңыз.' }]);
    expect(refused.headers['retry-after']).toBe('60');
    expect((await post(BANK)).statusCode).toBe(200);
    expect(await count('reports_report')).toBe(before + 3);
  });
});
