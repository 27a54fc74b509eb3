import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../../packages/kernel/src/kernel.ts';
import { haversineM } from '../eta.ts';
import { buildRoadGraph, wayDirection } from './osm-graph.ts';
import { OsmPbfError, readOsmPbf } from '../../../../packages/kernel/src/geo/osm-pbf.ts';

const MONACO = join(REPO_ROOT, 'data/monaco-osm/monaco.osm.pbf');
const file = new Uint8Array(readFileSync(MONACO));

describe('OSM PBF decoding (Monaco, ODbL)', () => {
  it('reads dense nodes and ways with plausible coordinates', () => {
    let nodes = 0;
    let ways = 0;
    let highways = 0;
    const box = { minLon: 180, maxLon: -180, minLat: 90, maxLat: -90 };
    const { blocks } = readOsmPbf(file, {
      node: (n) => {
        nodes++;
        box.minLon = Math.min(box.minLon, n.lon);
        box.maxLon = Math.max(box.maxLon, n.lon);
        box.minLat = Math.min(box.minLat, n.lat);
        box.maxLat = Math.max(box.maxLat, n.lat);
      },
      way: (w) => {
        ways++;
        if (w.tags.highway) highways++;
        expect(w.refs.length).toBeGreaterThan(0);
      },
    });
    expect(blocks).toBeGreaterThan(1);
    expect(nodes).toBeGreaterThan(10_000);
    expect(ways).toBeGreaterThan(1_000);
    expect(highways).toBeGreaterThan(500);
    // Monaco and its surroundings: ~7.4° E, ~43.7° N.
    expect(box.minLon).toBeGreaterThan(7.3);
    expect(box.maxLon).toBeLessThan(7.6);
    expect(box.minLat).toBeGreaterThan(43.6);
    expect(box.maxLat).toBeLessThan(43.8);
  });

  it('refuses a truncated file', () => {
    expect(() => readOsmPbf(file.subarray(0, 1000), {})).toThrow(OsmPbfError);
  });

  it('knows which ways are drivable and in which direction', () => {
    expect(wayDirection({ highway: 'residential' })).toBe('both');
    expect(wayDirection({ highway: 'primary', oneway: 'yes' })).toBe('forward');
    expect(wayDirection({ highway: 'primary', oneway: '-1' })).toBe('backward');
    expect(wayDirection({ highway: 'secondary', junction: 'roundabout' })).toBe('forward');
    expect(wayDirection({ highway: 'footway' })).toBe('none');
    expect(wayDirection({ highway: 'service', access: 'no' })).toBe('none');
    expect(wayDirection({ building: 'yes' })).toBe('none');
  });

  it('routes between the Prince’s Palace and the Casino: longer than the straight line, shorter than 3×', () => {
    const { graph, stats } = buildRoadGraph(file);
    expect(stats.nodes).toBeGreaterThan(5_000);
    expect(stats.mainComponentNodes / stats.nodes).toBeGreaterThan(0.8);
    const palace = { lon: 7.4203, lat: 43.731 };
    const casino = { lon: 7.4283, lat: 43.7393 };
    const a = graph.nearestNode(palace)!;
    const b = graph.nearestNode(casino)!;
    expect(a.distanceM).toBeLessThan(150);
    expect(b.distanceM).toBeLessThan(150);
    const route = graph.route(a.node, b.node)!;
    const straight = haversineM(palace, casino);
    expect(straight).toBeGreaterThan(1000);
    expect(route.lengthM).toBeGreaterThan(straight);
    expect(route.lengthM).toBeLessThan(3 * straight);
    expect(route.timeS).toBeGreaterThan(60);
    expect(route.timeS).toBeLessThan(15 * 60);
    // Consecutive path nodes are close (edges of a real street network), and the path ends where it should.
    expect(route.nodes[0]).toBe(a.node);
    expect(route.nodes[route.nodes.length - 1]).toBe(b.node);
    for (let i = 1; i < route.nodes.length; i++) expect(haversineM(graph.coord(route.nodes[i - 1]), graph.coord(route.nodes[i]))).toBeLessThan(1000);
    // Reverse Dijkstra (what recommendations use) agrees with A*.
    const toCasino = graph.dijkstra(b.node, { reverse: true, targets: [a.node] });
    expect(toCasino.timeS[a.node]).toBeCloseTo(route.timeS, 6);
  });
});
