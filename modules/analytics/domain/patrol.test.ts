import { describe, expect, it } from 'vitest';
import { adherence, planPatrols, type PatrolHotspot } from './patrol.ts';

// Speed 60 km/h and no detour: 1 km = 1 minute.
const fast = { speedKmh: 60, detour: 1 };

describe('patrol planning', () => {
  const spots: PatrolHotspot[] = [
    { id: 'hot', x: 1000, y: 0, risk: 10 },
    { id: 'warm', x: 0, y: 1000, risk: 5 },
    { id: 'cold', x: -1000, y: 0, risk: 1 },
  ];

  it('dwells 12–15 minutes per stop, returns to the depot within the shift, and visits the riskiest first', () => {
    const plan = planPatrols(spots, [{ id: 'u1', depot: { x: 0, y: 0 } }], { ...fast, shiftMinutes: 480, choices: 1, seed: 1 });
    const [route] = plan.routes;
    expect(route.stops[0].hotspotId).toBe('hot');
    expect(route.stops[0].arrive).toBeCloseTo(1);
    for (const s of route.stops) {
      expect(s.depart - s.arrive).toBeGreaterThanOrEqual(12);
      expect(s.depart - s.arrive).toBeLessThanOrEqual(15);
    }
    expect(route.returnAt).toBeLessThanOrEqual(480);
    for (let i = 1; i < route.stops.length; i++) expect(route.stops[i].arrive).toBeGreaterThanOrEqual(route.stops[i - 1].depart);
  });

  it('revisits the hot spots within about two hours, never right after leaving', () => {
    const plan = planPatrols(spots, [{ id: 'u1', depot: { x: 0, y: 0 } }], { ...fast, shiftMinutes: 480, choices: 1, seed: 2 });
    const hot = plan.routes[0].stops.filter((s) => s.hotspotId === 'hot');
    expect(hot.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < hot.length; i++) {
      const gap = hot[i].arrive - hot[i - 1].depart;
      expect(gap).toBeGreaterThan(0);
      expect(hot[i].arrive - hot[i - 1].arrive).toBeLessThanOrEqual(125);
    }
    expect(plan.longestRevisitGap).toBeLessThanOrEqual(125);
  });

  it('does not send two units to one place at once', () => {
    const plan = planPatrols([spots[0]], [{ id: 'a', depot: { x: 0, y: 0 } }, { id: 'b', depot: { x: 0, y: 0 } }], { ...fast, shiftMinutes: 60, choices: 1, seed: 3 });
    const all = plan.routes.flatMap((r) => r.stops).sort((x, y) => x.arrive - y.arrive);
    for (let i = 1; i < all.length; i++) expect(all[i].arrive).toBeGreaterThanOrEqual(all[i - 1].depart);
  });

  it('randomises: two seeds give different routes, one seed the same', () => {
    const grid = Array.from({ length: 60 }, (_, i) => ({ id: `c${i}`, x: (i % 10) * 400, y: Math.floor(i / 10) * 400, risk: 1 + (i % 7) }));
    const units = [{ id: 'u', depot: { x: 2000, y: 1000 } }];
    const ids = (seed: number) => planPatrols(grid, units, { shiftMinutes: 240, seed }).routes[0].stops.map((s) => s.hotspotId).join();
    expect(ids(1)).toBe(ids(1));
    expect(ids(1)).not.toBe(ids(2));
  });

  it('plans nothing when no hotspot can be reached and left in time', () => {
    const plan = planPatrols([{ id: 'far', x: 100_000, y: 0, risk: 9 }], [{ id: 'u', depot: { x: 0, y: 0 } }], { ...fast, shiftMinutes: 60 });
    expect(plan.visits).toBe(0);
    expect(plan.routes[0].returnAt).toBe(0);
  });
});

