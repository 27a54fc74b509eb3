/**
 * Video analytics (modules/video), two ways:
 *
 * 1. **Watchlist matching in process, one core**: 100,000 × 512-d synthetic face embeddings (modules/video/domain/
 *    synthetic.ts: identities on a 32-d latent manifold projected to 512-d with isotropic noise; a probe is a
 *    drifted view of an enrolled identity) loaded into the module's `FaceMatcher` with its default settings — above
 *    TARTIP_VIDEO_EXACT_MAX (20,000) that is the IVF index (random projection to 64-d, spherical k-means cells, each
 *    vector filed in its 2 nearest cells, 32 cells probed, 192 candidates re-ranked with the full vectors). Ground
 *    truth: the exact scan (`ExactIndex`) over the same vectors for the first 1,000 probes. matches/s = probes ÷ time of
 *    `match` calls (threshold and expiry checks included) over 5,000 probes; recall@1 = share of the 1,000 probes whose
 *    top entry is the exact scan's. Memory: the bytes of the index's arrays (full vectors, cell lists and their projected
 *    vectors, centroids, projection), with the heap growth around the build and the process RSS beside it. Build time
 *    reported.
 * 2. **Event ingest over HTTP NDJSON on PostgreSQL + NATS** (TARTIP_BENCH_VIDEO_HTTP=0 skips it): `tartip start`;
 *    the demo dispatcher registers 50 cameras in Almaty; 4 senders post 5,000-line batches of our event format with
 *    the demo camera key, closed loop, 3 s warm-up + 10 s measured; every batch carries one `abandoned` event, whose
 *    alert goes through the outbox to an SSE console (the demo operator, `video.alert.raised`): latency = arrival on
 *    the console − the 202 of its batch (the target: the alert exists from the commit on), and − the moment the batch
 *    was sent (recorded: it includes storing the 5,000 lines).
 */
import vm from 'node:vm';
import v8 from 'node:v8';
import { ExactIndex } from '../modules/video/domain/vector-index.ts';
import { synthetic } from '../modules/video/domain/synthetic.ts';
import { FaceMatcher } from '../modules/video/runtime.ts';
import { loadVideoSettings } from '../modules/video/settings.ts';
import { type BenchResult, log, login, type Metric, percentile, round } from './lib.ts';
import { call, openSse, startVariant } from './ops-lib.ts';

const ENTRIES = Number(process.env.TARTIP_BENCH_VIDEO_ENTRIES ?? 100_000);
const DIM = 512;
const TRUTH_PROBES = 1000;
const SPEED_PROBES = 5000;
const TARGETS = { matchesPerS: 1000, recall: 0.99, ingest: 20_000, alertP99Ms: 500 };
const HTTP = { senders: 4, batchLines: 5000, cameras: 50, warmupS: 3, measureS: 10 };
const CAMERA_KEY = 'tk_camera_demo_Zr8tY2uI5oP9aS3dF6gH1jK4';

function gcFn(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}
const heapBytes = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

