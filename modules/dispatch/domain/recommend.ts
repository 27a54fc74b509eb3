import { greatCircleEta, haversineM, type LonLat, speedFor } from './eta.ts';
import type { RoadGraph } from './routing/graph.ts';
import { fillFirst, type Requirement } from './runcard.ts';

/**
 * Unit recommendation (ops-center.md §3, §5.5): available units with a fresh position, ranked by estimated
 * travel time — on the road graph when one is loaded and both ends snap onto it, otherwise great-circle
 * distance × detour factor ÷ speed. When the incident's run card still misses units (`need`), the fastest unit of
 * each missing type moves to the front (`fillFirst`); otherwise the order is by travel time. Pure: the caller
 * loads the candidates.
 */
export type EtaMethod = 'road_network' | 'great_circle';

export interface Candidate {
  id: string;
  callSign: string;
  type: string;
  position: LonLat;
}

export interface Ranked {
  rank: number;
  unitId: string;
  callSign: string;
  type: string;
  method: EtaMethod;
  distanceM: number;
  etaS: number;
  straightLineM: number;
  /** The run-card requirement (unit type) this unit would fill, or null. */
  fills: string | null;
}

export interface RankOptions {
  citySpeedKmh: number;
  footSpeedKmh: number;
  detourFactor: number;
  maxKm: number;
  limit: number;
  /** Farthest a point may be from the road graph to be snapped onto it, metres. */
  maxSnapM?: number;
  /** What the incident's run card still misses (`evaluateRunCard(...).missing`); none = plain travel-time order. */
  need?: readonly Requirement[];
}

export function rankUnits(
  incident: LonLat,
  candidates: readonly Candidate[],
  graph: RoadGraph | null,
  o: RankOptions,
): { method: EtaMethod; items: Ranked[] } {
  const near = candidates
    .map((c) => ({ c, straight: haversineM(c.position, incident) }))
    .filter((x) => x.straight <= o.maxKm * 1000);
  const maxSnap = o.maxSnapM ?? 1000;
  const target = graph ? graph.nearestNode(incident, maxSnap) : null;
  const method: EtaMethod = target ? 'road_network' : 'great_circle';

  const byRoad = new Map<string, { distanceM: number; etaS: number }>();
  if (graph && target) {
    const snapped = new Map<string, { node: number; distanceM: number }>();
    for (const { c } of near) {
      if (c.type === 'FOOT_PATROL') continue; // walkers are estimated by the straight line
      const s = graph.nearestNode(c.position, maxSnap);
      if (s) snapped.set(c.id, s);
    }
    if (snapped.size > 0) {
      // One search on the reverse graph from the incident gives every unit's time to it.
      const { timeS, lengthM } = graph.dijkstra(target.node, { reverse: true, targets: [...snapped.values()].map((s) => s.node) });
      const offRoadSpeed = o.citySpeedKmh / 3.6;
      for (const [id, s] of snapped) {
        if (!Number.isFinite(timeS[s.node])) continue; // not connected: fall back to the straight line
        const offRoadM = s.distanceM + target.distanceM;
        byRoad.set(id, { distanceM: lengthM[s.node] + offRoadM, etaS: timeS[s.node] + offRoadM / offRoadSpeed });
      }
    }
  }

  const items = near.map(({ c, straight }) => {
    const road = byRoad.get(c.id);
    const est = road ?? greatCircleEta(c.position, incident, { speedKmh: speedFor(c.type, o), detourFactor: o.detourFactor });
    return {
      rank: 0,
      unitId: c.id,
      callSign: c.callSign,
      type: c.type,
      method: (road ? 'road_network' : 'great_circle') as EtaMethod,
      distanceM: Math.round(est.distanceM),
      etaS: Math.round(est.etaS),
      straightLineM: Math.round(straight),
    };
  });
  items.sort((a, b) => a.etaS - b.etaS || a.distanceM - b.distanceM || a.callSign.localeCompare(b.callSign));
  // Before the limit, so a unit that fills the run card is offered even when ten others are nearer.
  const ordered = fillFirst(items, o.need ?? []);
  return { method, items: ordered.slice(0, o.limit).map((x, i) => ({ ...x, rank: i + 1 })) };
}
