import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { createSection, type NewCamera, registerCamera, reportClock } from './cameras.ts';
import { runtime } from './runtime.ts';

/**
 * Demo data (demo mode only, when there are no cameras): the northern exit of Astana on the Astana–Shchuchinsk
 * highway — a gantry at km 0 and one at km 5.4, each with a camera per direction — and the two average-speed
 * sections between them (cars 140 km/h as on that road; trucks 90). Certificates valid for a year from the
 * seed; clocks reported in sync (NTP) at the seed and kept so by `startDemoClock` (a real gateway posts to
 * `/api/v1/traffic/cameras/clock`, which the demo ANPR gateway key may too).
 * The demo `traffic` officer (Astana) sees all of it.
 */
const KM0 = { lon: 71.415, lat: 51.205 };
const KM5 = { lon: 71.383, lat: 51.248 };
const OWNER = 'АО «НК «КазАвтоЖол» (демо)';

const camera = (code: string, name: string, location: { lon: number; lat: number }, headingDeg: number, label: string, certNo: string, from: Date): NewCamera => ({
  code,
  name,
  location,
  direction: { headingDeg, label },
  lanes: 2,
  owner: OWNER,
  kinds: ['anpr', 'average-speed'],
  certificate: { number: certNo, issuer: 'РГП «Казахстанский институт метрологии» (демо)', validFrom: from.toISOString(), validTo: new Date(from.getTime() + 365 * 86_400_000).toISOString() },
  clock: { status: 'synced', source: 'ntp', offsetMs: 3 },
});

const SEED_LOCK = 7_461_401;

export async function seedDemoTraffic(kernel: Kernel): Promise<number> {
  if (!kernel.config.demo || kernel.config.mode === 'production') return 0;
  const ctx = { actor: 'system:seed' };
  const national = { jurisdictions: ['*'] };
  // Several processes may start at once on one database: one seeds, the others find its cameras.
  const mine = await kernel.db.transaction(async (tx) => {
    const [{ ok }] = await tx.query<{ ok: boolean }>('select pg_try_advisory_xact_lock($1) as ok', [SEED_LOCK]);
    if (!ok) return false;
    const [{ n }] = await tx.query<{ n: number }>('select count(*)::int8 as n from traffic_camera');
    return n === 0;
  });
  if (!mine) return 0;
  const from = new Date(kernel.clock.now().getTime() - 30 * 86_400_000);
  const cams = [
    camera('AST-A1-KM0-N', 'Астана — Щучинск, км 0, на север', KM0, 333, 'на Щучинск', 'ПОВ-ДЕМО-0001', from),
    camera('AST-A1-KM5-N', 'Астана — Щучинск, км 5,4, на север', KM5, 333, 'на Щучинск', 'ПОВ-ДЕМО-0002', from),
    camera('AST-A1-KM5-S', 'Щучинск — Астана, км 5,4, на юг', KM5, 153, 'на Астану', 'ПОВ-ДЕМО-0003', from),
    camera('AST-A1-KM0-S', 'Щучинск — Астана, км 0, на юг', KM0, 153, 'на Астану', 'ПОВ-ДЕМО-0004', from),
  ];
  try {
    for (const c of cams) await registerCamera(kernel, ctx, national, c);
  } catch (e) {
    // Another process, started at the same moment, passed the check too and is seeding: leave it to that one.
    // (It may win after our check, as our insert finds its row: the unique index answers 23505.)
    const code = (e as { code?: string }).code;
    if (code === 'traffic.camera_code_taken' || code === '23505') return 0;
    throw e;
  }
  const limits = { car: 140, motorcycle: 140, bus: 110, truck: 90, other: 90, moped: 50 };
  await createSection(kernel, ctx, national, { name: 'Астана — Щучинск, км 0 — км 5,4', entryCamera: 'AST-A1-KM0-N', exitCamera: 'AST-A1-KM5-N', lengthM: 5400, limits, maxTravelS: 1800 });
  await createSection(kernel, ctx, national, { name: 'Щучинск — Астана, км 5,4 — км 0', entryCamera: 'AST-A1-KM5-S', exitCamera: 'AST-A1-KM0-S', lengthM: 5400, limits, maxTravelS: 1800 });
  return cams.length;
}

/**
 * Demo mode only: the demo gateway keeps the demo cameras' clocks reported in sync (NTP, a few ms off) every ten
 * minutes, as a real gateway would, so reads posted to the demo corridor can become violations. Reports that
 * change nothing add a history row and no audit record or event.
 */
export function startDemoClock(kernel: Kernel): () => Promise<void> {
  if (!kernel.config.demo || kernel.config.mode === 'production') return async () => {};
  const rt = runtime(kernel);
  let running: Promise<unknown> = Promise.resolve();
  const report = () => {
    const cameras = [...rt.camerasByCode.keys()].filter((c) => c.startsWith('AST-A1-'));
    if (cameras.length === 0) return;
    running = reportClock(
      kernel,
      { actor: 'system:demo-gateway' },
      { jurisdictions: ['*'] },
      cameras.map((camera) => ({ camera, status: 'synced', source: 'ntp', offsetMs: 2 + Math.floor(Math.random() * 8) })),
    ).catch((e) => kernel.log.warn({ err: e }, 'traffic: demo clock report failed'));
  };
  report();
  const timer = setInterval(report, 10 * 60_000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