async function matching(): Promise<{ metrics: Metric[]; details: Record<string, unknown> }> {
  const gc = gcFn();
  log(`  generating ${ENTRIES.toLocaleString('en')} × ${DIM} entries and ${SPEED_PROBES} probes`);
  let data: ReturnType<typeof synthetic> | null = synthetic(ENTRIES, SPEED_PROBES, DIM, { seed: 42 });
  const probes = data.probes;
  const settings = loadVideoSettings({ TARTIP_VIDEO_EMBEDDING_DIM: String(DIM) });
  const nowMs = Date.now();
  const entries = Array.from({ length: ENTRIES }, (_, i) => ({ entryId: `e${i}`, watchlistId: 'w', expiresAtMs: nowMs + 86_400_000 }));

  log('  exact ground truth');
  const exact = new ExactIndex(DIM, ENTRIES);
  for (let i = 0; i < ENTRIES; i++) exact.add(data.entries.subarray(i * DIM, (i + 1) * DIM));
  const truth: number[] = [];
  const truthScores: number[] = [];
  const t0 = performance.now();
  for (let q = 0; q < TRUTH_PROBES; q++) {
    const [h] = exact.search(probes.subarray(q * DIM, (q + 1) * DIM), 2);
    truth.push(h.row);
    truthScores.push(h.score);
  }
  const exactPerS = TRUTH_PROBES / ((performance.now() - t0) / 1000);

  // The matcher gets its own copy; the generator's and the exact index's arrays are released before measuring.
  const vectors = data.entries.slice();
  data = null;
  gc();
  gc();
  const before = heapBytes();
  const matcher = new FaceMatcher(settings);
  const b0 = performance.now();
  matcher.build(vectors, entries);
  const buildS = (performance.now() - b0) / 1000;
  gc();
  gc();
  const heapGrowth = heapBytes() - before;
  const indexBytes = matcher.bytes;
  log(`  ${matcher.kind} index built in ${round(buildS, 1)} s: ${round(indexBytes / 2 ** 20, 0)} MiB in its arrays (heap + buffers grew ${round(heapGrowth / 2 ** 20, 0)} MiB; RSS ${round(process.memoryUsage().rss / 2 ** 20, 0)} MiB)`);

  let agree = 0;
  for (let q = 0; q < TRUTH_PROBES; q++) if (matcher.search(probes.subarray(q * DIM, (q + 1) * DIM), 1)[0]?.row === truth[q]) agree++;
  const recall = agree / TRUTH_PROBES;

  let matched = 0;
  const m0 = performance.now();
  for (let q = 0; q < SPEED_PROBES; q++) if (matcher.match(probes.subarray(q * DIM, (q + 1) * DIM), nowMs, 0.5)) matched++;
  const matchesPerS = SPEED_PROBES / ((performance.now() - m0) / 1000);
  log(`  ${round(matchesPerS, 0)} matches/s, recall@1 ${recall} (exact scan: ${round(exactPerS, 1)}/s)`);
  return {
    metrics: [
      { label: `watchlist ${ENTRIES.toLocaleString('en')} × ${DIM}-d: matches/s (IVF, one core)`, value: round(matchesPerS, 0), unit: 'matches/s', target: { op: '>=', value: TARGETS.matchesPerS } },
      { label: 'watchlist: recall@1 vs exact search', value: round(recall, 3), unit: '', target: { op: '>=', value: TARGETS.recall } },
      { label: 'watchlist: index memory (vectors + cells)', value: round(indexBytes / 2 ** 20, 0), unit: 'MiB' },
      { label: 'watchlist: index build', value: round(buildS, 1), unit: 's' },
      { label: 'watchlist: exact scan for comparison', value: round(exactPerS, 1), unit: 'matches/s' },
    ],
    details: {
      entries: ENTRIES,
      dim: DIM,
      index: matcher.kind,
      settings: { exactMax: settings.exactMax, ivfProbe: settings.ivfProbe, threshold: settings.matchThreshold },
      truthProbes: TRUTH_PROBES,
      speedProbes: SPEED_PROBES,
      matchedAt05: matched,
      meanTrueScore: round(truthScores.reduce((a, b) => a + b, 0) / truthScores.length, 3),
      synthetic: 'latent 32, noise 0.35, drift 0.35 (modules/video/domain/synthetic.ts)',
      bytesPerEntry: round(indexBytes / ENTRIES, 0),
      heapGrowthMiB: round(heapGrowth / 2 ** 20, 0),
      rssMiB: round(process.memoryUsage().rss / 2 ** 20, 0),
    },
  };
}

