import { Map as MapLibreMap, type MapOptions, NavigationControl, setWorkerUrl } from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { baseStyle, SOURCES } from './style.ts';

// The bundler moves the worker next to the app's chunks; tell MapLibre where it went.
setWorkerUrl(workerUrl);

declare global {
  interface Window {
    /** The live MapLibre map, for the browser tests (and for curious operators in the console). */
    __tartipMap?: MapLibreMap;
  }
}

export const EMPTY_FC = { type: 'FeatureCollection' as const, features: [] };

/**
 * A map on the base style with a zoom control and no rotation, or null when the browser has no WebGL (MapLibre
 * throws): the caller then says so and keeps its lists working.
 */
export function createMap(container: HTMLElement, options: Omit<MapOptions, 'container' | 'style'>): MapLibreMap | null {
  let map: MapLibreMap;
  try {
    map = new MapLibreMap({ container, style: baseStyle(), dragRotate: false, pitchWithRotate: false, ...options });
  } catch (e) {
    console.error('map unavailable', e);
    return null;
  }
  map.addControl(new NavigationControl({ showCompass: false }), 'top-right');
  map.touchZoomRotate.disableRotation();
  map.on('error', (e) => console.error('map error', e.error));
  return map;
}

/** The four empty GeoJSON sources the boundary layers draw from (`style.ts`), filled later with setData. */
export function addBoundarySources(map: MapLibreMap): void {
  map.addSource(SOURCES.regions, { type: 'geojson', data: EMPTY_FC, promoteId: 'kato' });
  map.addSource(SOURCES.regionLabels, { type: 'geojson', data: EMPTY_FC });
  map.addSource(SOURCES.districts, { type: 'geojson', data: EMPTY_FC, promoteId: 'kato' });
  map.addSource(SOURCES.districtLabels, { type: 'geojson', data: EMPTY_FC });
}
