import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL } from '../../../packages/kernel/src/testing.ts';
import { type TestServer, testServer, until } from './testing.ts';

const APP102 = 'tk_app102_demo_Xq7pL2vN9rT4wK8mA3sD6fG1';
const BURST = 30;

/**
 * PostgreSQL restarts, fails over, or an operator ends the server's sessions: every connection the server holds is
 * cut while citizens' reports are arriving. The server must stay up (an unhandled connection error would end the
 * process, and this test with it), answer each request either 201 or a 503 the caller can act on, and take the
 * requests again at once; a retry with the same Idempotency-Key stores nothing twice. PostgreSQL only.
 */
describe.skipIf(!TEST_DATABASE_URL)('the server when its database connections are cut, as in a PostgreSQL restart', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await testServer();
  });
  afterAll(async () => server?.close());

  const submit = (n: number) =>
    server.app.inject({
      method: 'POST',
      url: '/api/v1/reports',
      headers: { 'x-api-key': APP102, 'idempotency-key': `restart-${n}`, 'accept-language': 'kk' },
      // ~800 m apart, so none joins another as a duplicate.
      payload: { category: 'theft', location: { type: 'Point', coordinates: [76.8 + n * 0.01, 43.25] }, deviceId: `restart-device-${n}` },
    });

  /** Ends every session of the server's database but this one, as a restart does. */
  const cutConnections = async () => {
    const admin = new pg.Client({ connectionString: server.kernel.config.databaseUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ n: number }>(
        'select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
      );
      return rows[0].n;
    } finally {
      await admin.end();
    }
  };

  it('stays up, answers 201 or 503 database_unavailable, and stores each retried report once', async () => {
    const first = await submit(0);
    expect(first.statusCode, first.body).toBe(201);

    const burst = Promise.all(Array.from({ length: BURST }, (_, i) => submit(i + 1)));
    await new Promise((r) => setTimeout(r, 5)); // some of the burst is inside its transaction now
    expect(await cutConnections()).toBeGreaterThan(0);
    const answers = await burst;

    const refused: number[] = [];
    answers.forEach((res, i) => {
      if (res.statusCode === 201) return;
      expect(res.statusCode, res.body).toBe(503);
      expect(res.json()).toMatchObject({ code: 'database_unavailable', title: 'Дерекқормен байланыс үзілді' });
      expect(res.headers['retry-after']).toBe('2');
      refused.push(i + 1);
    });

    // Every report is taken again at once; a retry of one that was stored after all answers with the same report.
    const ids = new Map<number, string>();
    answers.forEach((res, i) => {
      if (res.statusCode === 201) ids.set(i + 1, res.json().id);
    });
    ids.set(0, first.json().id);
    for (const n of refused) {
      const res = await until(`report ${n} taken again`, async () => {
        const r = await submit(n);
        return r.statusCode < 300 ? r : null;
      });
      ids.set(n, res.json().id);
    }
    // The first report, retried, is the same one (replayed, not stored again).
    const again = await submit(0);
    expect(again.statusCode).toBeLessThan(300);
    expect(again.json().id).toBe(first.json().id);

    const stored = await server.kernel.db.query<{ device_id: string; id: string }>("select device_id, id from reports_report where device_id like 'restart-device-%'");
    expect(stored).toHaveLength(BURST + 1);
    for (const r of stored) expect(ids.get(Number(r.device_id.replace('restart-device-', '')))).toBe(r.id);

    const ready = await server.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
  });
});
