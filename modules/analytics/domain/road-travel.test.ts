import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RoadGraph } from '../../dispatch/domain/routing/graph.ts';
import { loadRoadGraph } from '../../dispatch/domain/routing/osm-graph.ts';
import { localPlanar } from './crs.ts';
import { planPatrols } from './patrol.ts';
import { roadTravelMinutes } from './road-travel.ts';

const MONACO = join(import.meta.dirname, '../../../data/monaco-osm/monaco.osm.pbf');

describe('patrol travel on a road network (Monaco, OpenStreetMap)', () => {
  let graph: RoadGraph;
  beforeAll(() => {
    graph = loadRoadGraph(MONACO).graph;
  });

  // Monte-Carlo casino square, the port (La Condamine), Fontvieille: a few hundred metres to 2 km apart.
  const casino = { id: 'casino', lon: 7.4275, lat: 43.7395 };
  const port = { id: 'port', lon: 7.4215, lat: 43.7355 };
  const fontvieille = { id: 'fontvieille', lon: 7.4155, lat: 43.7285 };
  const offshore = { id: 'sea', lon: 7.45, lat: 43.70 };

  it('takes road times from one Dijkstra per origin, and falls back to the straight line off the network', () => {
    const places = [casino, port, fontvieille, offshore];
    const calls: string[] = [];
    const { travel, snapped } = roadTravelMinutes(graph, places.map((p) => ({ place: p, lon: p.lon, lat: p.lat })), (a, b) => {
      calls.push(`${a.id}-${b.id}`);
      return 99;
    });
    expect(snapped).toBe(3);
    const casinoToPort = travel(casino, port);
    expect(casinoToPort).toBeGreaterThan(0.5); // ~700 m of city streets
    expect(casinoToPort).toBeLessThan(6);
    expect(travel(casino, fontvieille)).toBeGreaterThan(casinoToPort);
    expect(travel(casino, casino)).toBe(0);
    expect(travel(casino, offshore)).toBe(99);
    expect(calls).toEqual(['casino-sea']);
  });

  it('plans a shift over road times', () => {
    const crs = localPlanar(7.42, 43.735);
    const spots = [casino, port, fontvieille].map((p, i) => {
      const [x, y] = crs.fromLonLat(p.lon, p.lat);
      return { id: p.id, x, y, risk: 3 - i, lon: p.lon, lat: p.lat };
    });
    const [dx, dy] = crs.fromLonLat(port.lon, port.lat);
    const depot = { x: dx, y: dy };
    const [plx, ply] = crs.toLonLat(depot.x, depot.y);
    const { travel } = roadTravelMinutes(graph, [...spots.map((s) => ({ place: s as object, lon: s.lon, lat: s.lat })), { place: depot, lon: plx, lat: ply }], () => 30);
    const plan = planPatrols(spots, [{ id: 'u', depot }], { shiftMinutes: 240, seed: 1, choices: 1, travelMinutes: travel });
    const stops = plan.routes[0].stops;
    expect(stops[0].hotspotId).toBe('casino');
    expect(stops[0].arrive).toBeCloseTo(travel(depot, spots[0]), 6);
    expect(plan.routes[0].returnAt).toBeLessThanOrEqual(240);
  });
});
