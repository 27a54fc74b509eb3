/**
 * Server-Sent Events fan-out, end to end: one `tartip start` process on NATS; 100 SSE clients connected to
 * it over HTTP; events published to JetStream at 1,000/s for 5 s (after a 1 s warm-up). Each event travels
 * bus → the server's live consumer → StreamHub (per-client topic and permission filter) → 100 HTTP
 * responses → the client, which records (arrival − send time) from the send time carried in the event.
 * Publisher and clients share this process (and performance.now()), so no clock skew is involved.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { NatsBus } from '../packages/kernel/src/bus/nats.ts';
import { cpuMs, openSse } from './ops-lib.ts';
import { newId } from '../packages/kernel/src/ids.ts';
import {
  type BenchResult,
  deleteStream,
  freePort,
  log,
  login,
  memoryOf,
  percentile,
  requireNats,
  round,
  type Server,
  sleep,
  startServer,
  uniqueName,
  waitReady,
} from './lib.ts';

const SUBSCRIBERS = 100;
const RATE = 1000;
const WARMUP_S = 1;
const MEASURE_S = 5;
const DRAIN_TIMEOUT_MS = 10_000;

interface Client {
  received: Uint8Array;
  close(): void;
}

/** Opens one SSE connection (its own socket); `onEvent` gets (seq, sentAt, arrivedAt) for each event. */
async function openClient(url: string, total: number, onEvent: (seq: number, sentAt: number, arrivedAt: number) => void): Promise<Client> {
  const received = new Uint8Array(total);
  const stream = await openSse(url, (_id, _event, data, arrivedAt) => {
    const m = /"seq":(\d+),"sentAt":([\d.]+)/.exec(data);
    if (!m) return;
    const seq = Number(m[1]);
    if (seq < total && received[seq] < 255) received[seq]++;
    onEvent(seq, Number(m[2]), arrivedAt);
  });
  return { received, close: () => stream.close() };
}

