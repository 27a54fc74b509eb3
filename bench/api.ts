/**
 * A minimal authenticated route under load: `GET /api/v1/auth/me` with a bearer token (verifies the JWT,
 * reads the user row, serialises it), driven by autocannon with 50 connections for 10 s after a 2 s warm-up.
 * Once on embedded mode (PGlite, in the server process) and once on PostgreSQL + NATS (production wiring).
 * The load generator runs on the same machine and takes one of its cores.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import {
  type BenchResult,
  deleteStream,
  freePort,
  log,
  login,
  memoryOf,
  type Metric,
  requireNats,
  requirePostgres,
  round,
  scratchDatabase,
  startServer,
  uniqueName,
  waitReady,
} from './lib.ts';

const CONNECTIONS = 50;
const DURATION_S = 10;
const WARMUP_S = 2;

interface Run {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  serverRssMiB: number;
}

async function load(env: Record<string, string>): Promise<Run> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tartip-bench-api-'));
  const server = startServer(await freePort(), { TARTIP_DATA_DIR: dataDir, TARTIP_LOGIN_RATE_LIMIT: '1000', ...env });
  try {
    await waitReady(server, performance.now(), 60_000);
    const token = await login(server.url, 'admin');
    const options = {
      url: `${server.url}/api/v1/auth/me`,
      connections: CONNECTIONS,
      headers: { authorization: `Bearer ${token}` },
    };
    await autocannon({ ...options, duration: WARMUP_S });
    const r = await autocannon({ ...options, duration: DURATION_S });
    return {
      requestsPerSecond: round(r.requests.average, 0),
      latencyP50Ms: r.latency.p50,
      latencyP99Ms: r.latency.p99,
      latencyMaxMs: r.latency.max,
      requests: r.requests.total,
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      serverRssMiB: memoryOf(server.pid).rssMiB,
    };
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const metricsOf = (variant: string, r: Run): Metric[] => [
  { label: `GET /api/v1/auth/me, ${variant}: throughput`, value: r.requestsPerSecond, unit: 'req/s' },
  { label: `GET /api/v1/auth/me, ${variant}: latency p50`, value: r.latencyP50Ms, unit: 'ms' },
  { label: `GET /api/v1/auth/me, ${variant}: latency p99`, value: r.latencyP99Ms, unit: 'ms' },
  { label: `GET /api/v1/auth/me, ${variant}: non-2xx + errors`, value: r.non2xx + r.errors + r.timeouts, unit: 'responses', target: { op: '<=', value: 0 } },
];

export async function api(): Promise<Pick<BenchResult, 'metrics' | 'details'>> {
  // Both halves or neither: fail fast, before the embedded half, when PostgreSQL or NATS is missing.
  const databaseUrl = await requirePostgres();
  const natsUrl = await requireNats();
  log(`  embedded (PGlite): ${CONNECTIONS} connections, ${DURATION_S} s`);
  const embedded = await load({ TARTIP_MODE: 'embedded' });
  log(`    ${embedded.requestsPerSecond} req/s, p50 ${embedded.latencyP50Ms} ms, p99 ${embedded.latencyP99Ms} ms`);

  const metrics = metricsOf('embedded', embedded);
  const details: Record<string, unknown> = { connections: CONNECTIONS, durationS: DURATION_S, warmupS: WARMUP_S, embedded };

  // Production wiring: PostgreSQL pool + NATS bus (TARTIP_MODE stays embedded only to allow the demo accounts).
  const db = await scratchDatabase();
  const stream = uniqueName('BENCH_API').toUpperCase();
  try {
    log(`  PostgreSQL + NATS: ${CONNECTIONS} connections, ${DURATION_S} s`);
    const production = await load({
      TARTIP_MODE: 'embedded',
      TARTIP_DATABASE_URL: db.url,
      TARTIP_NATS_URL: natsUrl,
      TARTIP_NATS_STREAM: stream,
      TARTIP_NATS_PREFIX: stream.toLowerCase(),
      TARTIP_DEMO: 'true',
      TARTIP_JWT_SECRET: randomBytes(36).toString('base64url'),
      TARTIP_AUDIT_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    log(`    ${production.requestsPerSecond} req/s, p50 ${production.latencyP50Ms} ms, p99 ${production.latencyP99Ms} ms`);
    metrics.push(...metricsOf('PostgreSQL', production));
    details.postgres = { ...production, databaseServer: databaseUrl.replace(/\/\/[^@]*@/, '//'), pool: 10 };
    details.notes = [
      `autocannon (one Node process) shares the ${availableParallelism()} cores with the server, and in the PostgreSQL run also with PostgreSQL and NATS. In embedded mode PGlite runs in the server's own worker thread (its statements and answers cross as protocol bytes); on PostgreSQL the same route served ${round(production.requestsPerSecond / embedded.requestsPerSecond, 1)}× the requests.`,
      `Server RSS after the run: embedded ${embedded.serverRssMiB} MiB, PostgreSQL ${production.serverRssMiB} MiB.`,
    ];
  } finally {
    await db.drop().catch(() => {});
    await deleteStream(stream).catch(() => {});
  }
  return { metrics, details };
}
