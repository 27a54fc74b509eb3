/**
 * Unit positions through `POST /api/v1/units/telemetry` (NDJSON) against a real `tartip start`: first on
 * PostgreSQL + NATS, then embedded (PGlite + in-process bus).
 *
 * Setup through the API: the demo `admin` issues a tracker-gateway partner key with scope telemetry:ingest for
 * Almaty (no demo key has that scope) and registers 1,000 units in Almaty's districts. Then SENDERS gateways
 * post concurrently, closed loop, each for its own UNITS / SENDERS units: batches of BATCH_LINES lines, i.e.
 * every unit of the gateway with BATCH_LINES / (UNITS / SENDERS) consecutive samples (10 ms apart, each unit's
 * clock moving forward from a minute ago, so every sample is new and none is in the future). A warm-up, then a
 * measured stretch: positions/s = lines accepted (202) by the batches started in it ÷ the time until the last
 * of them was answered. Each 202 means the batch was parsed and validated line by line, every unit checked,
 * all positions inserted, the units' last positions updated, and one `dispatch.unit.position` per unit
 * published on the bus.
 */
import { type BenchResult, log, login, memoryOf, type Metric, percentile, round } from './lib.ts';
import {
  ALMATY_CENTRE,
  cpuMs,
  createUnits,
  databaseServer,
  describeWaits,
  issueKey,
  postTelemetry,
  rng,
  type Running,
  sampleWaits,
  sql,
  startVariant,
  type Variant,
  variantLabel,
} from './ops-lib.ts';

const UNITS = 1000;
const SENDERS = 4;
const BATCH_LINES = 5000;
const SAMPLE_STEP_MS = 10;
const PLAN: Record<Variant, { warmupS: number; measureS: number }> = { postgres: { warmupS: 3, measureS: 12 }, embedded: { warmupS: 2, measureS: 8 } };
const TARGET = 50_000;
/** Districts of Almaty the units are registered in (home KATO). */
const HOME_KATOS = ['751110000', '751210000', '751310000', '751410000', '751510000', '751710000', '751810000', '751910000'];

