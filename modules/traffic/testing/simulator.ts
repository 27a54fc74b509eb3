/**
 * A traffic simulator for section control (test utility, pure and seeded): vehicles with known true speeds
 * drive a corridor of three gantries G0 → G1 → G2 (sections S1 = G0→G1, S2 = G1→G2 and the overlapping
 * S3 = G0→G2), and the cameras report what they saw — the way real ones do:
 *
 * - each vehicle keeps one true speed over its trip; the cameras stamp the true passage time, except
 * - **unsynced clocks**: G1's clock drifts +4 s during one stretch and G2's −3 s during another (the Hume
 *   Freeway failure); the gateway reports those cameras `unsynced` / `degraded` for a window that covers the
 *   drift, so every drifted read is stamped while the history says "not in sync";
 * - **certificate**: G2's verification certificate only starts part-way through (earlier reads are uncertified);
 * - **late and out-of-order arrival**: every read arrives after a random delay shorter than the watermark;
 * - **duplicates**: some reads are sent twice (identical), some read twice a moment apart (same camera);
 * - **misreads**: a few plates are "seen" at the exit seconds after the entry (faster than possible);
 * - plates are written in Latin or Cyrillic look-alikes, with or without spaces and dashes; some reads carry
 *   no vehicle class.
 *
 * The truth says which (section, plate) pairs are violations: true speed above limit + tolerance, and every
 * read of the pair from an in-sync, certified camera. Speeds within ±0.3 km/h of a threshold are not drawn, so
 * millisecond timestamps cannot tip a pair either way.
 */
import type { VehicleClass } from '../contract.ts';
import type { SyncStatus } from '../domain/clock-sync.ts';
import { seededRandom } from '../../../packages/kernel/src/random.ts';

export interface SimCamera {
  code: string;
  location: { lon: number; lat: number };
  /** Certificate validity, ms since the epoch. */
  certFromMs: number;
  certToMs: number;
}

export interface SimSection {
  name: string;
  entry: string;
  exit: string;
  lengthM: number;
  limits: Record<VehicleClass, number>;
  maxTravelS: number;
}

export interface SimRead {
  camera: string;
  /** As the camera writes it (Cyrillic, spaces, dashes …). */
  plateRaw: string;
  /** Normalised. */
  plate: string;
  /** The camera's timestamp (drifted when its clock drifts), whole ms. */
  atMs: number;
  vehicleClass: VehicleClass | null;
  /** When it reaches the platform. */
  arrivalMs: number;
  kind: 'passage' | 'resent' | 'reread' | 'misread';
}

export interface SimClockReport {
  camera: string;
  atMs: number;
  status: SyncStatus;
}

export interface SimPair {
  section: string;
  plate: string;
  trueSpeedKmh: number;
  /** From the cameras' stamps (differs from the truth where a clock drifted). */
  measuredSpeedKmh: number;
  limitKmh: number;
  thresholdKmh: number;
  /** Both reads from cameras whose clock the history calls in sync. */
  inSync: boolean;
  certified: boolean;
  violation: boolean;
}

export interface Simulation {
  cameras: SimCamera[];
  sections: SimSection[];
  /** In arrival order. */
  reads: SimRead[];
  /** Clock-sync history (send before the reads). */
  clock: SimClockReport[];
  pairs: SimPair[];
  /** `${section}|${plate}` of every expected violation. */
  expected: Set<string>;
  /** Pairs measured over the threshold that must be held back because a clock was not in sync. */
  expectedSuppressedUnsynced: number;
  expectedSuppressedUncertified: number;
  stats: { vehicles: number; reads: number; resent: number; reread: number; misread: number; drifted: number };
}

export interface SimOptions {
  seed?: number;
  vehicles?: number;
  /** Time of the first passage. */
  startMs: number;
  /** Minutes over which vehicles enter. */
  spreadMin?: number;
  toleranceKmh?: number;
  /** The engine's allowed lateness; arrival delays stay below it. */
  watermarkMs?: number;
  /** Near-duplicates come within this. */
  dedupeMs?: number;
}

/** Seeded random numbers (the kernel's mulberry32). */
export const rng = seededRandom;

const LATIN = 'ABCEHKMOPTXY';
const CYRILLIC: Record<string, string> = { A: 'А', B: 'В', C: 'С', E: 'Е', H: 'Н', K: 'К', M: 'М', O: 'О', P: 'Р', T: 'Т', X: 'Х', Y: 'У' };

/** Astana, along latitude 51.12 (inside the city, districts 7115…/7112…/7111…). */
export const CORRIDOR = {
  G0: { lon: 71.32, lat: 51.12 },
  G1: { lon: 71.42, lat: 51.12 },
  G2: { lon: 71.56, lat: 51.12 },
};

