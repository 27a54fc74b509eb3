import 'maplibre-gl/dist/maplibre-gl.css';
import type { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl';
import { type RefObject, useEffect, useRef, useState } from 'react';
import { useLang } from '../../lib/lang.tsx';
import { type BBox, KZ_BBOX, toMapAreas } from '../../map/geo.ts';
import { addBoundarySources, createMap } from '../../map/mapSetup.ts';
import { boundaryLayers, GEOKZ_ATTRIBUTION, MAPLIBRE_ATTRIBUTION, SOURCES } from '../../map/style.ts';
import { useBoundaries } from '../../map/useBoundaries.ts';

export interface TrafficMap {
  map: MapLibreMap | null;
  ready: boolean;
  failed: boolean;
}

/**
 * A map of the traffic screens, made like every map of the app (`createMap`: the offline base style, no rotation):
 * regions and districts as pale context without names, then the screen's own sources and layers (`setup`, called
 * once the style has loaded). MapLibre's own strings come from the catalogue. The map is `window.__tartipMap` while
 * it is mounted.
 */
export function useTrafficMap(el: RefObject<HTMLElement | null>, setup: (map: MapLibreMap) => void, initial: BBox = KZ_BBOX): TrafficMap {
  const { t } = useLang();
  const [map, setMap] = useState<MapLibreMap | null>(null);
  const [ready, setReady] = useState(false);
  const [failed, setFailed] = useState(false);
  const boundaries = useBoundaries();
  const setupRef = useRef(setup);
  setupRef.current = setup;
  const tRef = useRef(t);
  tRef.current = t;
  const initialRef = useRef(initial);

  useEffect(() => {
    if (!el.current) return;
    const tr = tRef.current;
    const m = createMap(el.current, {
      bounds: initialRef.current,
      fitBoundsOptions: { padding: 24 },
      attributionControl: { compact: true, customAttribution: [GEOKZ_ATTRIBUTION, MAPLIBRE_ATTRIBUTION] },
      locale: {
        'NavigationControl.ZoomIn': tr('loc.zoomIn'),
        'NavigationControl.ZoomOut': tr('loc.zoomOut'),
        'AttributionControl.ToggleAttribution': tr('loc.attribution'),
      },
    });
    if (!m) {
      setFailed(true);
      return;
    }
    window.__tartipMap = m;
    m.on('load', () => {
      addBoundarySources(m);
      for (const layer of boundaryLayers('ru')) if (!layer.id.endsWith('-label')) m.addLayer(layer);
      m.setPaintProperty('regions-fill', 'fill-color', '#e2e8f0');
      m.setPaintProperty('regions-fill', 'fill-opacity', 0.5);
      m.setPaintProperty('regions-line', 'line-color', '#64748b');
      setupRef.current(m);
      setReady(true);
    });
    setMap(m);
    return () => {
      setReady(false);
      setMap(null);
      if (window.__tartipMap === m) delete window.__tartipMap;
      m.remove();
    };
  }, [el]);

  useEffect(() => {
    if (!ready || !map || !boundaries.regions) return;
    map.getSource<GeoJSONSource>(SOURCES.regions)?.setData(toMapAreas(boundaries.regions));
    if (boundaries.districts) map.getSource<GeoJSONSource>(SOURCES.districts)?.setData(toMapAreas(boundaries.districts));
  }, [ready, map, boundaries]);

  return { map, ready, failed };
}

/** The bounding box of some points, grown a little so that none sits on the edge; null for none. */
export function pointsBBox(points: { lon: number; lat: number }[], padDeg = 0.01): BBox | null {
  if (points.length === 0) return null;
  let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const p of points) {
    w = Math.min(w, p.lon);
    e = Math.max(e, p.lon);
    s = Math.min(s, p.lat);
    n = Math.max(n, p.lat);
  }
  return [w - padDeg, s - padDeg, e + padDeg, n + padDeg];
}

/** Pointer cursor over clickable layers. */
export function pointerOver(map: MapLibreMap, layers: string[]): void {
  for (const id of layers) {
    map.on('mouseenter', id, () => (map.getCanvas().style.cursor = 'pointer'));
    map.on('mouseleave', id, () => (map.getCanvas().style.cursor = ''));
  }
}
