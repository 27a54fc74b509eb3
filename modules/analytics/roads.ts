import { existsSync } from 'node:fs';
import { ConfigError } from '../../packages/kernel/src/config.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import type { RoadGraph } from '../dispatch/domain/routing/graph.ts';
import { loadRoadGraph } from '../dispatch/domain/routing/osm-graph.ts';

/**
 * The road network patrol plans travel on: `TARTIP_ANALYTICS_ROAD_NETWORK` names an OpenStreetMap `.osm.pbf`,
 * read with dispatch's loader (a pure library; no dispatch table is touched) when the module starts. Unset, plans
 * use straight-line travel.
 */
const graphs = new WeakMap<Kernel, RoadGraph | null>();

export function loadPatrolRoads(kernel: Kernel): RoadGraph | null {
  if (graphs.has(kernel)) return graphs.get(kernel) ?? null;
  const file = (kernel.config.env ?? process.env).TARTIP_ANALYTICS_ROAD_NETWORK;
  if (!file) {
    graphs.set(kernel, null);
    return null;
  }
  if (!existsSync(file)) throw new ConfigError([{ variable: 'TARTIP_ANALYTICS_ROAD_NETWORK', message: `no such file ${file}` }]);
  const started = Date.now();
  const { graph, stats } = loadRoadGraph(file);
  kernel.log.info({ file, ...stats, ms: Date.now() - started }, 'analytics: road network for patrol plans loaded');
  graphs.set(kernel, graph);
  return graph;
}