interface Run {
  positionsPerSecond: number;
  batches: number;
  positionsAccepted: number;
  positionsStored: number;
  batchLatencyMs: { p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  statusCodes: Record<string, number>;
  unitsSetupS: number;
  serverCpuPercentOfOneCore: number;
  /** The gateways' own work (building NDJSON, HTTP) in the bench process, on the same cores. */
  benchProcessCpuPercentOfOneCore: number;
  serverRssMiB: number;
  rowsInDispatchPosition?: number;
  topDatabaseWaits?: { wait: string; statement: string; share: number }[];
}

async function load(variant: Variant): Promise<Run> {
  const running: Running = await startVariant(variant, {}, 'telemetry');
  try {
    const { server } = running;
    const admin = await login(server.url, 'admin');
    const key = await issueKey(server.url, admin, 'bench-tracker-gateway', ['telemetry:ingest'], ['750000000']);
    const t0 = performance.now();
    const unitIds: string[] = [];
    for (const [k, kato] of HOME_KATOS.entries()) {
      const n = Math.floor(UNITS / HOME_KATOS.length) + (k < UNITS % HOME_KATOS.length ? 1 : 0);
      unitIds.push(...(await createUnits(server.url, admin, n, { prefix: `TLM${k}`, homeKato: kato })));
    }
    const unitsSetupS = round((performance.now() - t0) / 1000, 1);

    // Each gateway: its own units, each with a clock that starts a minute ago and moves SAMPLE_STEP_MS a sample.
    const perSender = Math.ceil(UNITS / SENDERS);
    const samplesPerUnit = Math.max(1, Math.round(BATCH_LINES / perSender));
    const random = rng(42);
    const start = Date.now() - 60_000;
    const gateways = Array.from({ length: SENDERS }, (_, s) => {
      const units = unitIds.slice(s * perSender, (s + 1) * perSender).map((id) => ({
        id,
        lon: ALMATY_CENTRE.west + random() * (ALMATY_CENTRE.east - ALMATY_CENTRE.west),
        lat: ALMATY_CENTRE.south + random() * (ALMATY_CENTRE.north - ALMATY_CENTRE.south),
        heading: Math.floor(random() * 360),
      }));
      return { units, clock: start };
    });
    const batchBody = (g: (typeof gateways)[number]): string => {
      const lines: string[] = [];
      for (let k = 0; k < samplesPerUnit; k++) {
        const at = new Date(g.clock).toISOString();
        g.clock += SAMPLE_STEP_MS;
        for (const u of g.units) {
          u.lon += (random() - 0.5) * 0.0002;
          u.lat += (random() - 0.5) * 0.0002;
          lines.push(
            `{"unitId":"${u.id}","at":"${at}","lon":${u.lon.toFixed(6)},"lat":${u.lat.toFixed(6)},"speed":${Math.round(random() * 60)},"heading":${u.heading},"battery":${80 + Math.floor(random() * 20)}}`,
          );
        }
      }
      return lines.join('\n');
    };

    const { warmupS, measureS } = PLAN[variant];
    const latencies: number[] = [];
    const statusCodes: Record<string, number> = {};
    let accepted = 0;
    let stored = 0;
    let batches = 0;
    let non2xx = 0;
    let firstError = '';
    let measuring = false;
    let measureStart = 0;
    let lastAnswer = 0;
    const runStart = performance.now();
    const endAt = runStart + (warmupS + measureS) * 1000;
    let waits: Awaited<ReturnType<typeof sampleWaits>> | null = null;
    let cpu0 = 0;
    let benchCpu0 = process.cpuUsage();
    const startMeasuring = async () => {
      measuring = true;
      measureStart = performance.now();
      cpu0 = cpuMs(server.pid);
      benchCpu0 = process.cpuUsage();
      if (running.databaseUrl) waits = await sampleWaits(running.databaseUrl);
    };
    const warmupTimer = setTimeout(() => void startMeasuring(), warmupS * 1000);
    await Promise.all(
      gateways.map(async (g) => {
        while (performance.now() < endAt) {
          const body = batchBody(g);
          const counted = measuring;
          const t = performance.now();
          const r = await postTelemetry(server.url, { apiKey: key }, body);
          const now = performance.now();
          if (!counted) continue;
          batches++;
          latencies.push(now - t);
          lastAnswer = now;
          statusCodes[r.status] = (statusCodes[r.status] ?? 0) + 1;
          if (r.status === 202) {
            accepted += r.accepted;
            stored += (JSON.parse(r.text) as { stored: number }).stored;
          } else {
            non2xx++;
            firstError ||= `${r.status} ${r.text.slice(0, 300)}`;
          }
        }
      }),
    );
    clearTimeout(warmupTimer);
    const elapsedMs = lastAnswer - measureStart;
    const serverCpu = ((cpuMs(server.pid) - cpu0) / elapsedMs) * 100;
    const benchCpu = process.cpuUsage(benchCpu0);
    const benchCpuPercent = ((benchCpu.user + benchCpu.system) / 1000 / elapsedMs) * 100;
    const topWaits = await (waits as Awaited<ReturnType<typeof sampleWaits>> | null)?.stop();
    if (firstError) log(`    first failed batch: ${firstError}`);
    latencies.sort((a, b) => a - b);
    const run: Run = {
      positionsPerSecond: round(accepted / (elapsedMs / 1000), 0),
      batches,
      positionsAccepted: accepted,
      positionsStored: stored,
      batchLatencyMs: {
        p50: round(percentile(latencies, 50), 1),
        p90: round(percentile(latencies, 90), 1),
        p99: round(percentile(latencies, 99), 1),
        max: round(latencies[latencies.length - 1] ?? Number.NaN, 1),
      },
      non2xx,
      statusCodes,
      unitsSetupS,
      serverCpuPercentOfOneCore: round(serverCpu, 0),
      benchProcessCpuPercentOfOneCore: round(benchCpuPercent, 0),
      serverRssMiB: memoryOf(server.pid).rssMiB,
    };
    if (topWaits) run.topDatabaseWaits = topWaits;
    if (running.databaseUrl) {
      const [c] = await sql<{ n: number }>(running.databaseUrl, 'select count(*)::int as n from dispatch_position');
      run.rowsInDispatchPosition = c.n;
    }
    return run;
  } finally {
    await running.stop();
  }
}

export async function telemetry(): Promise<Pick<BenchResult, 'metrics' | 'details'>> {
  const metrics: Metric[] = [];
  const perSender = Math.ceil(UNITS / SENDERS);
  const details: Record<string, unknown> = {
    route: 'POST /api/v1/units/telemetry (application/x-ndjson) with a partner key holding telemetry:ingest for Almaty, issued by the demo admin',
    units: UNITS,
    senders: SENDERS,
    batchLines: BATCH_LINES,
    samplesPerUnitPerBatch: Math.round(BATCH_LINES / perSender),
    plan: PLAN,
    line: '{"unitId","at","lon","lat","speed","heading","battery"} — every field the tablet or tracker sends',
  };
  for (const variant of ['postgres', 'embedded'] as const) {
    const { warmupS, measureS } = PLAN[variant];
    log(`  ${variantLabel(variant)}: ${UNITS} units, ${SENDERS} gateways × ${BATCH_LINES}-line batches, ${warmupS} s warm-up + ${measureS} s`);
    const r = await load(variant);
    log(
      `    ${r.positionsPerSecond.toLocaleString('en')} positions/s (${r.batches} batches, ${r.positionsStored} stored), batch p50 ${r.batchLatencyMs.p50} ms, p99 ${r.batchLatencyMs.p99} ms, non-2xx ${r.non2xx}; units registered in ${r.unitsSetupS} s`,
    );
    const v = variant === 'embedded' ? 'embedded' : 'PostgreSQL + NATS';
    metrics.push(
      {
        label: `telemetry NDJSON, ${v}: positions accepted`,
        value: r.positionsPerSecond,
        unit: 'positions/s',
        ...(variant === 'postgres' ? { target: { op: '>=' as const, value: TARGET } } : {}),
      },
      { label: `telemetry NDJSON, ${v}: ${BATCH_LINES}-line batch latency p50`, value: r.batchLatencyMs.p50, unit: 'ms' },
      { label: `telemetry NDJSON, ${v}: ${BATCH_LINES}-line batch latency p99`, value: r.batchLatencyMs.p99, unit: 'ms' },
      { label: `telemetry NDJSON, ${v}: non-2xx batches`, value: r.non2xx, unit: 'batches', target: { op: '<=', value: 0 } },
    );
    details[variant] = variant === 'postgres' ? { ...r, databaseServer: databaseServer() } : r;
  }
  const p = details.postgres as Run;
  const e = details.embedded as Run;
  details.notes = [
    `${SENDERS} gateways post at once, closed loop, each for its own ${perSender} units (${Math.round(BATCH_LINES / perSender)} samples per unit per ${BATCH_LINES}-line batch); the target is for PostgreSQL, embedded is recorded.`,
    `CPU during the measured run (% of one core): server ${p.serverCpuPercentOfOneCore}% on PostgreSQL, ${e.serverCpuPercentOfOneCore}% embedded; the bench process building and sending the batches ${p.benchProcessCpuPercentOfOneCore}% / ${e.benchProcessCpuPercentOfOneCore}%; PostgreSQL and NATS take the rest of the 2 cores. PostgreSQL run, what the busy database backends waited on: ${describeWaits(p.topDatabaseWaits)}.`,
  ];
  return { metrics, details };
}
