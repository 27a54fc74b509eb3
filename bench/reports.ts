/**
 * Citizen-report intake under load: `POST /api/v1/reports` with the demo 102-app partner key
 * (`X-API-Key`, scope reports:submit) against a real `tartip start`, driven by autocannon (50 connections, 2 s
 * warm-up, then 10 s measured). Once embedded (PGlite + in-process bus) and once on PostgreSQL + NATS.
 *
 * Every request is a different report: one of the 15 categories in turn, its own deviceId, and a point on a
 * 150 m grid over Almaty, so that reports of one category sent one after another are never within the
 * 100 m duplicate radius (duplicate detection still runs its PostGIS query for every report, it just finds
 * nothing) and no device reaches its hourly limit. The per-key limit (6,000/min by default, 100/s) would cap
 * the run, so the benchmark raises it with TARTIP_REPORTS_RATE_LIMIT_PARTNER (the module's own setting).
 *
 * Each 201 is the whole intake transaction: locate the point (PostGIS, KATO), device-rate check, duplicate
 * search under the per-category advisory lock, abuse counts, insert, history, the dispatch incident (dispatch's
 * reaction, in the same transaction), audit chain, outbox. The downstream work the report causes (relay → bus →
 * reports follows its incident, analytics, road defects) runs in the same server at the same time and competes for
 * the same cores; on PostgreSQL the benchmark also checks that every report accepted has its incident, waiting for
 * any that lag and reporting how long that took (since 95e7471 none can: they commit together).
 */
import autocannon from 'autocannon';
import { type BenchResult, log, memoryOf, type Metric, round, sleep } from './lib.ts';
import { ALMATY_WIDE, call, cpuMs, cpuOfProcesses, cpuUsed, databaseServer, describeWaits, grid, type Running, sampleWaits, sql, startVariant, type Variant, variantLabel } from './ops-lib.ts';

const APP102_KEY = 'tk_app102_demo_Xq7pL2vN9rT4wK8mA3sD6fG1';
const CONNECTIONS = 50;
const WARMUP_S = 2;
const DURATION_S = 10;
const GRID_SPACING_M = 150;
const DRAIN_TIMEOUT_MS = 10_000;
const TARGETS: Record<Variant, number> = { embedded: 2000, postgres: 5000 };

interface Run {
  reportsPerSecond: number;
  latencyP50Ms: number;
  latencyP90Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  created: number;
  non2xx: number;
  /** Connection errors and timeouts (autocannon counts timeouts among errors). */
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  serverCpuPercentOfOneCore: number;
  serverRssMiB: number;
  /**
   * CPU per accepted report during the measured run (ms): the server's process, and on PostgreSQL also the database
   * server's processes and NATS. Moves less than throughput between runs on a shared machine: compare changes by it.
   */
  cpuPerReportMs: { server: number; database?: number; nats?: number };
  /** PostgreSQL only: after the load, time until every stored report had its incident (ms), and the counts. */
  downstream?: { reports: number; incidents: number; drainedMs: number | null; incidentsPerSecondDuringLoad: number; incidentsPerSecondAfterLoad: number };
  /** PostgreSQL only: what the busy backends were waiting on during the measured run (sampled). */
  topDatabaseWaits?: { wait: string; statement: string; share: number }[];
}

type AutocannonResult = Awaited<ReturnType<typeof autocannon>> & { statusCodeStats?: Record<string, { count: number }> };