async function ingest(): Promise<{ metrics: Metric[]; details: Record<string, unknown> }> {
  const running = await startVariant('postgres', { TARTIP_VIDEO_MAX_LINES: '50000' }, 'video');
  const { server } = running;
  try {
    const dispatcher = await login(server.url, 'dispatcher');
    const codes: string[] = [];
    for (let i = 0; i < HTTP.cameras; i++) {
      const code = `BENCH-CAM-${i}`;
      await call(server.url, 'POST', '/api/v1/video/cameras', {
        token: dispatcher,
        expect: 201,
        body: { code, name: code, location: { lon: 76.9 + (i % 10) * 0.005, lat: 43.24 + Math.floor(i / 10) * 0.005 }, owner: 'bench', capabilities: ['objects', 'abandoned'], heartbeatS: 600 },
      });
      codes.push(code);
    }
    const operator = await login(server.url, 'operator');
    /** Per camera, send times of the batches whose abandoned event is still to reach the console (oldest first). */
    const sentAt = new Map<string, { t: number; ack: number | null; measured: boolean }[]>();
    const sinceAck: number[] = [];
    const latencies: number[] = [];
    const sse = await openSse(`${server.url}/api/v1/stream?topics=video.alert.raised&access_token=${operator}`, (_id, _event, data, arrivedAt) => {
      const e = JSON.parse(data) as { data: { eventId: string | null; cameraCode: string } };
      const sent = sentAt.get(e.data.cameraCode)?.shift();
      if (sent?.measured) {
        latencies.push(arrivedAt - sent.t);
        if (sent.ack !== null) sinceAck.push(arrivedAt - sent.ack);
      }
    });
    let seq = 0;
    let stop = false;
    let measuring = false;
    let events = 0;
    let batches = 0;
    let failed = 0;
    let firstFailure: string | null = null;
    const batchMs: number[] = [];
    const sender = async (s: number) => {
      while (!stop) {
        const lines: string[] = [];
        const at = new Date().toISOString();
        const alertCamera = codes[(seq + s) % codes.length];
        for (let i = 0; i < HTTP.batchLines; i++) {
          const n = seq++;
          const camera = i === 0 ? alertCamera : codes[n % codes.length];
          lines.push(JSON.stringify(i === 0 ? { id: `b${s}-${n}`, camera, at, kind: 'abandoned', label: 'suitcase', zone: 'Hall' } : { id: `b${s}-${n}`, camera, at, kind: 'object', label: n % 3 ? 'car' : 'person', lane: 1 + (n % 3), speedKmh: 30 + (n % 50) }));
        }
        const body = lines.join('\n');
        const t = performance.now();
        const mark = { t, ack: null as number | null, measured: measuring };
        sentAt.set(alertCamera, [...(sentAt.get(alertCamera) ?? []), mark]);
        const res = await fetch(`${server.url}/api/v1/video/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'x-api-key': CAMERA_KEY }, body, signal: AbortSignal.timeout(60_000) });
        const answer = await res.text();
        mark.ack = performance.now();
        if (res.status !== 202 && firstFailure === null) {
          firstFailure = `${res.status} ${answer.slice(0, 300)}`;
          log(`  a batch failed: ${firstFailure}`);
        }
        if (measuring) {
          batchMs.push(performance.now() - t);
          if (res.status === 202) {
            events += HTTP.batchLines;
            batches++;
          } else failed++;
        }
      }
    };
    const runners = Array.from({ length: HTTP.senders }, (_, s) => sender(s));
    await new Promise((r) => setTimeout(r, HTTP.warmupS * 1000));
    measuring = true;
    const m0 = performance.now();
    await new Promise((r) => setTimeout(r, HTTP.measureS * 1000));
    stop = true;
    await Promise.all(runners);
    const elapsed = (performance.now() - m0) / 1000;
    await new Promise((r) => setTimeout(r, 2000));
    sse.close();
    const eventsPerS = events / elapsed;
    latencies.sort((a, b) => a - b);
    sinceAck.sort((a, b) => a - b);
    batchMs.sort((a, b) => a - b);
    const p99 = latencies.length > 0 ? percentile(latencies, 99) : Number.NaN;
    log(`  ${round(eventsPerS, 0)} events/s over HTTP, alert → console p99 ${round(p99, 0)} ms (${latencies.length} alerts)`);
    return {
      metrics: [
        { label: 'event ingest, HTTP NDJSON on PostgreSQL + NATS', value: round(eventsPerS, 0), unit: 'events/s', target: { op: '>=', value: TARGETS.ingest } },
        { label: 'alert → console (SSE) p99 from its batch’s 202 (committed)', value: round(sinceAck.length ? percentile(sinceAck, 99) : Number.NaN, 0), unit: 'ms', target: { op: '<=', value: TARGETS.alertP99Ms } },
        { label: 'alert → console p99 from sending its 5,000-line batch (batch time included)', value: round(p99, 0), unit: 'ms' },
        { label: 'failed batches', value: failed, unit: '', target: { op: '<=', value: 0 } },
      ],
      details: { ...HTTP, batches, events, firstFailure, alertsTimed: latencies.length, alertP50Ms: latencies.length ? round(percentile(latencies, 50), 0) : null, batchP50Ms: batchMs.length ? round(percentile(batchMs, 50), 0) : null, batchP99Ms: batchMs.length ? round(percentile(batchMs, 99), 0) : null },
    };
  } finally {
    await running.stop();
  }
}

export async function video(): Promise<Pick<BenchResult, 'metrics' | 'details'>> {
  if (process.env.TARTIP_BENCH_VIDEO_MATCHING === '0') {
    const h = await ingest();
    return { metrics: h.metrics, details: { ingest: h.details } };
  }
  const m = await matching();
  if (process.env.TARTIP_BENCH_VIDEO_HTTP === '0') return { metrics: m.metrics, details: { matching: m.details, ingest: 'skipped (TARTIP_BENCH_VIDEO_HTTP=0)' } };
  const h = await ingest();
  return { metrics: [...m.metrics, ...h.metrics], details: { matching: m.details, ingest: h.details } };
}
