import { describe, expect, it } from 'vitest';
import { simulate } from '../testing/simulator.ts';
import { certifiedAt, inSyncAt, type SyncRecord } from './clock-sync.ts';
import { VEHICLE_CLASSES } from './formats.ts';
import { CERT_OK, CLASS_UNKNOWN, CLOCK_OK, type EngineOptions, type Outcome, SectionEngine, type SectionSpec } from './section-engine.ts';

const OK = CLOCK_OK | CERT_OK;
const CAR = 0;
const TRUCK = 1;
const T0 = Date.parse('2026-03-01T08:00:00Z');
const options: EngineOptions = {
  latenessMs: 120_000,
  dedupeMs: 10_000,
  maxPlausibleKmh: 300,
  tolerance: { kmh: [10, 10, 10, 10, 10, 10], percent: [0, 0, 0, 0, 0, 0] },
};
/** 10 km from camera 0 to camera 1; cars 110, trucks 90. */
const section: SectionSpec = {
  entryCamera: 0,
  exitCamera: 1,
  lengthM: 10_000,
  limitsKmh: [110, 90, 100, 110, 50, 90],
  maxTravelMs: 3_600_000,
  activeFromMs: T0 - 86_400_000,
  activeToMs: Number.POSITIVE_INFINITY,
};
/** Milliseconds to drive 10 km at `kmh`. */
const at = (kmh: number) => Math.round((10_000 / (kmh / 3.6)) * 1000);
const engine = (o: Partial<EngineOptions> = {}, s: Partial<SectionSpec> = {}) => new SectionEngine({ ...options, ...o }, [{ ...section, ...s }]);
/** Settles everything and returns the outcomes. */
const settleAll = (e: SectionEngine): Outcome[] => {
  e.advance(T0 + 10 * 86_400_000);
  return e.drain();
};

