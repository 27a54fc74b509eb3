import { readFileSync } from 'node:fs';
import { haversineM, type LonLat } from '../eta.ts';
import { type Edge, RoadGraph } from './graph.ts';
import { readOsmPbf, type OsmWay } from '../../../../packages/kernel/src/geo/osm-pbf.ts';

/**
 * Effective speeds (km/h) by OSM `highway` type for a patrol car in town: below the posted limits, since a
 * response drives through junctions and traffic. Types not listed (footway, path, steps, cycleway, …) are not
 * drivable and are left out.
 */
export const HIGHWAY_SPEED_KMH: Record<string, number> = {
  motorway: 90,
  motorway_link: 50,
  trunk: 70,
  trunk_link: 40,
  primary: 50,
  primary_link: 40,
  secondary: 45,
  secondary_link: 35,
  tertiary: 40,
  tertiary_link: 30,
  unclassified: 30,
  residential: 25,
  living_street: 10,
  service: 15,
  road: 25,
};

/** How a way is driven: not at all, both ways, only along its node order, or only against it. */
export function wayDirection(tags: Record<string, string>): 'none' | 'both' | 'forward' | 'backward' {
  if (!(tags.highway in HIGHWAY_SPEED_KMH)) return 'none';
  if (tags.access === 'no' || tags.motor_vehicle === 'no' || tags.area === 'yes') return 'none';
  const oneway = tags.oneway;
  if (oneway === '-1' || oneway === 'reverse') return 'backward';
  if (oneway === 'yes' || oneway === 'true' || oneway === '1') return 'forward';
  if (oneway === 'no') return 'both';
  if (tags.junction === 'roundabout' || tags.junction === 'circular' || tags.highway === 'motorway') return 'forward';
  return 'both';
}

export interface OsmGraphStats {
  ways: number;
  nodes: number;
  edges: number;
  mainComponentNodes: number;
}

/**
 * Builds the drivable road graph of an `.osm.pbf` buffer in two passes — ways first (which nodes are needed),
 * then only those nodes — so memory grows with the road network, not with the whole extract.
 */
export function buildRoadGraph(file: Uint8Array): { graph: RoadGraph; stats: OsmGraphStats } {
  const ways: { refs: number[]; direction: 'both' | 'forward' | 'backward'; speedKmh: number }[] = [];
  const needed = new Map<number, number>();
  readOsmPbf(file, {
    way: (w: OsmWay) => {
      const direction = wayDirection(w.tags);
      if (direction === 'none' || w.refs.length < 2) return;
      ways.push({ refs: w.refs, direction, speedKmh: HIGHWAY_SPEED_KMH[w.tags.highway] });
      for (const r of w.refs) needed.set(r, -1);
    },
  });
  const coords: LonLat[] = [];
  readOsmPbf(file, {
    node: (n) => {
      if (needed.get(n.id) === -1) {
        needed.set(n.id, coords.length);
        coords.push({ lon: n.lon, lat: n.lat });
      }
    },
  });
  const edges: Edge[] = [];
  for (const w of ways) {
    const speed = w.speedKmh / 3.6;
    for (let i = 1; i < w.refs.length; i++) {
      const a = needed.get(w.refs[i - 1]) ?? -1;
      const b = needed.get(w.refs[i]) ?? -1;
      if (a < 0 || b < 0 || a === b) continue; // a node missing from the extract (clipped at its border)
      const lengthM = haversineM(coords[a], coords[b]);
      const timeS = lengthM / speed;
      if (w.direction !== 'backward') edges.push({ from: a, to: b, lengthM, timeS });
      if (w.direction !== 'forward') edges.push({ from: b, to: a, lengthM, timeS });
    }
  }
  const graph = new RoadGraph(coords, edges);
  return { graph, stats: { ways: ways.length, nodes: coords.length, edges: edges.length, mainComponentNodes: graph.mainComponentSize } };
}

export function loadRoadGraph(path: string): { graph: RoadGraph; stats: OsmGraphStats } {
  return buildRoadGraph(new Uint8Array(readFileSync(path)));
}