export async function sse(): Promise<Pick<BenchResult, 'metrics' | 'details'>> {
  const natsUrl = await requireNats();
  const stream = uniqueName('BENCH_SSE').toUpperCase();
  const prefix = stream.toLowerCase();
  const dataDir = mkdtempSync(join(tmpdir(), 'tartip-bench-sse-'));
  const clients: Client[] = [];
  let server: Server | undefined;
  let bus: NatsBus | undefined;
  try {
    server = startServer(await freePort(), {
      TARTIP_MODE: 'embedded',
      TARTIP_DATA_DIR: dataDir,
      TARTIP_NATS_URL: natsUrl,
      TARTIP_NATS_STREAM: stream,
      TARTIP_NATS_PREFIX: prefix,
    });
    await waitReady(server, performance.now(), 60_000);
    const token = await login(server.url, 'operator');
    bus = await NatsBus.connect({ url: natsUrl, stream, subjectPrefix: prefix, name: 'tartip-bench-sse' });

    const warmup = WARMUP_S * RATE;
    const total = warmup + MEASURE_S * RATE;
    const latencies = new Float64Array(total * SUBSCRIBERS);
    let samples = 0;
    const url = `${server.url}/api/v1/stream?topics=bench.>&access_token=${encodeURIComponent(token)}`;
    for (let i = 0; i < SUBSCRIBERS; i++) {
      clients.push(
        await openClient(url, total, (seq, sentAt, arrivedAt) => {
          if (seq >= warmup) latencies[samples++] = arrivedAt - sentAt;
        }),
      );
    }
    log(`  ${SUBSCRIBERS} SSE clients connected; publishing ${RATE} events/s for ${WARMUP_S} s warm-up + ${MEASURE_S} s`);

    const LOOP_RESOLUTION_MS = 5;
    const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    let sent = 0;
    let publishErrors = 0;
    const inflight = new Set<Promise<void>>();
    const publishOne = (seq: number) => {
      const id = newId();
      const p = bus!
        .publish({
          id,
          subject: 'bench.sse.tick',
          key: id,
          occurredAt: new Date().toISOString(),
          jurisdiction: '751110000', // inside the operator's Almaty: the hub's jurisdiction check runs and passes
          permission: 'dispatch:read',
          data: { seq, sentAt: performance.now(), kind: 'incident.updated', note: 'bench event carried to every stream client' },
        })
        .catch(() => {
          publishErrors++;
        })
        .finally(() => inflight.delete(p));
      inflight.add(p);
    };
    let cpuStart = 0;
    let measureStart = 0;
    const start = performance.now();
    await new Promise<void>((done) => {
      const tick = () => {
        const elapsed = performance.now() - start;
        const due = Math.min(total, Math.floor((elapsed / 1000) * RATE));
        while (sent < due) {
          if (sent === warmup) {
            cpuStart = cpuMs(server!.pid);
            measureStart = performance.now();
            loopDelay.enable();
          }
          publishOne(sent++);
        }
        if (sent >= total) done();
        else setTimeout(tick, 5);
      };
      tick();
    });
    const publishSeconds = (performance.now() - measureStart) / 1000;
    await Promise.allSettled([...inflight]);
    const expected = MEASURE_S * RATE * SUBSCRIBERS;
    const drainEnd = performance.now() + DRAIN_TIMEOUT_MS;
    while (samples < expected && performance.now() < drainEnd) await sleep(50);
    loopDelay.disable();
    const serverCpuPercent = ((cpuMs(server.pid) - cpuStart) / (performance.now() - measureStart)) * 100;
    const serverMemory = memoryOf(server.pid);

    let duplicates = 0;
    let missing = 0;
    for (const c of clients) {
      for (let s = warmup; s < total; s++) {
        if (c.received[s] === 0) missing++;
        else if (c.received[s] > 1) duplicates += c.received[s] - 1;
      }
    }
    const sorted = latencies.subarray(0, samples).sort();
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    log(`  ${samples} of ${expected} deliveries; latency p50 ${round(p50, 2)} ms, p99 ${round(p99, 2)} ms, max ${round(sorted[samples - 1] ?? Number.NaN, 1)} ms`);
    return {
      metrics: [
        { label: `SSE fan-out, ${SUBSCRIBERS} clients × ${RATE} events/s: latency p50`, value: round(p50, 2), unit: 'ms' },
        { label: `SSE fan-out, ${SUBSCRIBERS} clients × ${RATE} events/s: latency p99`, value: round(p99, 2), unit: 'ms', target: { op: '<=', value: 100 } },
        { label: 'SSE fan-out: deliveries missing or duplicated', value: missing + duplicates, unit: 'deliveries', target: { op: '<=', value: 0 } },
      ],
      details: {
        path: 'bench process → NATS JetStream → server live consumer → StreamHub → 100 HTTP SSE responses → bench process',
        subscribers: SUBSCRIBERS,
        ratePerSecond: RATE,
        warmupS: WARMUP_S,
        measureS: MEASURE_S,
        achievedRatePerSecond: round((MEASURE_S * RATE) / publishSeconds, 0),
        expectedDeliveries: expected,
        deliveries: samples,
        missing,
        duplicates,
        publishErrors,
        latencyMs: {
          p50: round(p50, 2),
          p90: round(percentile(sorted, 90), 2),
          p99: round(p99, 2),
          p999: round(percentile(sorted, 99.9), 2),
          max: round(sorted[samples - 1] ?? Number.NaN, 2),
        },
        serverCpuPercentOfOneCore: round(serverCpuPercent, 0),
        serverMemory,
        // The histogram includes the sampling interval itself; what is left is how late the bench process ran.
        benchProcessEventLoopLagMs: {
          p50: round(Math.max(0, loopDelay.percentile(50) / 1e6 - LOOP_RESOLUTION_MS), 2),
          p99: round(Math.max(0, loopDelay.percentile(99) / 1e6 - LOOP_RESOLUTION_MS), 2),
        },
        server: 'embedded mode (PGlite) with TARTIP_NATS_URL (NatsBus); the clients sign in as the demo operator',
        notes: [
          `${(SUBSCRIBERS * RATE).toLocaleString('en')} frames/s written by one server process, which used ${round(serverCpuPercent, 0)}% of one core for it. Latency includes JetStream storage, the server's live consumer, the hub's per-client filters, HTTP and the clients' own parsing; the bench process (publisher + all ${SUBSCRIBERS} clients) had event-loop lag p99 ${round(Math.max(0, loopDelay.percentile(99) / 1e6 - LOOP_RESOLUTION_MS), 1)} ms, which is part of the figures.`,
        ],
      },
    };
  } finally {
    for (const c of clients) c.close();
    await bus?.close().catch(() => {});
    await server?.stop();
    await deleteStream(stream).catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
}
