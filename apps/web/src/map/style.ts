import type { LayerSpecification, StyleSpecification } from 'maplibre-gl';
import type { Lang } from '../i18n.ts';

export const GEOKZ_URL = 'https://github.com/arodionoff/geokz';
export const GEOKZ_TEXT = 'Boundaries: geokz, Alexander Rodionov, CC BY 4.0';
export const GEOKZ_ATTRIBUTION = `<a href="${GEOKZ_URL}" target="_blank" rel="noopener">${GEOKZ_TEXT}</a>`;
export const MAPLIBRE_ATTRIBUTION = '<a href="https://maplibre.org/" target="_blank" rel="noopener">MapLibre</a>';

/**
 * The base map. The closed network has no tile server, so by default the base is a plain background and the
 * boundaries are the map. `VITE_TARTIP_BASEMAP_STYLE` (a style JSON URL, set at build time) swaps in an
 * in-house base map; the boundary layers are drawn on top of it either way.
 */
export function baseStyle(): StyleSpecification | string {
  const url = import.meta.env.VITE_TARTIP_BASEMAP_STYLE;
  if (url) return url;
  return {
    version: 8,
    name: 'tartip-plain',
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#dce3ea' } }],
  };
}

export const SOURCES = {
  regions: 'regions',
  regionLabels: 'region-labels',
  districts: 'districts',
  districtLabels: 'district-labels',
} as const;

/** District outlines appear from this zoom; district names a little later. */
export const DISTRICT_MINZOOM = 5;
export const DISTRICT_LABEL_MINZOOM = 6.5;

export function labelField(lang: Lang) {
  return ['get', `name_${lang}`] as ['get', string];
}

export function boundaryLayers(lang: Lang): LayerSpecification[] {
  const state = (key: string) => ['boolean', ['feature-state', key], false];
  return [
    {
      id: 'regions-fill',
      type: 'fill',
      source: SOURCES.regions,
      paint: {
        'fill-color': ['case', state('selected'), '#f59e0b', state('hover'), '#60a5fa', '#93c5fd'] as never,
        'fill-opacity': ['case', state('selected'), 0.55, 0.4] as never,
      },
    },
    {
      id: 'districts-line',
      type: 'line',
      source: SOURCES.districts,
      minzoom: DISTRICT_MINZOOM,
      paint: { 'line-color': '#475569', 'line-width': 0.7, 'line-opacity': 0.7, 'line-dasharray': [3, 2] },
    },
    {
      id: 'regions-line',
      type: 'line',
      source: SOURCES.regions,
      paint: {
        'line-color': ['case', state('selected'), '#b45309', '#1e3a8a'] as never,
        'line-width': ['case', state('selected'), 2.5, 1.2] as never,
      },
    },
    {
      id: 'districts-label',
      type: 'symbol',
      source: SOURCES.districtLabels,
      minzoom: DISTRICT_LABEL_MINZOOM,
      layout: { 'text-field': labelField(lang), 'text-size': 11, 'text-max-width': 8 },
      paint: { 'text-color': '#334155', 'text-halo-color': '#ffffff', 'text-halo-width': 1.2 },
    },
    {
      id: 'regions-label',
      type: 'symbol',
      source: SOURCES.regionLabels,
      layout: { 'text-field': labelField(lang), 'text-size': 13, 'text-max-width': 9 },
      paint: { 'text-color': '#0f172a', 'text-halo-color': '#ffffff', 'text-halo-width': 1.5 },
    },
  ];
}

/** The citizen's place picker: Kazakhstan drawn from the boundaries alone (`topology.ts`), no tiles needed. */
export const PICKER_SOURCES = {
  districts: 'kz-districts',
  districtLabels: 'kz-district-labels',
  regionBorders: 'kz-region-borders',
  districtBorders: 'kz-district-borders',
  regionLabels: 'kz-region-labels',
} as const;

/** Land colour of the picker, over the background (#dce3ea) that stands for everything outside Kazakhstan. */
export const PICKER_LAND = '#f7f4ea';
export const PICKER_REGION_LINE = '#1e3a8a';
export const PICKER_DISTRICT_LINE = '#64748b';
/** Region names give way to district names from this zoom. */
export const PICKER_REGION_LABEL_MAXZOOM = 7.5;

export function pickerLayers(lang: Lang): LayerSpecification[] {
  // Over an in-house base map the land is only tinted, so that its streets show through.
  const overBaseMap = Boolean(import.meta.env.VITE_TARTIP_BASEMAP_STYLE);
  const zoomed = (a: number, b: number) => ['interpolate', ['linear'], ['zoom'], 4, a, 11, b] as never;
  return [
    {
      id: 'picker-land',
      type: 'fill',
      source: PICKER_SOURCES.districts,
      paint: { 'fill-color': PICKER_LAND, 'fill-opacity': overBaseMap ? 0.15 : 1 },
    },
    {
      id: 'picker-districts-line',
      type: 'line',
      source: PICKER_SOURCES.districtBorders,
      minzoom: DISTRICT_MINZOOM - 0.5,
      paint: { 'line-color': PICKER_DISTRICT_LINE, 'line-width': zoomed(0.6, 1.6), 'line-dasharray': [3, 2] },
    },
    {
      id: 'picker-regions-line',
      type: 'line',
      source: PICKER_SOURCES.regionBorders,
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: { 'line-color': PICKER_REGION_LINE, 'line-width': zoomed(1.2, 3) },
    },
    {
      id: 'picker-districts-label',
      type: 'symbol',
      source: PICKER_SOURCES.districtLabels,
      minzoom: DISTRICT_LABEL_MINZOOM,
      layout: { 'text-field': labelField(lang), 'text-size': 13, 'text-max-width': 8 },
      paint: { 'text-color': '#1f2937', 'text-halo-color': '#ffffff', 'text-halo-width': 1.6 },
    },
    {
      id: 'picker-regions-label',
      type: 'symbol',
      source: PICKER_SOURCES.regionLabels,
      maxzoom: PICKER_REGION_LABEL_MAXZOOM,
      layout: { 'text-field': labelField(lang), 'text-size': 12, 'text-max-width': 8 },
      paint: { 'text-color': '#0f172a', 'text-halo-color': '#ffffff', 'text-halo-width': 1.5 },
    },
  ];
}

export const PICKER_LABEL_LAYERS = ['picker-districts-label', 'picker-regions-label'] as const;