describe('SectionEngine', () => {
  it('pairs entry and exit of a plate: speed = length ÷ Δt; a violation only above limit + tolerance', () => {
    const e = engine();
    e.ingest(0, 'FAST01', T0, OK, CAR);
    e.ingest(0, 'EDGE01', T0, OK, CAR);
    e.ingest(0, 'SLOW01', T0, OK, CAR);
    e.ingest(1, 'FAST01', T0 + at(150), OK, CAR);
    e.ingest(1, 'EDGE01', T0 + at(120), OK, CAR); // exactly limit + tolerance: not a violation
    e.ingest(1, 'SLOW01', T0 + at(100), OK, CAR);
    const out = settleAll(e);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ kind: 'violation', plate: 'FAST01', limitKmh: 110, toleranceKmh: 10, vehicleClass: CAR, entryAtMs: T0 });
    expect(out[0].speedKmh).toBeCloseTo(150, 2);
    expect(e.total).toMatchObject({ pairs: 3, compliant: 2, violations: 1 });
    expect(e.inFlight).toBe(0);
  });

  it('applies the limit of the vehicle’s class, the most lenient when unknown or disputed, and percentage tolerances', () => {
    const e = engine({ tolerance: { kmh: [5, 5, 5, 5, 5, 5], percent: [5, 5, 5, 5, 5, 5] } });
    e.ingest(0, 'TRUCK1', T0, OK, TRUCK);
    e.ingest(0, 'NOCLS1', T0, OK, CLASS_UNKNOWN);
    e.ingest(0, 'DISP01', T0, OK, TRUCK);
    e.ingest(1, 'TRUCK1', T0 + at(100), OK, CLASS_UNKNOWN); // truck limit 90, tolerance max(5, 5%·100 = 5) → 95 < 100
    e.ingest(1, 'NOCLS1', T0 + at(118), OK, CLASS_UNKNOWN); // most lenient: 110 + max(5, 5.9) = 115.9 < 118
    e.ingest(1, 'DISP01', T0 + at(112), OK, CAR); // disputed → car 110 + 5.6 = 115.6 ≥ 112
    const out = settleAll(e).sort((a, b) => (a.plate < b.plate ? 1 : -1));
    expect(out.map((o) => [o.plate, o.vehicleClass, o.limitKmh])).toEqual([
      ['TRUCK1', TRUCK, 90],
      ['NOCLS1', CLASS_UNKNOWN, 110],
    ]);
    expect(out[1].toleranceKmh).toBeCloseTo(5.9, 1);
  });

  it('never makes a violation from a read whose camera clock was not in sync, nor one without a valid certificate: counted instead', () => {
    const e = engine();
    e.ingest(0, 'UNSYNC', T0, CERT_OK, CAR); // entry clock not in sync
    e.ingest(0, 'NOCERT', T0, OK, CAR);
    e.ingest(0, 'BOTH01', T0, 0, CAR);
    e.ingest(1, 'UNSYNC', T0 + at(180), OK, CAR);
    e.ingest(1, 'NOCERT', T0 + at(180), CLOCK_OK, CAR);
    e.ingest(1, 'BOTH01', T0 + at(180), OK, CAR);
    const out = settleAll(e);
    expect(out.map((o) => [o.plate, o.kind])).toEqual([
      ['UNSYNC', 'suppressed-unsynced'],
      ['NOCERT', 'suppressed-uncertified'],
      ['BOTH01', 'suppressed-unsynced'],
    ]);
    expect(e.total).toMatchObject({ violations: 0, suppressedUnsynced: 2, suppressedUncertified: 1, unsyncedReads: 2, uncertifiedReads: 2 });
    expect(e.sectionCounters(0)).toMatchObject({ suppressedUnsynced: 2, suppressedUncertified: 1, pairs: 3 });
  });

  it('drops duplicates: the same plate at the same camera within the window', () => {
    const e = engine();
    e.ingest(0, 'DUP001', T0 + 800, OK, CAR); // read again a moment later, and this read arrives first
    e.ingest(0, 'DUP001', T0, OK, CAR); // the first sighting stands
    e.ingest(0, 'DUP001', T0, OK, CAR); // resent
    e.ingest(1, 'DUP001', T0 + at(150), OK, CAR);
    e.ingest(1, 'DUP001', T0 + at(150) + 1500, OK, CAR);
    const out = settleAll(e);
    expect(out).toHaveLength(1);
    expect(out[0].entryAtMs).toBe(T0);
    expect(out[0].exitAtMs).toBe(T0 + at(150));
    expect(e.total.duplicates).toBe(3);
  });

  it('handles out-of-order arrival within the watermark: an exit before its entry, and a later entry that arrives last', () => {
    // 2 km at 150 km/h = 48 s: the entry's gateway is 60 s slow, so the exit arrives first.
    const e = engine({}, { lengthM: 2000 });
    e.ingest(1, 'OOO001', T0 + 48_000, OK, CAR);
    e.ingest(0, 'OTHER1', T0 + 50_000, OK, CAR);
    e.ingest(0, 'OOO001', T0, OK, CAR); // stamped T0, watermark is T0 − 70 s: not late
    // A vehicle seen at the entry twice (it turned back): its trip starts at the later passage, which arrives last.
    const f = engine({ latenessMs: 300_000 });
    f.ingest(0, 'TWICE1', T0, OK, CAR);
    f.ingest(1, 'TWICE1', T0 + 600_000 + at(200), OK, CAR);
    f.ingest(0, 'TWICE1', T0 + 600_000, OK, CAR);
    const out = [...settleAll(e), ...settleAll(f)];
    const byPlate = Object.fromEntries(out.map((o) => [o.plate, o]));
    expect(byPlate.OOO001.speedKmh).toBeCloseTo(150, 1);
    expect(byPlate.TWICE1.entryAtMs).toBe(T0 + 600_000);
    expect(byPlate.TWICE1.speedKmh).toBeCloseTo(200, 1);
    expect(e.total.late + f.total.late).toBe(0);
  });

  it('counts reads later than the watermark and does not pair them', () => {
    const e = engine();
    e.ingest(0, 'LATE01', T0, OK, CAR);
    e.ingest(0, 'CLOCK1', T0 + 600_000, OK, CAR); // watermark: T0 + 480 s
    e.ingest(1, 'LATE01', T0 + at(200), OK, CAR); // stamped T0 + 180 s, arrives after the watermark passed it
    expect(e.total.late).toBe(1);
    expect(e.sectionCounters(0).late).toBe(1);
    expect(settleAll(e).filter((o) => o.kind === 'violation')).toEqual([]);
    // Only in-sync clocks move time: an unsynced camera far ahead does not make everyone late.
    const f = engine();
    f.ingest(0, 'AHEAD1', T0 + 3_600_000, CERT_OK, CAR);
    expect(f.watermark).toBe(Number.NEGATIVE_INFINITY);
  });

  it('holds back pairs faster than physically plausible (misread or cloned plate) and keeps the entry for the real exit', () => {
    const e = engine();
    e.ingest(0, 'CLONE1', T0, OK, CAR);
    e.ingest(1, 'CLONE1', T0 + 20_000, OK, CAR); // 1,800 km/h
    e.ingest(1, 'CLONE1', T0 + at(130), OK, CAR);
    const out = settleAll(e);
    expect(out.map((o) => o.kind)).toEqual(['implausible', 'violation']);
    expect(out[1].speedKmh).toBeCloseTo(130, 1);
  });

  it('expires entries after the maximum travel time, and pairs nothing outside the active period', () => {
    const e = engine({}, { maxTravelMs: 600_000 });
    e.ingest(0, 'SLOWPK', T0, OK, CAR);
    e.ingest(1, 'SLOWPK', T0 + 700_000, OK, CAR); // 11 minutes: beyond the maximum travel time
    expect(settleAll(e)).toEqual([]);
    expect(e.total).toMatchObject({ unmatchedEntries: 1, unmatchedExits: 1, pairs: 0 });
    const g = engine({}, { activeFromMs: T0 + 1000 });
    g.ingest(0, 'EARLY1', T0, OK, CAR);
    g.ingest(1, 'EARLY1', T0 + at(200), OK, CAR);
    expect(settleAll(g)).toEqual([]);
    expect(g.sectionCounters(0)).toMatchObject({ inactive: 1, unmatchedExits: 1, pairs: 0 });
  });

  it('serves overlapping sections and chained cameras (an exit that is the next section’s entry)', () => {
    const e = new SectionEngine(options, [
      { ...section, entryCamera: 0, exitCamera: 1 },
      { ...section, entryCamera: 1, exitCamera: 2 },
      { ...section, entryCamera: 0, exitCamera: 2, lengthM: 20_000 },
    ]);
    const reads: [number, string, number][] = [
      [0, 'CHAIN1', T0],
      [1, 'CHAIN1', T0 + at(150)],
      [2, 'CHAIN1', T0 + at(150) + at(100)], // 150 then 100 km/h: 120 over the 20 km, exactly the threshold
      [0, 'CHAIN2', T0 + 1000],
      [1, 'CHAIN2', T0 + 1000 + at(150)],
      [2, 'CHAIN2', T0 + 1000 + at(150) + at(125)],
    ];
    for (const [camera, plate, t] of reads.sort((a, b) => a[2] - b[2])) e.ingest(camera, plate, t, OK, CAR);
    const out = settleAll(e);
    expect(out.map((o) => [o.plate, o.section])).toEqual([
      ['CHAIN1', 0],
      ['CHAIN2', 0],
      ['CHAIN2', 1],
      ['CHAIN2', 2],
    ]);
    expect(out[3].speedKmh).toBeCloseTo(136.4, 1);
    expect(e.total.pairs).toBe(6);
  });

  it('settles each exit as soon as the watermark passes it — not when some entry expires — and after a quiet night too', () => {
    const e = engine({ latenessMs: 0 });
    e.ingest(0, 'FIRST1', T0, OK, CAR); // the first thing it ever sees expires an hour later
    e.ingest(1, 'FIRST1', T0 + at(150), OK, CAR);
    e.advance(T0 + at(150) + 1000);
    expect(e.drain().map((o) => o.plate)).toEqual(['FIRST1']);
    e.advance(T0 + 10 * 3_600_000); // nothing for ten hours
    e.ingest(0, 'MORNING', T0 + 10 * 3_600_000 + 1000, OK, CAR);
    e.ingest(1, 'MORNING', T0 + 10 * 3_600_000 + 1000 + at(140), OK, CAR);
    e.advance(T0 + 10 * 3_600_000 + 2000 + at(140));
    expect(e.drain().map((o) => o.plate)).toEqual(['MORNING']);
    expect(e.inFlight).toBe(0);
  });

  it('keeps state compact and grows: 100,000 vehicles in flight, then all settled', () => {
    const e = engine();
    for (let i = 0; i < 100_000; i++) e.ingest(0, `P${i}`, T0 + i, OK, CAR);
    expect(e.inFlight).toBe(100_000);
    for (let i = 0; i < 100_000; i++) e.ingest(1, `P${i}`, T0 + i + at(i % 2 === 0 ? 100 : 150), OK, CAR);
    const out = settleAll(e);
    expect(out).toHaveLength(50_000);
    expect(e.inFlight).toBe(0);
  });
});

