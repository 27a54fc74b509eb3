/** Shared pieces of the benchmark suite: child servers, timing, percentiles, machine facts, result files. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HmacSha256 } from '../modules/fraud/domain/hmac.ts';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(BENCH_DIR, '..');
export const RESULTS_DIR = join(BENCH_DIR, 'results');
export const CLI = join(REPO_ROOT, 'apps/cli/tartip.mjs');

export const BENCH_DATABASE_URL = process.env.TARTIP_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
export const BENCH_NATS_URL = process.env.TARTIP_BENCH_NATS_URL || 'nats://127.0.0.1:4222';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export type Comparison = '<=' | '>=';

/** One line of the results table. */
export interface Metric {
  label: string;
  value: number;
  unit: string;
  /** Absent: recorded for information, no pass/fail. */
  target?: { op: Comparison; value: number };
}

export interface BenchResult {
  name: string;
  title: string;
  commit: string;
  date: string;
  machine: Machine;
  durationMs: number;
  /** Set when the benchmark could not run; `metrics` is then empty. */
  error?: string;
  metrics: Metric[];
  /** Parameters and raw figures behind the metrics. */
  details: Record<string, unknown>;
}

export function passes(m: Metric): boolean | undefined {
  if (!m.target) return undefined;
  return m.target.op === '<=' ? m.value <= m.target.value : m.value >= m.target.value;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  /** `cpuIndex()` on this machine when the run began (absent in results from before it was recorded). */
  cpuIndex?: number;
}

/**
 * A fixed single-thread JavaScript workload, so that results measured on different machines can be compared:
 * HMAC-SHA256 of short identifiers (`phone:+7701…`) by the fraud module's pure-JavaScript implementation, digests per
 * second, the best of three rounds of 0.3 s after a warm-up round. The machines of this project's sessions differ by
 * two to four times in everything measured here; a row measured on a machine with half the index is not a
 * regression of the code.
 */
export function cpuIndex(): number {
  const mac = new HmacSha256('tartip-bench-cpu-index');
  const out = new Uint8Array(32);
  const messages = Array.from({ length: 1000 }, (_, i) => `phone:+7701${String(1_000_000 + i * 7919).slice(-7)}`);
  let best = 0;
  for (let round = 0; round < 4; round++) {
    let n = 0;
    const t0 = performance.now();
    let elapsed = 0;
    while (elapsed < 300) {
      for (const m of messages) mac.digest(m, out);
      n += messages.length;
      elapsed = performance.now() - t0;
    }
    if (round > 0) best = Math.max(best, (n / elapsed) * 1000); // round 0 warms up
  }
  return Math.round(best);
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

/**
 * Short commit of HEAD, marked when the code differs from it (the suite's own outputs, BENCHMARKS.md and
 * bench/results, don't count); 'uncommitted' outside a repository.
 */
export function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', '.', ':!BENCHMARKS.md', ':!bench/results'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    return dirty ? `${head} + uncommitted changes` : head;
  } catch {
    return 'uncommitted';
  }
}

export function writeResult(result: BenchResult): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${result.name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

export function readResult(name: string): BenchResult | undefined {
  const file = join(RESULTS_DIR, `${name}.json`);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as BenchResult;
}

/** Nearest-rank percentile of an ascending-sorted array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolvePort(port));
    });
  });
}

export const uniqueName = (prefix: string) => `${prefix}_${randomBytes(5).toString('hex')}`;

/** A `tartip start` child process. */
export interface Server {
  url: string;
  pid: number;
  child: ChildProcess;
  output(): string;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the time the graceful stop took (ms). */
  stop(graceMs?: number): Promise<number>;
}

/** Starts `node apps/cli/tartip.mjs start` with only the given TARTIP_* variables (plus PORT/HOST). */
export function startServer(port: number, env: Record<string, string>): Server {
  const base: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TARTIP_')) base[k] = v;
  // TARTIP_BENCH_NODE_ARGS passes flags to the server under test, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const nodeArgs = (process.env.TARTIP_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // TARTIP_BENCH_STATEMENT_PROFILE_DIR: each server writes the statements it sent to <dir>/<port>.json on stop.
  const profileDir = process.env.TARTIP_BENCH_STATEMENT_PROFILE_DIR;
  if (profileDir) env = { ...env, TARTIP_DB_STATEMENT_PROFILE: join(profileDir, `${port}.json`) };
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'start'], {
    cwd: REPO_ROOT,
    env: { ...base, TARTIP_LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (c: Buffer) => {
    out = (out + c.toString()).slice(-10_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let done = false;
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (code) => {
      done = true;
      r(code);
    }),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    child,
    output: () => out,
    exited,
    async stop(graceMs = 20_000) {
      if (done) return 0;
      const t0 = performance.now();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      return performance.now() - t0;
    },
  };
}

/** Polls /health/ready until 200; returns ms since `since` (a performance.now() value). */
export async function waitReady(server: Server, since: number, timeoutMs = 60_000): Promise<number> {
  let exitedCode: number | null | undefined;
  void server.exited.then((c) => {
    exitedCode = c;
  });
  for (;;) {
    if (exitedCode !== undefined) throw new Error(`server exited (${exitedCode}) before it was ready:\n${server.output()}`);
    const res = await fetch(`${server.url}/health/ready`).catch(() => null);
    if (res) {
      await res.arrayBuffer().catch(() => {});
      if (res.status === 200) return performance.now() - since;
    }
    if (performance.now() - since > timeoutMs) throw new Error(`server not ready within ${timeoutMs} ms:\n${server.output()}`);
    await sleep(25);
  }
}

/** VmRSS / VmHWM of a process, in MiB. */
export function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: round(kb('VmRSS') / 1024), peakMiB: round(kb('VmHWM') / 1024) };
}

export async function login(url: string, username: string, password = 'demo'): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login as ${username} failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

/** Fails with a clear message when PostgreSQL is not reachable at TARTIP_BENCH_DATABASE_URL. */
export async function requirePostgres(): Promise<string> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: BENCH_DATABASE_URL, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
    await c.query('select 1');
  } catch (e) {
    throw new Error(
      `PostgreSQL is not reachable at ${BENCH_DATABASE_URL} (${(e as Error).message}). Set TARTIP_BENCH_DATABASE_URL to a PostgreSQL ≥ 15 server with PostGIS where the user may create databases.`,
    );
  } finally {
    await c.end().catch(() => {});
  }
  return BENCH_DATABASE_URL;
}

/** Fails with a clear message when NATS is not reachable at TARTIP_BENCH_NATS_URL. */
export async function requireNats(): Promise<string> {
  const { connect } = await import('@nats-io/transport-node');
  try {
    const nc = await connect({ servers: BENCH_NATS_URL.split(','), timeout: 5000 });
    await nc.close();
  } catch (e) {
    throw new Error(
      `NATS is not reachable at ${BENCH_NATS_URL} (${(e as Error).message}). Set TARTIP_BENCH_NATS_URL to a NATS server with JetStream enabled.`,
    );
  }
  return BENCH_NATS_URL;
}

/** Creates a scratch database on the bench server; returns its URL and a dropper. */
export async function scratchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const { default: pg } = await import('pg');
  const name = uniqueName('tartip_bench');
  const admin = new pg.Client({ connectionString: BENCH_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(BENCH_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: BENCH_DATABASE_URL });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

export async function deleteStream(stream: string): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: BENCH_NATS_URL.split(','), timeout: 5000 });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(stream).catch(() => {});
  } finally {
    await nc.close();
  }
}

export function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** A full garbage collection, for memory measured in the bench process (no --expose-gc needed). */
export function gcFn(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}