describe('patrol circuits: revisits within two hours', () => {
  const rand = (seed: number) => {
    let s = seed;
    return () => {
      s = (s * 16807) % 2147483647;
      return s / 2147483647;
    };
  };
  // Three neighbourhoods of six hotspots each (within ~600 m of a station), and forty weaker hotspots 2–6 km out
  // that tempt a unit away from its circuit (each is worth its full risk the first time).
  const r = rand(11);
  const stations = [
    { x: 0, y: 0 },
    { x: 4000, y: 0 },
    { x: 0, y: 4000 },
  ];
  const spots: PatrolHotspot[] = [
    ...stations.flatMap((c, k) => Array.from({ length: 6 }, (_, i) => ({ id: `n${k}-${i}`, x: c.x + (r() - 0.5) * 1200, y: c.y + (r() - 0.5) * 1200, risk: 5 + r() }))),
    ...Array.from({ length: 40 }, (_, i) => ({ id: `far${i}`, x: 2000 + r() * 4000, y: 2000 + r() * 4000, risk: 1 + r() * 3 })),
  ];
  const units = stations.map((depot, i) => ({ id: `u${i}`, depot }));
  const arrivals = (plan: ReturnType<typeof planPatrols>) => {
    const at = new Map<string, { unitId: string; arrive: number; depart: number }[]>();
    for (const route of plan.routes) for (const s of route.stops) at.set(s.hotspotId, [...(at.get(s.hotspotId) ?? []), { unitId: route.unitId, arrive: s.arrive, depart: s.depart }]);
    for (const list of at.values()) list.sort((a, b) => a.arrive - b.arrive);
    return at;
  };

  it('revisits every hotspot of a unit’s circuit within 120 minutes, arrival to arrival, whatever the seed', () => {
    for (let seed = 1; seed <= 25; seed++) {
      const plan = planPatrols(spots, units, { shiftMinutes: 480, seed });
      expect(plan.hotspotsInCircuits).toBeGreaterThanOrEqual(18);
      const at = arrivals(plan);
      for (const route of plan.routes) {
        expect(route.circuitMinutes).toBeLessThanOrEqual(120);
        expect(route.returnAt).toBeLessThanOrEqual(480);
        for (const id of route.circuit) {
          const visits = at.get(id) ?? [];
          // An 8-hour shift: at least three rounds of every circuit.
          expect(visits.length).toBeGreaterThanOrEqual(3);
          expect(visits.every((v) => v.unitId === route.unitId)).toBe(true);
          for (let i = 1; i < visits.length; i++) {
            expect(visits[i].arrive - visits[i - 1].arrive).toBeLessThanOrEqual(120);
            expect(visits[i].arrive).toBeGreaterThanOrEqual(visits[i - 1].depart);
          }
        }
      }
      // Hotspots in no circuit are visited at most once; so every repeat visit is on time.
      for (const [id, visits] of at) if (id.startsWith('far') && !plan.routes.some((rt) => rt.circuit.includes(id))) expect(visits).toHaveLength(1);
      expect(plan.revisitsOnTime).toBe(1);
      expect(plan.longestRevisitGap).toBeLessThanOrEqual(120);
      expect(plan.revisitMisses.filter((m) => m.reason !== 'shift_end')).toEqual([]);
    }
  });

  it('varies the start and the order within a cycle between seeds', () => {
    const orders = new Set<string>();
    for (let seed = 1; seed <= 5; seed++) {
      const route = planPatrols(spots, units, { shiftMinutes: 480, seed }).routes[0];
      orders.add(route.stops.filter((s) => s.kind === 'circuit').slice(0, 6).map((s) => s.hotspotId).join());
    }
    expect(orders.size).toBeGreaterThan(1);
  });

  it('builds circuits a unit can drive round with 15-minute dwells in 120 minutes', () => {
    // 1 km = 1 minute: four hotspots on a 1 km square are one circuit of 4 + 4 × 15 = 64 min; a fifth 30 km away
    // would make it 64 − 1 + 2 × ~29 + 15 > 120, so with one unit it is left out (every circuit full).
    const square = [
      { id: 'a', x: 0, y: 0, risk: 4 },
      { id: 'b', x: 1000, y: 0, risk: 4 },
      { id: 'c', x: 1000, y: 1000, risk: 4 },
      { id: 'd', x: 0, y: 1000, risk: 4 },
      { id: 'far', x: 30_000, y: 0, risk: 3 },
      { id: 'unreachable', x: 500_000, y: 0, risk: 9 },
    ];
    const plan = planPatrols(square, [{ id: 'u', depot: { x: 500, y: 500 } }], { ...fast, shiftMinutes: 300, seed: 4 });
    const [route] = plan.routes;
    expect([...route.circuit].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(route.circuitMinutes).toBeCloseTo(64, 6);
    expect(plan.outsideCircuits).toEqual([
      { hotspotId: 'unreachable', reason: 'out_of_reach' },
      { hotspotId: 'far', reason: 'circuits_full' },
    ]);
  });

  it('says which revisits fell due after the unit had to head back to its depot', () => {
    // 1 km = 1 minute, the depot 110 km from two hotspots 1 km apart, a 400-minute shift: the unit arrives at
    // minute 110 and must arrive at its last stop by about 400 − 15 − 110 = 275; the revisits that fall due after
    // that but before the end of the shift are reported as shift_end, none as late.
    const pair = [
      { id: 'p', x: 110_000, y: 0, risk: 2 },
      { id: 'q', x: 110_000, y: 1000, risk: 2 },
    ];
    const plan = planPatrols(pair, [{ id: 'u', depot: { x: 0, y: 0 } }], { ...fast, shiftMinutes: 400, seed: 9 });
    const [route] = plan.routes;
    expect(route.returnAt).toBeLessThanOrEqual(400);
    expect(plan.revisitsOnTime).toBe(1);
    expect(plan.revisitMisses.length).toBeGreaterThan(0);
    for (const m of plan.revisitMisses) {
      expect(m).toMatchObject({ unitId: 'u', nextArrive: null, reason: 'shift_end' });
      expect(m.due).toBeGreaterThan(275);
      expect(m.due).toBeLessThan(400);
    }
  });
});

describe('adherence from telemetry', () => {
  const t0 = Date.UTC(2026, 0, 1, 8);
  const min = 60_000;
  const visit = { unitId: 'u1', hotspotId: 'h', lon: 76.9, lat: 43.25, from: t0, to: t0 + 15 * min };

  it('counts a visit made with 10 minutes or more inside 100 m, not a drive-by', () => {
    const stayed = Array.from({ length: 13 }, (_, i) => ({ unitId: 'u1', lon: 76.9003, lat: 43.2501, at: t0 + i * min }));
    const passed = [0, 1, 2].map((i) => ({ unitId: 'u2', lon: 76.9, lat: 43.25, at: t0 + i * min }));
    const r = adherence([visit, { ...visit, unitId: 'u2' }], [...stayed, ...passed]);
    expect(r.visits[0]).toMatchObject({ made: true, dwellMinutes: 12 });
    expect(r.visits[1]).toMatchObject({ made: false, dwellMinutes: 2 });
    expect(r.units).toEqual([
      { unitId: 'u1', planned: 1, made: 1, share: 1 },
      { unitId: 'u2', planned: 1, made: 0, share: 0 },
    ]);
  });

  it('does not count time across a gap in telemetry or far from the hotspot', () => {
    const samples = [
      { unitId: 'u1', lon: 76.9, lat: 43.25, at: t0 },
      { unitId: 'u1', lon: 76.9, lat: 43.25, at: t0 + 14 * min }, // 14 min with no sample between
      { unitId: 'u1', lon: 76.92, lat: 43.25, at: t0 + 15 * min }, // 1.6 km away
    ];
    expect(adherence([visit], samples).visits[0].dwellMinutes).toBe(0);
  });
});