async function load(variant: Variant): Promise<Run> {
  const running: Running = await startVariant(variant, { TARTIP_REPORTS_RATE_LIMIT_PARTNER: '10000000' }, 'reports');
  try {
    const { server } = running;
    const { items } = await call<{ items: { code: string }[] }>(server.url, 'GET', '/api/v1/reports/categories');
    const categories = items.map((c) => c.code);
    const points = grid(ALMATY_WIDE, GRID_SPACING_M);
    // Consecutive reports of one category go to neighbouring grid points (≥ 150 m apart); a stride coprime with
    // the grid size spreads them over the city.
    const stride = 7919 % points.length === 0 ? 7907 : 7919;
    let n = 0;
    const nextBody = () => {
      const i = n++;
      const category = categories[i % categories.length];
      const p = points[(Math.floor(i / categories.length) * stride) % points.length];
      return JSON.stringify({
        category,
        location: { type: 'Point', coordinates: [p.lon, p.lat] },
        description: `Benchmark report ${i}: ${category} near the given point`,
        deviceId: `bench-${variant}-${i}`,
      });
    };
    const options = {
      url: `${server.url}/api/v1/reports`,
      connections: CONNECTIONS,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': APP102_KEY },
      requests: [{ method: 'POST', setupRequest: (req: Record<string, unknown>) => ({ ...req, body: nextBody() }) }],
    };
    await autocannon({ ...options, duration: WARMUP_S });
    const counts = async (databaseUrl: string) =>
      (
        await sql<{ reports: number; incidents: number }>(
          databaseUrl,
          'select (select count(*) from reports_report)::int as reports, (select count(*) from dispatch_incident_report)::int as incidents',
        )
      )[0];
    const before = running.databaseUrl ? await counts(running.databaseUrl) : null;
    const waits = running.databaseUrl ? await sampleWaits(running.databaseUrl) : null;
    const isDatabase = (cmd: string) => cmd.startsWith('postgres');
    const isNats = (cmd: string) => cmd.includes('nats-server');
    const database0 = running.databaseUrl ? cpuOfProcesses(isDatabase) : null;
    const nats0 = running.databaseUrl ? cpuOfProcesses(isNats) : null;
    const cpu0 = cpuMs(server.pid);
    const t0 = performance.now();
    const r = (await autocannon({ ...options, duration: DURATION_S })) as AutocannonResult;
    const elapsedMs = performance.now() - t0;
    const serverCpuMs = cpuMs(server.pid) - cpu0;
    const databaseCpuMs = database0 ? cpuUsed(database0, cpuOfProcesses(isDatabase)) : null;
    const natsCpuMs = nats0 ? cpuUsed(nats0, cpuOfProcesses(isNats)) : null;
    const topWaits = await waits?.stop();
    const serverCpu = (serverCpuMs / elapsedMs) * 100;
    const perReport = (ms: number) => round(ms / Math.max(1, r['2xx']), 3);
    const serverRssMiB = memoryOf(server.pid).rssMiB;
    const statusCodes: Record<string, number> = {};
    for (const [code, s] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = s.count;
    const run: Run = {
      reportsPerSecond: round(r['2xx'] / (elapsedMs / 1000), 0),
      latencyP50Ms: r.latency.p50,
      latencyP90Ms: r.latency.p90,
      latencyP99Ms: r.latency.p99,
      latencyMaxMs: r.latency.max,
      created: r['2xx'],
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      statusCodes,
      serverCpuPercentOfOneCore: round(serverCpu, 0),
      serverRssMiB,
      cpuPerReportMs: {
        server: perReport(serverCpuMs),
        ...(databaseCpuMs === null ? {} : { database: perReport(databaseCpuMs) }),
        ...(natsCpuMs === null ? {} : { nats: perReport(natsCpuMs) }),
      },
    };
    if (topWaits) run.topDatabaseWaits = topWaits;
    if (running.databaseUrl && before) {
      // Every report has its incident (dispatch.report-intake, a reaction in the intake transaction).
      const atEnd = await counts(running.databaseUrl);
      const started = performance.now();
      let now = atEnd;
      let drainedMs: number | null = null;
      while (performance.now() - started < DRAIN_TIMEOUT_MS) {
        if (now.incidents >= now.reports) {
          drainedMs = Math.round(performance.now() - started);
          break;
        }
        await sleep(250);
        now = await counts(running.databaseUrl);
      }
      const drainS = (performance.now() - started) / 1000;
      run.downstream = {
        reports: now.reports,
        incidents: now.incidents,
        drainedMs,
        incidentsPerSecondDuringLoad: round((atEnd.incidents - before.incidents) / (elapsedMs / 1000), 0),
        incidentsPerSecondAfterLoad: round((now.incidents - atEnd.incidents) / drainS, 0),
      };
    }
    return run;
  } finally {
    await running.stop();
  }
}

const metricsOf = (variant: Variant, r: Run): Metric[] => {
  const v = variant === 'embedded' ? 'embedded' : 'PostgreSQL + NATS';
  const out: Metric[] = [
    { label: `POST /api/v1/reports (partner key), ${v}: reports accepted`, value: r.reportsPerSecond, unit: 'reports/s', target: { op: '>=', value: TARGETS[variant] } },
    { label: `POST /api/v1/reports, ${v}: latency p50`, value: r.latencyP50Ms, unit: 'ms' },
    { label: `POST /api/v1/reports, ${v}: latency p99`, value: r.latencyP99Ms, unit: 'ms' },
    { label: `POST /api/v1/reports, ${v}: non-2xx + errors`, value: r.non2xx + r.errors, unit: 'responses', target: { op: '<=', value: 0 } },
    { label: `POST /api/v1/reports, ${v}: server CPU per report`, value: r.cpuPerReportMs.server, unit: 'ms' },
  ];
  if (r.cpuPerReportMs.database !== undefined) out.push({ label: `POST /api/v1/reports, ${v}: PostgreSQL CPU per report (all its processes)`, value: r.cpuPerReportMs.database, unit: 'ms' });
  if (r.cpuPerReportMs.nats !== undefined) out.push({ label: `POST /api/v1/reports, ${v}: NATS CPU per report`, value: r.cpuPerReportMs.nats, unit: 'ms' });
  if (r.downstream) {
    out.push({
      label: `POST /api/v1/reports, ${v}: reports still without an incident ${DRAIN_TIMEOUT_MS / 1000} s after the load`,
      value: r.downstream.reports - r.downstream.incidents,
      unit: 'reports',
    });
    out.push({ label: `POST /api/v1/reports, ${v}: incidents made from reports during the load (downstream)`, value: r.downstream.incidentsPerSecondDuringLoad, unit: 'incidents/s' });
  }
  return out;
};

export async function reports(): Promise<Pick<BenchResult, 'metrics' | 'details'>> {
  const metrics: Metric[] = [];
  const details: Record<string, unknown> = {
    route: 'POST /api/v1/reports with X-API-Key (demo app-102 key, channel app102, scope reports:submit)',
    connections: CONNECTIONS,
    warmupS: WARMUP_S,
    durationS: DURATION_S,
    rateLimitOverride: 'TARTIP_REPORTS_RATE_LIMIT_PARTNER=10000000 (default 6000 per minute per key)',
    body: `15 categories in turn, a distinct deviceId per report, points on a ${GRID_SPACING_M} m grid over Almaty (${JSON.stringify(ALMATY_WIDE)}), a one-line description; no media`,
  };
  for (const variant of ['embedded', 'postgres'] as const) {
    log(`  ${variantLabel(variant)}: ${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s`);
    const r = await load(variant);
    log(
      `    ${r.reportsPerSecond} reports/s, p50 ${r.latencyP50Ms} ms, p99 ${r.latencyP99Ms} ms, non-2xx ${r.non2xx}, errors ${r.errors} (of which timeouts ${r.timeouts})` +
        (r.downstream
          ? `; downstream: ${r.downstream.incidentsPerSecondDuringLoad} incidents/s during the load, ${r.downstream.incidents}/${r.downstream.reports} reports with an incident ${r.downstream.drainedMs === null ? `${DRAIN_TIMEOUT_MS / 1000} s after it` : `after ${r.downstream.drainedMs} ms`}`
          : ''),
    );
    metrics.push(...metricsOf(variant, r));
    details[variant] = variant === 'postgres' ? { ...r, databaseServer: databaseServer(), pool: 10 } : r;
  }
  const e = details.embedded as Run;
  const p = details.postgres as Run;
  details.notes = [
    `Per-key rate limit raised for the run with TARTIP_REPORTS_RATE_LIMIT_PARTNER=10000000 (default 6,000/min = 100/s per key would cap it); the per-device limit is untouched — every report has its own deviceId.`,
    `Each accepted report is one transaction (PostGIS locate, duplicate search under a per-category advisory lock, the dispatch incident it becomes — dispatch's reaction, in the same transaction — audit chain, outbox). Its downstream work — reports following that incident, analytics, road defects — runs in the same server during the load.` +
      (p.downstream
        ? ` On PostgreSQL, ${p.downstream.incidentsPerSecondDuringLoad} incidents/s were made from reports during the load (${p.downstream.incidentsPerSecondAfterLoad}/s after it) against ${p.reportsPerSecond} reports/s accepted; ${p.downstream.incidents.toLocaleString('en')} of ${p.downstream.reports.toLocaleString('en')} reports had their incident ${p.downstream.drainedMs === null ? `${DRAIN_TIMEOUT_MS / 1000} s after the load (not drained)` : `${round(p.downstream.drainedMs / 1000, 1)} s after the load stopped`}.`
        : ''),
    `PostgreSQL run, what the busy database backends waited on (share of samples): ${describeWaits(p.topDatabaseWaits)}.` +
      (p.topDatabaseWaits?.[0]?.statement.includes('kernel_audit_head')
        ? ' Every command — the report, and the incident and status change it causes — appends to the audit chain by updating its one head row, which then stays locked until that transaction commits: intake is bounded by those transactions one after another, not by CPU.'
        : ''),
    `Server CPU during the measured run: embedded ${e.serverCpuPercentOfOneCore}%, PostgreSQL ${p.serverCpuPercentOfOneCore}% of one core (PostgreSQL, NATS and autocannon share the same 2 cores).`,
  ];
  return { metrics, details };
}

/** The parts, to run one variant alone while working on the modules. */
export const _internal = { load };
