/**
 * Scale-out: two real `tartip start` processes on one PostgreSQL database and one JetStream stream.
 *
 * Needs TARTIP_TEST_DATABASE_URL and TARTIP_TEST_NATS_URL. Without them the suite is a single test that
 * says so; with them (CI sets both) an unreachable server fails the run — it never skips.
 *
 * What it proves:
 * - two processes started at the same moment both come up (migration and demo-seed locks), and the
 *   migration table holds each migration once;
 * - an event caused through process A reaches a Server-Sent Events stream held open on process B;
 * - a durable queue group with two members on the stream gets every event exactly once;
 * - SIGTERM to a process under load loses no acknowledged (2xx) write, and the outbox ends fully published.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsBus } from '../../../packages/kernel/src/bus/nats.ts';
import type { BusEvent, Subscription } from '../../../packages/kernel/src/bus/types.ts';
import { readMigrations } from '../../../packages/kernel/src/db/migrate.ts';
import { DEMO_USERS } from '../../../packages/kernel/src/demo.ts';
import { KERNEL_MIGRATIONS_DIR, REPO_ROOT } from '../../../packages/kernel/src/kernel.ts';
import { migrationsOf } from '../../../packages/kernel/src/module.ts';
import { createTestDatabase } from '../../../packages/kernel/src/testing.ts';
import { MODULES } from './modules.ts';

const DATABASE_URL = process.env.TARTIP_TEST_DATABASE_URL || undefined;
const NATS_URL = process.env.TARTIP_TEST_NATS_URL || undefined;
const CLI = join(REPO_ROOT, 'apps/cli/tartip.mjs');

const STARTUP_TIMEOUT_MS = 90_000;
const EVENT_TIMEOUT_MS = 20_000;

// ---- helpers --------------------------------------------------------------------------------------------

async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, ms = EVENT_TIMEOUT_MS): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await sleep(50);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Two distinct free TCP ports (held open together, so they differ, then released). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

interface Proc {
  name: string;
  url: string;
  child: ChildProcess;
  output: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited: boolean;
}

/** Spawns `tartip start` with a clean TARTIP_* environment plus `env`. */
function startTartip(name: string, port: number, env: Record<string, string>): Proc {
  const base: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TARTIP_')) base[k] = v;
  const child = spawn(process.execPath, [CLI, 'start'], {
    cwd: REPO_ROOT,
    env: { ...base, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc: Proc = {
    name,
    url: `http://127.0.0.1:${port}`,
    child,
    output: '',
    exited: false,
    exit: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
  };
  const keep = (chunk: Buffer) => {
    proc.output = (proc.output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  void proc.exit.then(() => {
    proc.exited = true;
  });
  return proc;
}

/** Resolves when the process has printed its banner and answers /health/ready with 200. */
async function waitReady(proc: Proc): Promise<void> {
  const end = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < end) {
    if (proc.exited) throw new Error(`${proc.name} exited during start-up:\n${proc.output}`);
    if (proc.output.includes('Tártip is running at')) {
      const res = await fetch(`${proc.url}/health/ready`).catch(() => null);
      if (res?.status === 200) return;
    }
    await sleep(100);
  }
  throw new Error(`${proc.name} was not ready within ${STARTUP_TIMEOUT_MS} ms:\n${proc.output}`);
}

async function stopProc(proc: Proc | undefined): Promise<void> {
  if (!proc || proc.exited) return;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 20_000);
  await proc.exit;
  clearTimeout(timer);
}

async function login(proc: Proc, username: string): Promise<string> {
  const res = await fetch(`${proc.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'demo' }),
  });
  if (res.status !== 200) throw new Error(`login as ${username} on ${proc.name} failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

function createUserRequest(proc: Proc, token: string, username: string): Promise<Response> {
  return fetch(`${proc.url}/api/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      username,
      displayName: `Scale-out ${username}`,
      password: 'scale-out-password',
      roles: ['officer'],
      jurisdictions: ['750000000'],
    }),
  });
}

interface SseStream {
  events: BusEvent[];
  close(): void;
}

/** Opens an SSE stream and parses its frames into `events`; resolves once the server said `connected`. */
async function openStream(url: string): Promise<SseStream> {
  const abort = new AbortController();
  const res = await fetch(url, { signal: abort.signal, headers: { accept: 'text/event-stream' } });
  if (res.status !== 200 || !res.body) throw new Error(`stream answered ${res.status}: ${await res.text()}`);
  const events: BusEvent[] = [];
  let connected = false;
  let buffer = '';
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          if (frame.includes(': connected')) connected = true;
          const data = frame
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          if (data) events.push(JSON.parse(data) as BusEvent);
          cut = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted
    }
  })();
  await until('the stream to say connected', () => connected, 10_000);
  return { events, close: () => abort.abort() };
}

// ---- the suite ------------------------------------------------------------------------------------------

if (!DATABASE_URL || !NATS_URL) {
  describe('scale-out (two processes, PostgreSQL + NATS JetStream)', () => {
    it('needs TARTIP_TEST_DATABASE_URL and TARTIP_TEST_NATS_URL; set both to run it (CI does)', () => {
      expect(DATABASE_URL && NATS_URL).toBeFalsy();
    });
  });
} else {
  describe('scale-out: two Tártip processes on one PostgreSQL database and one JetStream stream', () => {
    const natsUrl = NATS_URL;
    const stream = `SCALE_${randomBytes(5).toString('hex').toUpperCase()}`;
    const prefix = stream.toLowerCase();
    const run = randomBytes(3).toString('hex');
    const dataDirs: string[] = [];
    const buses: NatsBus[] = [];
    const subs: Subscription[] = [];
    let database: { url: string; drop: () => Promise<void> } | undefined;
    let sql: pg.Pool;
    let a: Proc | undefined;
    let b: Proc | undefined;
    let procA: Proc;
    let procB: Proc;

    const pendingOutbox = async () =>
      Number((await sql.query('select count(*)::int as n from kernel_outbox where published_at is null')).rows[0].n);

    beforeAll(async () => {
      // Fail (not skip) when NATS is down: connect once before anything else.
      const probe = await connect({ servers: natsUrl.split(','), timeout: 5000 });
      await probe.close();
      database = await createTestDatabase();
      sql = new pg.Pool({ connectionString: database.url, max: 4 });

      const auditKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const env = (dataDir: string): Record<string, string> => ({
        TARTIP_MODE: 'embedded',
        TARTIP_DATA_DIR: dataDir,
        TARTIP_DATABASE_URL: database!.url,
        TARTIP_NATS_URL: natsUrl,
        TARTIP_NATS_STREAM: stream,
        TARTIP_NATS_PREFIX: prefix,
        TARTIP_DEMO: 'true',
        TARTIP_JWT_SECRET: randomBytes(36).toString('base64url'),
        TARTIP_AUDIT_SIGNING_KEY: auditKey,
        TARTIP_LOG_LEVEL: 'warn',
        TARTIP_LOGIN_RATE_LIMIT: '10000',
        TARTIP_SHUTDOWN_GRACE_MS: '10000',
      });
      const shared = env('');
      const [portA, portB] = await freePorts(2);
      for (let i = 0; i < 2; i++) dataDirs.push(mkdtempSync(join(tmpdir(), 'tartip-scale-')));
      // Both at once: the migration lock and the demo-seed lock must let both come up.
      a = startTartip('A', portA, { ...shared, TARTIP_DATA_DIR: dataDirs[0] });
      b = startTartip('B', portB, { ...shared, TARTIP_DATA_DIR: dataDirs[1] });
      await Promise.all([waitReady(a), waitReady(b)]);
      procA = a;
      procB = b;
    }, 180_000);

    afterAll(async () => {
      await Promise.allSettled(subs.map((s) => s.unsubscribe()));
      await Promise.allSettled(buses.map((bus) => bus.close()));
      await Promise.allSettled([stopProc(a), stopProc(b)]);
      await sql?.end().catch(() => {});
      try {
        const nc = await connect({ servers: natsUrl.split(','), timeout: 5000 });
        try {
          const jsm = await jetstreamManager(nc);
          await jsm.streams.delete(stream).catch(() => {});
        } finally {
          await nc.close();
        }
      } catch {
        // NATS unreachable: beforeAll already failed the suite
      }
      await database?.drop().catch(() => {});
      for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
    }, 60_000);

    it('both processes started at once; migrations applied once, demo accounts seeded once', async () => {
      const applied = await sql.query<{ module: string; name: string }>('select module, name from kernel_migration order by module, name');
      const expected = [...readMigrations('kernel', KERNEL_MIGRATIONS_DIR), ...migrationsOf(MODULES)]
        .map((m) => ({ module: m.module, name: m.name }))
        .sort((x, y) => (x.module === y.module ? (x.name < y.name ? -1 : 1) : x.module < y.module ? -1 : 1));
      expect(applied.rows).toEqual(expected);
      const users = await sql.query<{ username: string }>('select username from kernel_user order by username');
      expect(users.rows.map((r) => r.username)).toEqual(DEMO_USERS.map((u) => u.username).sort());
      for (const p of [procA, procB]) {
        const ready = await fetch(`${p.url}/health/ready`);
        expect(await ready.json()).toMatchObject({ status: 'ready', database: 'postgres', bus: 'nats' });
      }
    });

    it('(a) a user created through A reaches an SSE stream held open on B', async () => {
      // Tokens are interchangeable between processes: they share TARTIP_JWT_SECRET.
      const token = await login(procB, 'admin');
      const sse = await openStream(`${procB.url}/api/v1/stream?topics=kernel.user.>&access_token=${encodeURIComponent(token)}`);
      try {
        const username = `so_a_${run}`;
        const res = await createUserRequest(procA, token, username);
        expect(res.status).toBe(201);
        const user = (await res.json()) as { id: string };
        const event = await until('kernel.user.created on B', () =>
          sse.events.find((e) => e.subject === 'kernel.user.created' && (e.data as { id: string }).id === user.id),
        );
        expect(event).toMatchObject({ subject: 'kernel.user.created', key: user.id, data: { id: user.id, username } });
        const [row] = (await sql.query('select id from kernel_outbox where id = $1 and published_at is not null', [event.id])).rows;
        expect(row).toBeDefined();
      } finally {
        sse.close();
      }
    });

    it('(b) a queue group of two members gets each of 100 events exactly once', async () => {
      const N = 100;
      const deliveries: { member: number; event: BusEvent }[] = [];
      for (let member = 0; member < 2; member++) {
        const bus = await NatsBus.connect({ url: natsUrl, stream, subjectPrefix: prefix, name: `scale-out-test-${member}` });
        buses.push(bus);
        subs.push(
          await bus.subscribe({ subject: 'kernel.user.created', group: 'users-projection' }, async (event) => {
            deliveries.push({ member, event });
          }),
        );
      }
      const [tokenA, tokenB] = await Promise.all([login(procA, 'admin'), login(procB, 'admin')]);
      const names = Array.from({ length: N }, (_, i) => `so_b_${run}_${i}`);
      const responses = await Promise.all(
        names.map((name, i) => (i % 2 === 0 ? createUserRequest(procA, tokenA, name) : createUserRequest(procB, tokenB, name))),
      );
      const statuses = await Promise.all(responses.map(async (r) => (r.status === 201 ? 201 : `${r.status} ${await r.text()}`)));
      expect(statuses.filter((s) => s !== 201)).toEqual([]);

      const ours = () => deliveries.filter((d) => names.includes((d.event.data as { username: string }).username));
      await until(`all ${N} events delivered to the group`, () => new Set(ours().map((d) => d.event.id)).size === N, 30_000);
      // Give any duplicate time to show up before counting.
      await sleep(2000);

      const mine = ours();
      const perUser = new Map<string, number>();
      for (const d of mine) {
        const u = (d.event.data as { username: string }).username;
        perUser.set(u, (perUser.get(u) ?? 0) + 1);
      }
      expect([...perUser.entries()].filter(([, n]) => n !== 1)).toEqual([]);
      expect([...perUser.keys()].sort()).toEqual([...names].sort());
      // Nothing at all was delivered twice, not even the demo and earlier events the group replayed.
      const ids = deliveries.map((d) => d.event.id);
      expect(ids.length).toBe(new Set(ids).size);
      // It is a group: the work was shared by both members.
      expect(new Set(mine.map((d) => d.member)).size).toBe(2);

      await until('the outbox to be fully published', async () => (await pendingOutbox()) === 0);
      const rows = await sql.query<{ n: number }>(
        `select count(*)::int as n from kernel_outbox
         where subject = 'kernel.user.created' and payload->>'username' = any($1::text[]) and published_at is not null`,
        [names],
      );
      expect(rows.rows[0].n).toBe(N);
    });

    it('(c) SIGTERM to A under load loses no acknowledged write; B keeps serving and the outbox drains', async () => {
      const [tokenA, tokenB] = await Promise.all([login(procA, 'admin'), login(procB, 'admin')]);
      const outcomes: { name: string; via: 'A' | 'B'; status: number | string }[] = [];
      let seq = 0;
      let running = true;
      let killedAt = -1;
      const worker = async (via: 'A' | 'B') => {
        while (running) {
          const name = `so_c_${run}_${seq++}`;
          const status = await createUserRequest(via === 'A' ? procA : procB, via === 'A' ? tokenA : tokenB, name)
            .then(async (r) => {
              await r.arrayBuffer();
              return r.status;
            })
            .catch((e: Error) => `error: ${(e.cause as Error | undefined)?.message ?? e.message}`);
          outcomes.push({ name, via, status });
          if (via === 'A' && typeof status === 'string') await sleep(50); // A is gone: do not spin
        }
      };
      const workers = [...Array.from({ length: 4 }, () => worker('A')), ...Array.from({ length: 2 }, () => worker('B'))];

      // Kill A once it has acknowledged some writes, while requests are still in flight to it.
      await until('A to acknowledge writes under load', () => outcomes.filter((o) => o.via === 'A' && o.status === 201).length >= 8, 30_000);
      killedAt = outcomes.length;
      procA.child.kill('SIGTERM');
      const exit = await Promise.race([procA.exit, sleep(30_000).then(() => null)]);
      expect(exit, `A did not exit within 30 s after SIGTERM:\n${procA.output}`).not.toBeNull();
      expect(exit).toEqual({ code: 0, signal: null });
      // B keeps taking writes after A is gone.
      const afterKill = outcomes.length;
      await until('B to acknowledge writes after A stopped', () =>
        outcomes.slice(afterKill).filter((o) => o.via === 'B' && o.status === 201).length >= 4, 30_000);
      running = false;
      await Promise.all(workers);

      const acked = outcomes.filter((o) => o.status === 201).map((o) => o.name);
      expect(acked.length).toBeGreaterThan(12);
      expect(killedAt).toBeGreaterThan(0);
      // Anything but 201 must be a refusal or a lost connection, never a server error that hid a commit.
      const unexpected = outcomes.filter((o) => o.status !== 201 && o.status !== 503 && typeof o.status !== 'string');
      expect(unexpected).toEqual([]);

      // Every acknowledged user is in the database...
      const stored = await sql.query<{ username: string }>('select username from kernel_user where username = any($1::text[])', [acked]);
      expect(stored.rows.map((r) => r.username).sort()).toEqual([...acked].sort());
      // ...its event is in the outbox, and B (the survivor) leaves nothing unpublished.
      await until('the outbox to be fully published after A stopped', async () => (await pendingOutbox()) === 0, 30_000);
      const events = await sql.query<{ username: string }>(
        `select payload->>'username' as username from kernel_outbox
         where subject = 'kernel.user.created' and payload->>'username' = any($1::text[]) and published_at is not null`,
        [acked],
      );
      expect(events.rows.map((r) => r.username).sort()).toEqual([...acked].sort());

      // ...and every acknowledged user's event is on the stream: a fresh group replaying it finds them all.
      const seen = new Set<string>();
      const bus = await NatsBus.connect({ url: natsUrl, stream, subjectPrefix: prefix, name: 'scale-out-test-replay' });
      buses.push(bus);
      subs.push(
        await bus.subscribe({ subject: 'kernel.user.created', group: `replay-${run}` }, async (event) => {
          seen.add((event.data as { username: string }).username);
        }),
      );
      await until('every acknowledged user to be replayed from the stream', () => acked.every((n) => seen.has(n)), 30_000);

      // B is still healthy.
      const ready = await fetch(`${procB.url}/health/ready`);
      expect(ready.status).toBe(200);
    });
  });
}