export function simulate(o: SimOptions): Simulation {
  const random = rng(o.seed ?? 1);
  const vehicles = o.vehicles ?? 2000;
  const spreadMs = (o.spreadMin ?? 30) * 60_000;
  const tolerance = o.toleranceKmh ?? 10;
  const watermarkMs = o.watermarkMs ?? 120_000;
  const dedupeMs = o.dedupeMs ?? 10_000;
  const t0 = o.startMs;
  const prefix = Math.floor(random() * 1e6).toString(36).toUpperCase();

  const limits = (car: number, truck: number): Record<VehicleClass, number> => ({ car, truck, bus: truck + 10, motorcycle: car, moped: 50, other: truck });
  const sections: SimSection[] = [
    { name: 'S1', entry: `${prefix}-G0`, exit: `${prefix}-G1`, lengthM: 7100, limits: limits(110, 90), maxTravelS: 1800 },
    { name: 'S2', entry: `${prefix}-G1`, exit: `${prefix}-G2`, lengthM: 9900, limits: limits(90, 80), maxTravelS: 1800 },
    { name: 'S3', entry: `${prefix}-G0`, exit: `${prefix}-G2`, lengthM: 17000, limits: limits(110, 90), maxTravelS: 3600 },
  ];
  // Where each gantry is along the road (m from G0), so a trip's passage times follow from the true speed.
  const position: Record<string, number> = { [`${prefix}-G0`]: 0, [`${prefix}-G1`]: 7100, [`${prefix}-G2`]: 17000 };
  const far = t0 + 365 * 86_400_000;
  const g2CertFrom = t0 + Math.round(spreadMs * 0.15);
  const cameras: SimCamera[] = [
    { code: `${prefix}-G0`, location: CORRIDOR.G0, certFromMs: t0 - 30 * 86_400_000, certToMs: far },
    { code: `${prefix}-G1`, location: CORRIDOR.G1, certFromMs: t0 - 30 * 86_400_000, certToMs: far },
    { code: `${prefix}-G2`, location: CORRIDOR.G2, certFromMs: g2CertFrom, certToMs: far },
  ];

  // Clock drift: true-time windows in which a camera stamps wrongly, and the reported not-in-sync windows
  // (a minute wider on each side, so every drifted stamp falls inside).
  const drift = [
    { camera: `${prefix}-G1`, fromMs: t0 + spreadMs * 0.3, toMs: t0 + spreadMs * 0.45, skewMs: 4000, status: 'unsynced' as const },
    { camera: `${prefix}-G2`, fromMs: t0 + spreadMs * 0.6, toMs: t0 + spreadMs * 0.7, skewMs: -3000, status: 'degraded' as const },
  ];
  const clock: SimClockReport[] = cameras.map((c) => ({ camera: c.code, atMs: t0 - 10 * 60_000, status: 'synced' as const }));
  for (const d of drift) {
    clock.push({ camera: d.camera, atMs: Math.floor(d.fromMs - 60_000), status: d.status });
    clock.push({ camera: d.camera, atMs: Math.floor(d.toMs + 60_000), status: 'synced' });
  }
  clock.sort((a, b) => a.atMs - b.atMs);
  /** In sync by the reported history (what the platform can know). */
  const inSync = (camera: string, atMs: number) => {
    let status: SyncStatus | null = null;
    for (const r of clock) if (r.camera === camera && r.atMs <= atMs) status = r.status;
    return status === 'synced';
  };
  const certified = (camera: string, atMs: number) => {
    const c = cameras.find((x) => x.code === camera) as SimCamera;
    return atMs >= c.certFromMs && atMs <= c.certToMs;
  };
  const stamp = (camera: string, trueMs: number) => {
    const d = drift.find((x) => x.camera === camera && trueMs >= x.fromMs && trueMs < x.toMs);
    return { atMs: Math.round(trueMs + (d?.skewMs ?? 0)), drifted: d !== undefined };
  };

  const reads: SimRead[] = [];
  const pairs: SimPair[] = [];
  const stats = { vehicles, reads: 0, resent: 0, reread: 0, misread: 0, drifted: 0 };
  const usedPlates = new Set<string>();
  const delay = () => 200 + Math.floor(random() * (watermarkMs * 0.8 - 200));

  for (let v = 0; v < vehicles; v++) {
    // A Kazakhstan plate: NNN LLL RR (private) or NNN LL RR (legal entity).
    let plate: string;
    do {
      const digits = String(Math.floor(random() * 1000)).padStart(3, '0');
      const n = random() < 0.85 ? 3 : 2;
      let letters = '';
      for (let i = 0; i < n; i++) letters += LATIN[Math.floor(random() * LATIN.length)];
      plate = `${digits}${letters}${String(1 + Math.floor(random() * 20)).padStart(2, '0')}`;
    } while (usedPlates.has(plate));
    usedPlates.add(plate);
    const r = random();
    const cls: VehicleClass = r < 0.8 ? 'car' : r < 0.95 ? 'truck' : r < 0.98 ? 'bus' : 'motorcycle';
    const route = random();
    const gantries = route < 0.5 ? [`${prefix}-G0`, `${prefix}-G1`, `${prefix}-G2`] : route < 0.75 ? [`${prefix}-G0`, `${prefix}-G1`] : [`${prefix}-G1`, `${prefix}-G2`];
    const trips = sections.filter((s) => gantries.includes(s.entry) && gantries.includes(s.exit));
    // The camera classifies most vehicles; which reads carry the class is decided per read.
    const reported = new Map(gantries.map((g) => [g, random() < 0.85 ? cls : null] as const));
    const limitFor = (s: SimSection) => {
      const ce = reported.get(s.entry) ?? null;
      const cx = reported.get(s.exit) ?? null;
      if (ce && cx) return Math.max(s.limits[ce], s.limits[cx]);
      if (ce) return s.limits[ce];
      if (cx) return s.limits[cx];
      return Math.max(...Object.values(s.limits));
    };
    // A true speed around the limits, never within ±0.3 km/h of any threshold this vehicle meets.
    const thresholds = trips.map((s) => limitFor(s) + tolerance);
    let speed: number;
    do {
      speed = Math.max(40, Math.min(220, (cls === 'car' || cls === 'motorcycle' ? 100 : 82) + (random() + random() + random() - 1.5) * 50));
    } while (thresholds.some((th) => Math.abs(speed - th) <= 0.3));
    const startMs = t0 + Math.floor(random() * spreadMs);
    const trueAt = (g: string) => startMs + ((position[g] - position[gantries[0]]) / (speed / 3.6)) * 1000;
    const stamps = new Map<string, { atMs: number; drifted: boolean }>();
    for (const g of gantries) {
      const s = stamp(g, trueAt(g));
      stamps.set(g, s);
      if (s.drifted) stats.drifted++;
      const written = writePlate(plate, random);
      const read: SimRead = { camera: g, plateRaw: written, plate, atMs: s.atMs, vehicleClass: reported.get(g) ?? null, arrivalMs: trueAt(g) + delay(), kind: 'passage' };
      reads.push(read);
      if (random() < 0.05) {
        reads.push({ ...read, arrivalMs: read.atMs + delay(), kind: 'resent' });
        stats.resent++;
      }
      if (random() < 0.03) {
        const gap = 200 + Math.floor(random() * (dedupeMs - 400));
        reads.push({ ...read, atMs: read.atMs + gap, arrivalMs: read.atMs + gap + delay(), kind: 'reread', plateRaw: writePlate(plate, random) });
        stats.reread++;
      }
    }
    // A misread: this plate "seen" at the exit of its first section seconds after the entry.
    if (random() < 0.005) {
      const s = trips[0];
      const e = stamps.get(s.entry) as { atMs: number };
      const at = e.atMs + 3000;
      reads.push({ camera: s.exit, plateRaw: plate, plate, atMs: at, vehicleClass: null, arrivalMs: at + delay(), kind: 'misread' });
      stats.misread++;
    }
    for (const s of trips) {
      const e = stamps.get(s.entry) as { atMs: number };
      const x = stamps.get(s.exit) as { atMs: number };
      const limit = limitFor(s);
      const sync = inSync(s.entry, e.atMs) && inSync(s.exit, x.atMs);
      const cert = certified(s.entry, e.atMs) && certified(s.exit, x.atMs);
      const measured = (s.lengthM / ((x.atMs - e.atMs) / 1000)) * 3.6;
      pairs.push({ section: s.name, plate, trueSpeedKmh: speed, measuredSpeedKmh: measured, limitKmh: limit, thresholdKmh: limit + tolerance, inSync: sync, certified: cert, violation: speed > limit + tolerance && sync && cert });
    }
  }
  reads.sort((a, b) => a.arrivalMs - b.arrivalMs);
  stats.reads = reads.length;
  const expected = new Set(pairs.filter((p) => p.violation).map((p) => `${p.section}|${p.plate}`));
  return {
    cameras,
    sections,
    reads,
    clock,
    pairs,
    expected,
    expectedSuppressedUnsynced: pairs.filter((p) => p.measuredSpeedKmh > p.thresholdKmh && !p.inSync).length,
    expectedSuppressedUncertified: pairs.filter((p) => p.measuredSpeedKmh > p.thresholdKmh && p.inSync && !p.certified).length,
    stats,
  };
}

/** The plate as a camera might print it: Cyrillic look-alikes, spaces or dashes, lower case. */
function writePlate(plate: string, random: () => number): string {
  const r = random();
  if (r < 0.6) return plate;
  if (r < 0.75) return [...plate].map((c) => CYRILLIC[c] ?? c).join('');
  if (r < 0.9) return `${plate.slice(0, 3)} ${plate.slice(3, -2)} ${plate.slice(-2)}`;
  return `${plate.slice(0, 3)}-${plate.slice(3, -2).toLowerCase()}-${plate.slice(-2)}`;
}
