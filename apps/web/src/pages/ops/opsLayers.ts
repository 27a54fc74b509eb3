import type { LayerSpecification } from 'maplibre-gl';
import { type IncidentSummary, isApproximate, type Unit } from '../../lib/dispatch.ts';

export const OPS_SOURCES = { incidents: 'incidents', units: 'units' } as const;

/** Priority colours, shared by the map, the queue badges and the legend. */
export const PRIORITY_COLOURS: Record<string, string> = { P1: '#dc2626', P2: '#ea580c', P3: '#ca8a04', P4: '#2563eb' };
export const UNIT_COLOURS: Record<string, string> = {
  AVAILABLE: '#16a34a',
  DISPATCHED: '#7c3aed',
  EN_ROUTE: '#2563eb',
  ON_SCENE: '#db2777',
  RETURNING: '#0891b2',
  BUSY: '#ea580c',
  OUT_OF_SERVICE: '#6b7280',
};
export const STALE_COLOUR = '#9ca3af';

const PRIO_RANK: Record<string, number> = { P1: 1, P2: 2, P3: 3, P4: 4 };

export function incidentFeatures(items: IncidentSummary[], selected: string | null) {
  return {
    type: 'FeatureCollection' as const,
    features: items.map((i) => ({
      type: 'Feature' as const,
      geometry: { type: 'Point' as const, coordinates: [i.location.lon, i.location.lat] },
      properties: {
        id: i.id,
        priority: i.priority,
        rank: PRIO_RANK[i.priority] ?? 4,
        status: i.status,
        selected: i.id === selected,
        approximate: isApproximate(i.locationPrecision),
      },
    })),
  };
}

export function unitFeatures(items: Unit[]) {
  return {
    type: 'FeatureCollection' as const,
    features: items
      .filter((u) => u.position)
      .map((u) => ({
        type: 'Feature' as const,
        geometry: { type: 'Point' as const, coordinates: [u.position!.lon, u.position!.lat] },
        properties: { id: u.id, callSign: u.callSign, status: u.status, stale: u.stale },
      })),
  };
}

const matchColour = (prop: string, table: Record<string, string>, fallback: string) =>
  ['match', ['get', prop], ...Object.entries(table).flat(), fallback] as never;

/** Incidents (clustered: a cluster takes the colour of its most urgent incident) and units on top. */
export function opsLayers(): LayerSpecification[] {
  const byRank = ['match', ['get', 'minRank'], 1, PRIORITY_COLOURS.P1, 2, PRIORITY_COLOURS.P2, 3, PRIORITY_COLOURS.P3, PRIORITY_COLOURS.P4] as never;
  return [
    {
      id: 'incident-clusters',
      type: 'circle',
      source: OPS_SOURCES.incidents,
      filter: ['has', 'point_count'],
      paint: {
        'circle-color': byRank,
        'circle-radius': ['step', ['get', 'point_count'], 14, 10, 18, 50, 24] as never,
        'circle-stroke-color': '#fff',
        'circle-stroke-width': 2,
        'circle-opacity': 0.9,
      },
    },
    {
      id: 'incident-cluster-count',
      type: 'symbol',
      source: OPS_SOURCES.incidents,
      filter: ['has', 'point_count'],
      layout: { 'text-field': ['get', 'point_count_abbreviated'] as never, 'text-size': 12, 'text-allow-overlap': true },
      paint: { 'text-color': '#fff' },
    },
    {
      id: 'units',
      type: 'circle',
      source: OPS_SOURCES.units,
      paint: {
        'circle-color': ['case', ['get', 'stale'], STALE_COLOUR, matchColour('status', UNIT_COLOURS, '#6b7280')] as never,
        'circle-radius': 7,
        'circle-opacity': ['case', ['get', 'stale'], 0.55, 1] as never,
        'circle-stroke-color': '#0f172a',
        'circle-stroke-width': 1.5,
      },
    },
    {
      id: 'unit-labels',
      type: 'symbol',
      source: OPS_SOURCES.units,
      minzoom: 11,
      layout: { 'text-field': ['get', 'callSign'] as never, 'text-size': 11, 'text-offset': [0, 1.3], 'text-anchor': 'top' },
      paint: { 'text-color': '#0f172a', 'text-halo-color': '#fff', 'text-halo-width': 1.2 },
    },
    // An incident placed only by its address (a street, a village, a district): a wide pale ring says «somewhere here».
    {
      id: 'incident-approximate',
      type: 'circle',
      source: OPS_SOURCES.incidents,
      filter: ['all', ['!', ['has', 'point_count']], ['get', 'approximate']] as never,
      paint: {
        'circle-color': matchColour('priority', PRIORITY_COLOURS, PRIORITY_COLOURS.P4),
        'circle-opacity': 0.15,
        'circle-radius': 26,
        'circle-stroke-color': matchColour('priority', PRIORITY_COLOURS, PRIORITY_COLOURS.P4),
        'circle-stroke-width': 1,
        'circle-stroke-opacity': 0.6,
      },
    },
    {
      id: 'incidents',
      type: 'circle',
      source: OPS_SOURCES.incidents,
      filter: ['!', ['has', 'point_count']],
      paint: {
        'circle-color': matchColour('priority', PRIORITY_COLOURS, PRIORITY_COLOURS.P4),
        'circle-radius': ['case', ['get', 'selected'], 11, 8] as never,
        'circle-stroke-color': ['case', ['get', 'selected'], '#f59e0b', '#fff'] as never,
        'circle-stroke-width': ['case', ['get', 'selected'], 4, 2] as never,
      },
    },
  ];
}