describe('section control against the simulator (engine only)', () => {
  it('finds every true violation beyond tolerance, none below it, none from an unsynced or uncertified camera', () => {
    const sim = simulate({ seed: 7, vehicles: 20_000, startMs: T0, spreadMin: 120 });
    const cameraIdx = new Map(sim.cameras.map((c, i) => [c.code, i]));
    const sectionName = sim.sections.map((s) => s.name);
    const e = new SectionEngine(
      options,
      sim.sections.map((s) => ({
        entryCamera: cameraIdx.get(s.entry) as number,
        exitCamera: cameraIdx.get(s.exit) as number,
        lengthM: s.lengthM,
        limitsKmh: VEHICLE_CLASSES.map((c) => s.limits[c]),
        maxTravelMs: s.maxTravelS * 1000,
        activeFromMs: T0 - 86_400_000,
        activeToMs: Number.POSITIVE_INFINITY,
      })),
    );
    const history = new Map<string, SyncRecord[]>();
    for (const r of sim.clock) history.set(r.camera, [...(history.get(r.camera) ?? []), { atMs: r.atMs, status: r.status, source: 'ntp', offsetMs: 0 }]);
    const policy = { maxOffsetMs: 500, validForMs: 86_400_000 };
    // What the store would keep: an identical resend (same camera, time and plate) is stored once.
    const stored = new Set<string>();
    const outcomes: Outcome[] = [];
    for (const r of sim.reads) {
      const key = `${r.camera}|${r.atMs}|${r.plate}`;
      if (stored.has(key)) continue;
      stored.add(key);
      const c = sim.cameras[cameraIdx.get(r.camera) as number];
      const flags =
        (inSyncAt(history.get(r.camera) ?? [], r.atMs, policy) ? CLOCK_OK : 0) |
        (certifiedAt({ number: 'x', issuer: 'x', validFromMs: c.certFromMs, validToMs: c.certToMs }, r.atMs) ? CERT_OK : 0);
      e.ingest(cameraIdx.get(r.camera) as number, r.plate, r.atMs, flags, r.vehicleClass ? VEHICLE_CLASSES.indexOf(r.vehicleClass) : CLASS_UNKNOWN);
      outcomes.push(...e.drain());
    }
    outcomes.push(...settleAll(e));
    const found = new Set(outcomes.filter((o) => o.kind === 'violation').map((o) => `${sectionName[o.section]}|${o.plate}`));
    const missed = [...sim.expected].filter((k) => !found.has(k));
    const extra = [...found].filter((k) => !sim.expected.has(k));
    expect(missed, 'true violations not found').toEqual([]);
    expect(extra, 'violations that are not true ones').toEqual([]);
    expect(outcomes.filter((o) => o.kind === 'violation' && (o.entryFlags & o.exitFlags & OK) !== OK)).toEqual([]);
    // The scenario really exercised what it claims to.
    expect(sim.expected.size).toBeGreaterThan(500);
    expect(sim.stats.drifted).toBeGreaterThan(100);
    expect(e.total.suppressedUnsynced).toBe(sim.expectedSuppressedUnsynced);
    expect(e.total.suppressedUncertified).toBe(sim.expectedSuppressedUncertified);
    expect(e.total.suppressedUnsynced).toBeGreaterThan(10);
    expect(e.total.duplicates).toBeGreaterThan(100);
    expect(e.total.implausible).toBeGreaterThan(10);
    expect(e.total.late).toBe(0);
    expect(e.inFlight).toBe(0);
  });
});

