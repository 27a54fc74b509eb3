/**
 * Embedded-mode start-up: `tartip start` on a new data dir (creates PGlite + PostGIS, migrates, loads the
 * boundaries of Kazakhstan, seeds the demo accounts) and on an existing one; time from spawn until
 * /health/ready answers 200. Then the idle resident memory of the server process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  type BenchResult,
  deleteStream,
  freePort,
  log,
  memoryOf,
  type Metric,
  percentile,
  requireNats,
  requirePostgres,
  round,
  scratchDatabase,
  type Server,
  sleep,
  startServer,
  uniqueName,
  waitReady,
} from './lib.ts';

const NEW_RUNS = 2;
const EXISTING_RUNS = 3;
const IDLE_MS = 5000;

export async function startup(): Promise<Pick<BenchResult, 'metrics' | 'details'>> {
  const dirs: string[] = [];
  const servers: Server[] = [];
  try {
    const newTimes: number[] = [];
    const stopTimes: number[] = [];
    const existingTimes: number[] = [];
    let idle: { rssMiB: number; peakMiB: number } | undefined;
    let idleAfterNew: { rssMiB: number; peakMiB: number } | undefined;
    let lastDir = '';
    for (let i = 0; i < NEW_RUNS; i++) {
      lastDir = mkdtempSync(join(tmpdir(), 'tartip-bench-startup-'));
      dirs.push(lastDir);
      const t0 = performance.now();
      const server = startServer(await freePort(), { TARTIP_MODE: 'embedded', TARTIP_DATA_DIR: lastDir });
      servers.push(server);
      const ms = await waitReady(server, t0, 60_000);
      newTimes.push(ms);
      log(`  new data dir #${i + 1}: ready in ${round(ms / 1000, 2)} s`);
      if (i === 0) {
        await sleep(IDLE_MS);
        idleAfterNew = memoryOf(server.pid);
      }
      stopTimes.push(await server.stop());
    }
    for (let i = 0; i < EXISTING_RUNS; i++) {
      const t0 = performance.now();
      const server = startServer(await freePort(), { TARTIP_MODE: 'embedded', TARTIP_DATA_DIR: lastDir });
      servers.push(server);
      const ms = await waitReady(server, t0, 60_000);
      existingTimes.push(ms);
      log(`  existing data dir #${i + 1}: ready in ${round(ms / 1000, 2)} s`);
      if (i === 0) {
        await sleep(IDLE_MS);
        idle = memoryOf(server.pid);
        log(`  idle RSS ${idle.rssMiB} MiB (peak ${idle.peakMiB} MiB)`);
      }
      stopTimes.push(await server.stop());
    }
    const worstNew = Math.max(...newTimes);
    const worstExisting = Math.max(...existingTimes);

    // For comparison: the same server with PostgreSQL and NATS instead of PGlite and the in-process bus.
    let external: { readyMs: number; rssMiB: number; peakMiB: number } | { skipped: string };
    try {
      external = await idleOnPostgres(dirs, servers);
      log(`  PostgreSQL + NATS: ready in ${round(external.readyMs / 1000, 2)} s, idle RSS ${external.rssMiB} MiB`);
    } catch (e) {
      external = { skipped: (e as Error).message };
      log(`  PostgreSQL + NATS comparison skipped: ${external.skipped}`);
    }
    const extra: Metric[] =
      'rssMiB' in external ? [{ label: 'idle RSS after start, same server on PostgreSQL + NATS (no PGlite)', value: external.rssMiB, unit: 'MiB' }] : [];
    const notes = [
      'Cold start on a new data dir includes creating the PGlite cluster, the migrations, loading the region and district boundaries of Kazakhstan into PostGIS and hashing the 11 demo passwords (scrypt).',
    ];
    if ('rssMiB' in external) {
      notes.push(
        `Idle memory is dominated by PGlite (PostgreSQL compiled to WebAssembly, with PostGIS) inside the server process: the same server on external PostgreSQL + NATS idles at ${external.rssMiB} MiB, ${round(idle!.rssMiB - external.rssMiB, 0)} MiB less.`,
      );
    }
    return {
      metrics: [
        { label: 'cold start, new data dir (worst of runs)', value: round(worstNew / 1000, 2), unit: 's', target: { op: '<=', value: 15 } },
        { label: 'cold start, existing data dir (worst of runs)', value: round(worstExisting / 1000, 2), unit: 's', target: { op: '<=', value: 5 } },
        { label: 'idle RSS after start (existing data dir)', value: idle!.rssMiB, unit: 'MiB', target: { op: '<=', value: 400 } },
        ...extra,
        { label: 'graceful stop, SIGTERM to exit (worst)', value: round(Math.max(...stopTimes) / 1000, 2), unit: 's' },
      ],
      details: {
        mode: 'embedded (PGlite + PostGIS in the data dir, in-process bus), TARTIP_DEMO default (on)',
        measuredFrom: 'spawn of `node apps/cli/tartip.mjs start` to the first 200 from /health/ready (polled every 25 ms)',
        newDataDirMs: newTimes.map((v) => round(v)),
        existingDataDirMs: existingTimes.map((v) => round(v)),
        medianExistingMs: round(percentile([...existingTimes].sort((a, b) => a - b), 50)),
        idleAfterMs: IDLE_MS,
        idleExistingDataDir: idle,
        idleNewDataDir: idleAfterNew,
        gracefulStopMs: stopTimes.map((v) => round(v)),
        postgresAndNats: external,
        notes,
      },
    };
  } finally {
    await Promise.allSettled(servers.map((s) => s.stop()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** Starts the server on a scratch PostgreSQL database and NATS stream; its readiness time and idle memory. */
async function idleOnPostgres(dirs: string[], servers: Server[]): Promise<{ readyMs: number; rssMiB: number; peakMiB: number }> {
  await requirePostgres();
  const natsUrl = await requireNats();
  const db = await scratchDatabase();
  const stream = uniqueName('BENCH_STARTUP').toUpperCase();
  const dataDir = mkdtempSync(join(tmpdir(), 'tartip-bench-startup-pg-'));
  dirs.push(dataDir);
  try {
    const t0 = performance.now();
    const server = startServer(await freePort(), {
      TARTIP_MODE: 'embedded',
      TARTIP_DATA_DIR: dataDir,
      TARTIP_DATABASE_URL: db.url,
      TARTIP_NATS_URL: natsUrl,
      TARTIP_NATS_STREAM: stream,
      TARTIP_NATS_PREFIX: stream.toLowerCase(),
      TARTIP_JWT_SECRET: randomBytes(36).toString('base64url'),
      TARTIP_AUDIT_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    servers.push(server);
    const readyMs = await waitReady(server, t0, 60_000);
    await sleep(IDLE_MS);
    const memory = memoryOf(server.pid);
    await server.stop();
    return { readyMs: round(readyMs), ...memory };
  } finally {
    await db.drop().catch(() => {});
    await deleteStream(stream).catch(() => {});
  }
}
