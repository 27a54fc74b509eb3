import { describe, expect, it } from 'vitest';
import { rankUnits } from '../recommend.ts';
import { type Edge, RoadGraph } from './graph.ts';
import { MinHeap } from './heap.ts';

describe('binary heap', () => {
  it('pops in key order', () => {
    const h = new MinHeap();
    const keys = [5, 3, 9, 1, 7, 1, 8, 2, 6, 4, 0];
    for (const [i, k] of keys.entries()) h.push(k, i);
    const out: number[] = [];
    while (h.size > 0) out.push(h.pop()!.key);
    expect(out).toEqual([...keys].sort((a, b) => a - b));
    expect(h.pop()).toBeNull();
  });
});

/**
 *   A(0) --100 s-- B(1) --100 s-- C(2)
 *    \                           /
 *     `------- 500 s ---------- '        plus a one-way D(3) → A (10 s) and an island E(4)–F(5)
 */
function tiny(): RoadGraph {
  const coords = [
    { lon: 0, lat: 0 },
    { lon: 0.01, lat: 0 },
    { lon: 0.02, lat: 0 },
    { lon: -0.01, lat: 0 },
    { lon: 1, lat: 1 },
    { lon: 1.001, lat: 1 },
  ];
  const both = (a: number, b: number, t: number, l = t * 10): Edge[] => [
    { from: a, to: b, timeS: t, lengthM: l },
    { from: b, to: a, timeS: t, lengthM: l },
  ];
  return new RoadGraph(coords, [...both(0, 1, 100), ...both(1, 2, 100), ...both(0, 2, 500), { from: 3, to: 0, timeS: 10, lengthM: 100 }, ...both(4, 5, 5)]);
}

describe('road graph', () => {
  it('Dijkstra finds the fastest path, not the fewest edges', () => {
    const g = tiny();
    const { timeS, lengthM } = g.dijkstra(0);
    expect(timeS[2]).toBe(200);
    expect(lengthM[2]).toBe(2000);
    expect(timeS[4]).toBe(Number.POSITIVE_INFINITY);
  });

  it('respects one-way edges, forward and reverse', () => {
    const g = tiny();
    expect(g.dijkstra(3).timeS[2]).toBe(210); // D → A → B → C
    expect(g.dijkstra(2).timeS[3]).toBe(Number.POSITIVE_INFINITY); // nothing leads into D
    expect(g.dijkstra(2, { reverse: true }).timeS[3]).toBe(210); // time from D *to* C
  });

  it('A* agrees with Dijkstra and returns the path', () => {
    const g = tiny();
    expect(g.route(3, 2)).toEqual({ timeS: 210, lengthM: 2100, nodes: [3, 0, 1, 2] });
    expect(g.route(2, 3)).toBeNull();
  });

  it('snaps only onto the main connected part', () => {
    const g = tiny();
    expect(g.mainComponentSize).toBe(4);
    expect(g.nearestNode({ lon: 0.0101, lat: 0.0001 })?.node).toBe(1);
    // Next to the island, but the island is not part of the network a unit can route on.
    expect(g.nearestNode({ lon: 1.0005, lat: 1 }, 2000)).toBeNull();
  });

  it('ranks units by road time, falling back to the straight line off the network', () => {
    const g = tiny();
    const o = { citySpeedKmh: 36, footSpeedKmh: 5, detourFactor: 1.3, maxKm: 500, limit: 10 };
    const r = rankUnits(
      { lon: 0.02, lat: 0 },
      [
        { id: 'a', callSign: 'A', type: 'PATROL_CAR', position: { lon: 0, lat: 0 } },
        { id: 'd', callSign: 'D', type: 'PATROL_CAR', position: { lon: -0.01, lat: 0 } },
        { id: 'b', callSign: 'B', type: 'PATROL_CAR', position: { lon: 0.01, lat: 0 } },
      ],
      g,
      o,
    );
    expect(r.method).toBe('road_network');
    expect(r.items.map((x) => [x.callSign, x.etaS, x.method])).toEqual([
      ['B', 100, 'road_network'],
      ['A', 200, 'road_network'],
      ['D', 210, 'road_network'],
    ]);
    const none = rankUnits({ lon: 0.02, lat: 0 }, [{ id: 'a', callSign: 'A', type: 'PATROL_CAR', position: { lon: 0, lat: 0 } }], null, o);
    expect(none.method).toBe('great_circle');
    expect(none.items[0].distanceM).toBeCloseTo(2226 * 1.3, -1);
  });
});
