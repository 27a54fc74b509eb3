import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName, createTestDatabase, TEST_DATABASE_URL, TEST_NATS_URL } from '../../../packages/kernel/src/testing.ts';

/**
 * Acknowledged data is never lost: a burst of citizen reports, the server killed with SIGKILL in the middle
 * of it, a restart on the same storage — every report that got a 201 is there, and retrying every request
 * with its Idempotency-Key creates nothing new.
 */
const CLI = join(import.meta.dirname, '../../cli/tartip.mjs');
const APP102 = 'tk_app102_demo_Xq7pL2vN9rT4wK8mA3sD6fG1';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

interface Server {
  url: string;
  child: ChildProcess;
  output: () => string;
}

async function start(env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TARTIP_')) clean[k] = v;
  const child = spawn(process.execPath, [CLI, 'start'], {
    env: { ...clean, ...env, PORT: String(port), HOST: '127.0.0.1', TARTIP_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 150_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${out}`);
    const ok = await fetch(`${url}/health/ready`).then((r) => r.ok).catch(() => false);
    if (ok) return { url, child, output: () => out };
    if (Date.now() > deadline) throw new Error(`server not ready in time:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// Places spread over Almaty's Almaly district, far enough apart (≈ 300 m) not to be duplicates of each other.
const place = (i: number) => [76.90 + (i % 20) * 0.004, 43.24 + Math.floor(i / 20) * 0.003];

function report(i: number, key: string) {
  return fetch(`${globalThis.__crashUrl}/api/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': APP102, 'idempotency-key': key },
    body: JSON.stringify({
      category: i % 2 === 0 ? 'theft' : 'noise',
      location: { type: 'Point', coordinates: place(i) },
      description: `Отчёт номер ${i}`,
      anonymous: true,
      deviceId: `crash-device-${i}`,
    }),
  });
}

declare global {
  var __crashUrl: string;
}

describe(`a server killed with SIGKILL mid-burst keeps every acknowledged report (${backendName})`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tartip-crash-'));
  const env: Record<string, string> = { TARTIP_DATA_DIR: dataDir, TARTIP_DEMO: 'true' };
  let drop: (() => Promise<void>) | undefined;
  let server: Server | undefined;

  beforeAll(async () => {
    if (TEST_DATABASE_URL) {
      const db = await createTestDatabase();
      env.TARTIP_DATABASE_URL = db.url;
      drop = db.drop;
    }
    if (TEST_NATS_URL) {
      const stream = `CRASH_${Date.now().toString(36).toUpperCase()}`;
      Object.assign(env, { TARTIP_NATS_URL: TEST_NATS_URL, TARTIP_NATS_STREAM: stream, TARTIP_NATS_PREFIX: stream.toLowerCase() });
    }
  });
  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await drop?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses nothing that was acknowledged, and retries create nothing new', async () => {
    server = await start(env);
    globalThis.__crashUrl = server.url;
    const acknowledged = new Map<string, string>(); // idempotency key → report id
    const sent: { i: number; key: string }[] = [];
    let next = 0;
    let killed = false;
    const worker = async () => {
      while (!killed && next < 2000) {
        const i = next++;
        const key = `crash-${i}-${Date.now()}`;
        sent.push({ i, key });
        try {
          const res = await report(i, key);
          if (res.status === 201) acknowledged.set(key, (await res.json()).id);
          else if (!killed) throw new Error(`unexpected ${res.status}: ${await res.text()}`);
        } catch (e) {
          if (!killed) throw e;
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    // Let the burst run until some reports are acknowledged, then pull the plug.
    while (acknowledged.size < 60) await new Promise((r) => setTimeout(r, 20));
    killed = true;
    server.child.kill('SIGKILL');
    await Promise.allSettled(workers);
    expect(acknowledged.size).toBeGreaterThanOrEqual(60);

    server = await start(env);
    globalThis.__crashUrl = server.url;
    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'supervisor', password: 'demo' }),
    });
    const { accessToken } = await login.json();
    const count = async () => {
      let n = 0;
      let cursor: string | null = null;
      do {
        const res: Response = await fetch(`${server?.url}/api/v1/reports?limit=200${cursor ? `&cursor=${cursor}` : ''}`, {
          headers: { authorization: `Bearer ${accessToken}` },
        });
        expect(res.status).toBe(200);
        const page: { items: unknown[]; nextCursor: string | null } = await res.json();
        n += page.items.length;
        cursor = page.nextCursor;
      } while (cursor);
      return n;
    };

    for (const [key, id] of acknowledged) {
      const res = await fetch(`${server.url}/api/v1/reports/${id}`, { headers: { authorization: `Bearer ${accessToken}` } });
      expect(res.status, `acknowledged report ${id} (${key}) after the crash`).toBe(200);
    }
    // What the reports caused after their commit is not lost either: every acknowledged report is followed by its
    // incident (dispatch made it in the report's transaction; reports learns of it from the bus). Embedded, the bus
    // lived in the killed process's memory: the restarted relay publishes again what it had not delivered everywhere.
    // On NATS, JetStream delivers again what the dead process took but never acknowledged once its ack wait (30 s)
    // has passed — so the wait here is longer than that.
    const unfollowed = async () => {
      const left: string[] = [];
      for (const id of acknowledged.values()) {
        const res = await fetch(`${server?.url}/api/v1/reports/${id}`, { headers: { authorization: `Bearer ${accessToken}` } });
        const body: { incidentId: string | null; status: string } = await res.json();
        if (!body.incidentId || body.status === 'received') left.push(id);
      }
      return left;
    };
    let left = await unfollowed();
    for (const end = Date.now() + 45_000; left.length > 0 && Date.now() < end; left = await unfollowed()) await new Promise((r) => setTimeout(r, 250));
    expect(left, 'acknowledged reports never followed by their incident').toEqual([]);
    const afterRestart = await count();
    expect(afterRestart).toBeGreaterThanOrEqual(acknowledged.size);

    // Every request is retried with its key, as a phone on a bad network would: acknowledged ones get their
    // first report back; the ones cut off by the crash are either found or created — once.
    for (const { i, key } of sent) {
      const res = await report(i, key);
      expect([200, 201], await res.clone().text()).toContain(res.status);
      const body = await res.json();
      if (acknowledged.has(key)) expect(body.id).toBe(acknowledged.get(key));
    }
    const afterRetries = await count();
    expect(afterRetries).toBe(sent.length);
    // And again: nothing new at all.
    for (const { i, key } of sent.slice(0, 50)) await report(i, key);
    expect(await count()).toBe(afterRetries);
  });
});
