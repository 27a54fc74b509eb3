import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { type DispatchSettings, loadDispatchSettings } from './config/settings.ts';
import type { RoadGraph } from './domain/routing/graph.ts';
import { loadRoadGraph, type OsmGraphStats } from './domain/routing/osm-graph.ts';

/**
 * Per-kernel state of the module: its validated settings and, when `TARTIP_DISPATCH_ROAD_NETWORK` names an
 * `.osm.pbf`, the road graph kept in memory. Keyed by kernel so several apps in one process (tests, the
 * scale-out test) each have their own.
 */
export interface DispatchRuntime {
  settings: DispatchSettings;
  graph: RoadGraph | null;
  graphStats: OsmGraphStats | null;
}

const runtimes = new WeakMap<Kernel, DispatchRuntime>();

export function runtime(kernel: Kernel): DispatchRuntime {
  let r = runtimes.get(kernel);
  if (!r) {
    r = { settings: loadDispatchSettings(kernel.config.env ?? process.env), graph: null, graphStats: null };
    runtimes.set(kernel, r);
  }
  return r;
}

/** Loads the road network named in the settings (once). */
export function loadRoadNetwork(kernel: Kernel): DispatchRuntime {
  const r = runtime(kernel);
  if (r.settings.roadNetwork && !r.graph) {
    const started = Date.now();
    const { graph, stats } = loadRoadGraph(r.settings.roadNetwork);
    r.graph = graph;
    r.graphStats = stats;
    kernel.log.info({ file: r.settings.roadNetwork, ...stats, ms: Date.now() - started }, 'dispatch: road network loaded');
  }
  return r;
}
