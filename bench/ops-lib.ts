/**
 * Shared pieces of the operations-centre benchmarks (`reports`, `telemetry`, `recommend`, `console`): a
 * `tartip start` child on embedded PGlite or on PostgreSQL + NATS with its scratch database/stream and clean-up,
 * a small JSON client for the API, unit registration, partner keys, an SSE reader, grids of points in Almaty.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BENCH_DATABASE_URL,
  deleteStream,
  freePort,
  requireNats,
  requirePostgres,
  round,
  scratchDatabase,
  type Server,
  startServer,
  uniqueName,
  waitReady,
} from './lib.ts';

export type Variant = 'embedded' | 'postgres';

export interface Running {
  server: Server;
  /** Every server process started (the first is `server`); more than one share the database and the bus. */
  servers: Server[];
  variant: Variant;
  /** Scratch database URL (PostgreSQL variant only), for checks made beside the API. */
  databaseUrl: string | null;
  stop(): Promise<void>;
}

/**
 * Starts `tartip start` and waits until it is ready. `embedded`: PGlite + in-process bus in a temporary data dir.
 * `postgres`: a scratch database on TARTIP_BENCH_DATABASE_URL and a scratch JetStream stream on
 * TARTIP_BENCH_NATS_URL (TARTIP_MODE stays embedded only so the demo accounts and keys are seeded, as in `api`).
 */