describe('plate codes', () => {
  it('turns every plate of up to 10 characters into its own number and back', async () => {
    const { plateCode, plateText } = await import('./section-engine.ts');
    for (const p of ['123ABC01', '389BK01', 'A123BC77', '0', '00', 'ZZZZZZZZZZ', '0000000000', 'BMW1234']) {
      expect(plateText(plateCode(p)), p).toBe(p);
    }
    expect(new Set(['0', '00', '000', '10', '01'].map(plateCode)).size).toBe(5);
    expect(plateCode('ABCDEFGHJKL')).toBe(-1);
    expect(plateCode('12Ж')).toBe(-1);
  });

  it('pairs long foreign plates (kept as text) like any other', () => {
    const e = engine();
    e.ingest(0, 'LONGPLATE123', T0, OK, CAR);
    e.ingest(0, 'SHORT1', T0, OK, CAR);
    e.ingest(1, 'LONGPLATE123', T0 + at(150), OK, CAR);
    e.ingest(1, 'SHORT1', T0 + at(150), OK, CAR);
    expect(settleAll(e).map((o) => o.plate).sort()).toEqual(['LONGPLATE123', 'SHORT1']);
    expect(e.inFlight).toBe(0);
  });

  it('keeps the plate index consistent through heavy churn (deletions shift probe runs back)', () => {
    const e = engine({ latenessMs: 0 });
    let t = T0;
    // 50,000 vehicles, each in flight for a short while, interleaved.
    for (let i = 0; i < 50_000; i++) {
      e.ingest(0, `${i}`, t, OK, CAR);
      if (i >= 100) e.ingest(1, `${i - 100}`, t + 1, OK, CAR);
      t += 2000;
    }
    for (let i = 49_900; i < 50_000; i++) e.ingest(1, `${i}`, t + 200_000, OK, CAR);
    settleAll(e);
    expect(e.total.pairs).toBe(50_000);
    expect(e.inFlight).toBe(0);
    expect(e.sectionInFlight(0)).toBe(0);
  });
});