export async function startVariant(variant: Variant, env: Record<string, string> = {}, prefix = 'ops', processes = 1): Promise<Running> {
  if (processes > 1 && variant !== 'postgres') throw new Error('more than one server process needs PostgreSQL + NATS');
  const dataDir = mkdtempSync(join(tmpdir(), `tartip-bench-${prefix}-`));
  let db: Awaited<ReturnType<typeof scratchDatabase>> | undefined;
  let stream: string | undefined;
  const base: Record<string, string> = { TARTIP_MODE: 'embedded', TARTIP_DATA_DIR: dataDir, TARTIP_LOGIN_RATE_LIMIT: '1000' };
  if (variant === 'postgres') {
    await requirePostgres();
    const natsUrl = await requireNats();
    db = await scratchDatabase();
    stream = uniqueName(`BENCH_${prefix}`).toUpperCase();
    Object.assign(base, {
      TARTIP_DATABASE_URL: db.url,
      TARTIP_NATS_URL: natsUrl,
      TARTIP_NATS_STREAM: stream,
      TARTIP_NATS_PREFIX: stream.toLowerCase(),
      TARTIP_DEMO: 'true',
      TARTIP_JWT_SECRET: randomBytes(36).toString('base64url'),
      TARTIP_AUDIT_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
  }
  const cleanup = async () => {
    if (db) await db.drop().catch(() => {});
    if (stream) await deleteStream(stream).catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  };
  const servers: Server[] = [];
  try {
    // One after another: the first migrates the scratch database and seeds it; the others find it done.
    for (let i = 0; i < processes; i++) {
      const server = startServer(await freePort(), { ...base, ...env });
      servers.push(server);
      await waitReady(server, performance.now(), 90_000);
    }
  } catch (e) {
    await Promise.all(servers.map((s) => s.stop()));
    await cleanup();
    throw e;
  }
  return {
    server: servers[0],
    servers,
    variant,
    databaseUrl: db?.url ?? null,
    async stop() {
      await Promise.all(servers.map((s) => s.stop()));
      await cleanup();
    },
  };
}

export const variantLabel = (v: Variant) => (v === 'embedded' ? 'embedded (PGlite + memory bus)' : 'PostgreSQL + NATS');

/** No request of the benchmarks waits longer than this. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** A JSON request; throws with the answer when the status is not the expected one. */
export async function call<T = unknown>(
  url: string,
  method: string,
  path: string,
  o: { token?: string; apiKey?: string; body?: unknown; expect?: number } = {},
): Promise<T> {
  const headers: Record<string, string> = {};
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.apiKey) headers['x-api-key'] = o.apiKey;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${url}${path}`, {
    method,
    headers,
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  if (res.status !== (o.expect ?? 200)) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Runs `fn(i)` for i in [0, n) with at most `concurrency` in flight. */
export async function pool(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
}

/** Registers `n` units through `POST /api/v1/units` (needs dispatch:units, e.g. the demo `admin` or `dispatcher`). */
export async function createUnits(
  url: string,
  token: string,
  n: number,
  o: { prefix: string; homeKato: string; type?: (i: number) => string; concurrency?: number },
): Promise<string[]> {
  const ids = new Array<string>(n);
  await pool(n, o.concurrency ?? 8, async (i) => {
    const u = await call<{ id: string }>(url, 'POST', '/api/v1/units', {
      token,
      expect: 201,
      body: { callSign: `${o.prefix}-${String(i).padStart(5, '0')}`, type: o.type?.(i) ?? 'PATROL_CAR', homeKato: o.homeKato, crew: [] },
    });
    ids[i] = u.id;
  });
  return ids;
}

/** Issues a partner key through `POST /api/v1/api-keys` (as the demo `admin`, who holds apikeys:write). */
export async function issueKey(url: string, adminToken: string, name: string, scopes: string[], jurisdictions: string[], channel = 'camera'): Promise<string> {
  const r = await call<{ key: string }>(url, 'POST', '/api/v1/api-keys', { token: adminToken, expect: 201, body: { name, channel, scopes, jurisdictions } });
  return r.key;
}

/** Sends NDJSON telemetry lines; resolves with the 202 answer. */
export async function postTelemetry(url: string, auth: { apiKey?: string; token?: string }, body: string): Promise<{ status: number; accepted: number; text: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
  if (auth.apiKey) headers['x-api-key'] = auth.apiKey;
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  const res = await fetch(`${url}/api/v1/units/telemetry`, { method: 'POST', headers, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await res.text();
  let accepted = 0;
  if (res.status === 202) accepted = (JSON.parse(text) as { accepted: number }).accepted;
  return { status: res.status, accepted, text };
}

/** One SSE connection on its own socket; `onFrame(id, event, data, arrivedAt)` for every event frame. */
export interface SseClient {
  close(): void;
}

export function openSse(url: string, onFrame: (id: string, event: string, data: string, arrivedAt: number) => void, timeoutMs = 10_000): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`stream not connected within ${timeoutMs} ms`));
    }, timeoutMs);
    const req = http.get(url, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        clearTimeout(timer);
        reject(new Error(`stream answered ${res.statusCode}`));
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      let connected = false;
      res.on('data', (chunk: string) => {
        const arrivedAt = performance.now();
        buffer += chunk;
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          cut = buffer.indexOf('\n\n');
          if (!connected && frame.includes(': connected')) {
            connected = true;
            clearTimeout(timer);
            resolve({ close: () => req.destroy() });
            continue;
          }
          let id = '';
          let event = '';
          let data = '';
          for (const line of frame.split('\n')) {
            if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data = line.slice(6);
          }
          if (data) onFrame(id, event, data, arrivedAt);
        }
      });
      res.on('error', () => {});
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** utime + stime of a process, in ms (USER_HZ = 100 on Linux). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/**
 * CPU time (ms) used so far by every process of this machine whose command line matches, keyed by pid: read twice,
 * the difference over the pids present both times is what they used in between (a process that started or ended
 * between the reads is left out). For the PostgreSQL server (`postgres: …`, its backends and background workers) and
 * NATS, which run beside the server under test.
 */
export function cpuOfProcesses(match: (cmdline: string) => boolean): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (match(readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' '))) out.set(Number(entry), cpuMs(Number(entry)));
    } catch {
      // ended between the listing and the read
    }
  }
  return out;
}

/** CPU ms the processes of `before` used until `after`, over the pids in both. */
export function cpuUsed(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0;
  for (const [pid, t] of after) {
    const t0 = before.get(pid);
    if (t0 !== undefined) ms += t - t0;
  }
  return ms;
}

/** A query on the scratch database, beside the server (PostgreSQL variant). */
export async function sql<T>(databaseUrl: string, text: string, params: unknown[] = []): Promise<T[]> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000, query_timeout: 10_000 });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

export interface LonLat {
  lon: number;
  lat: number;
}

/**
 * Points on a regular grid with `spacingM` between neighbours, inside a box (lon/lat degrees). Almaty: the
 * central box lies inside the city's districts (geokz), so points are located to a district KATO in 7511…7519.
 */
export function grid(box: { west: number; south: number; east: number; north: number }, spacingM: number): LonLat[] {
  const midLat = (box.south + box.north) / 2;
  const dLat = spacingM / 111_320;
  const dLon = spacingM / (111_320 * Math.cos((midLat * Math.PI) / 180));
  const out: LonLat[] = [];
  for (let lat = box.south; lat <= box.north; lat += dLat) {
    for (let lon = box.west; lon <= box.east; lon += dLon) out.push({ lon: round(lon, 6), lat: round(lat, 6) });
  }
  return out;
}

/** Central Almaty (inside the city's districts: every point is in the demo operator's and dispatcher's jurisdiction). */
export const ALMATY_CENTRE = { west: 76.85, south: 43.215, east: 76.97, north: 43.3 };
/** A wider Almaty box (city and its edge; partner keys with `*` may file anywhere in Kazakhstan). */
export const ALMATY_WIDE = { west: 76.8, south: 43.2, east: 77.0, north: 43.33 };

export const databaseServer = () => BENCH_DATABASE_URL.replace(/\/\/[^@]*@/, '//');

export { seededRandom as rng } from '../packages/kernel/src/random.ts';

/**
 * Samples what the scratch database's busy backends wait on (pg_stat_activity every `everyMs`), to say where a
 * PostgreSQL run spends its time: `stop()` returns the most frequent (wait, statement) pairs with their share.
 */
export async function sampleWaits(databaseUrl: string, everyMs = 50): Promise<{ stop(): Promise<{ wait: string; statement: string; share: number }[]> }> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000, query_timeout: 5000 });
  await c.connect();
  const counts = new Map<string, number>();
  let total = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const { rows } = await c.query<{ w: string }>(
        `select coalesce(wait_event_type || ':' || wait_event, 'CPU') || '|' || left(regexp_replace(query, '\\s+', ' ', 'g'), 70) as w
         from pg_stat_activity where datname = current_database() and state <> 'idle' and pid <> pg_backend_pid()`,
      );
      for (const r of rows) {
        counts.set(r.w, (counts.get(r.w) ?? 0) + 1);
        total++;
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })().catch(() => {}); // a failed sample ends the sampling, never the benchmark
  return {
    async stop() {
      stopped = true;
      await loop;
      await c.end().catch(() => {});
      return [...counts]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([k, n]) => {
          const [wait, statement] = k.split('|');
          return { wait, statement, share: round(n / Math.max(1, total), 2) };
        });
    },
  };
}

/** "41% Lock:transactionid in `update kernel_audit_head …`, 9% …" — the top sampled waits, for a note. */
export function describeWaits(waits: { wait: string; statement: string; share: number }[] | undefined, top = 3): string {
  if (!waits || waits.length === 0) return 'no samples';
  return waits
    .slice(0, top)
    .map((w) => `${Math.round(w.share * 100)}% ${w.wait} in \`${w.statement.trim()}…\``)
    .join(', ');
}
