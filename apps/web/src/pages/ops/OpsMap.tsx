import 'maplibre-gl/dist/maplibre-gl.css';
import type { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl';
import { useEffect, useRef, useState } from 'react';
import type { IncidentSummary, Unit } from '../../lib/dispatch.ts';
import { useLang } from '../../lib/lang.tsx';
import { bboxOf, type BBox, KZ_BBOX, toMapAreas, unionBBox } from '../../map/geo.ts';
import { addBoundarySources, createMap, EMPTY_FC } from '../../map/mapSetup.ts';
import { boundaryLayers, GEOKZ_ATTRIBUTION, MAPLIBRE_ATTRIBUTION, SOURCES } from '../../map/style.ts';
import { useBoundaries } from '../../map/useBoundaries.ts';
import { incidentFeatures, OPS_SOURCES, opsLayers, unitFeatures } from './opsLayers.ts';

interface Props {
  incidents: IncidentSummary[];
  units: Unit[];
  selected: string | null;
  onSelect: (id: string) => void;
  /** The user's jurisdictions (KATO codes, `*` = the whole country): the first view. */
  jurisdictions: string[];
  /** Changes whenever the map should fly to a point (a picked incident or unit). */
  focus: { lon: number; lat: number; n: number } | null;
  /** While set (a new call being entered), a click anywhere on the map gives its place instead of selecting. */
  onPick?: ((p: { lon: number; lat: number }) => void) | null;
  /** The place picked, shown with a marker. */
  picked?: { lon: number; lat: number } | null;
}

const PICKED_SOURCE = 'ops-picked';

/** The live map of the operations centre: boundaries for context, incidents (clustered) and units. */
export function OpsMap({ incidents, units, selected, onSelect, jurisdictions, focus, onPick = null, picked = null }: Props) {
  const { t, lang } = useLang();
  const el = useRef<HTMLElement>(null);
  const mapRef = useRef<MapLibreMap | null>(null);
  const [ready, setReady] = useState(false);
  const [failed, setFailed] = useState(false);
  const boundaries = useBoundaries();
  const select = useRef(onSelect);
  select.current = onSelect;
  const pick = useRef(onPick);
  pick.current = onPick;
  // Region and district names are left off this map (the incidents are what the eye should find).
  const langRef = useRef(lang);
  langRef.current = lang;

  useEffect(() => {
    if (!el.current) return;
    const map = createMap(el.current, {
      bounds: KZ_BBOX,
      attributionControl: { compact: true, customAttribution: [GEOKZ_ATTRIBUTION, MAPLIBRE_ATTRIBUTION] },
    });
    if (!map) {
      setFailed(true);
      return;
    }
    window.__tartipMap = map;
    mapRef.current = map;
    map.on('load', () => {
      addBoundarySources(map);
      // Context only, paler than on the home map: the incidents are what the eye should find.
      for (const layer of boundaryLayers(langRef.current)) if (!layer.id.endsWith('-label')) map.addLayer(layer);
      map.setPaintProperty('regions-fill', 'fill-color', '#bfdbfe');
      map.setPaintProperty('regions-fill', 'fill-opacity', 0.25);
      map.addSource(OPS_SOURCES.incidents, {
        type: 'geojson',
        data: EMPTY_FC,
        cluster: true,
        clusterRadius: 40,
        clusterMaxZoom: 14,
        clusterProperties: { minRank: ['min', ['get', 'rank']] },
      });
      map.addSource(OPS_SOURCES.units, { type: 'geojson', data: EMPTY_FC });
      for (const layer of opsLayers()) map.addLayer(layer);
      map.addSource(PICKED_SOURCE, { type: 'geojson', data: EMPTY_FC });
      map.addLayer({
        id: 'ops-picked',
        type: 'circle',
        source: PICKED_SOURCE,
        paint: { 'circle-radius': 9, 'circle-color': '#dc2626', 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 3 },
      });
      map.on('click', (e) => pick.current?.({ lon: e.lngLat.lng, lat: e.lngLat.lat }));
      map.on('click', 'incidents', (e) => {
        if (pick.current) return; // placing a new call: the click is its place
        const id = e.features?.[0]?.properties?.id;
        if (typeof id === 'string') select.current(id);
      });
      map.on('click', 'incident-clusters', async (e) => {
        const f = e.features?.[0];
        const clusterId = f?.properties?.cluster_id;
        if (typeof clusterId !== 'number' || f?.geometry.type !== 'Point') return;
        const zoom = await map.getSource<GeoJSONSource>(OPS_SOURCES.incidents)!.getClusterExpansionZoom(clusterId);
        map.easeTo({ center: f.geometry.coordinates as [number, number], zoom });
      });
      for (const id of ['incidents', 'incident-clusters']) {
        map.on('mouseenter', id, () => (map.getCanvas().style.cursor = 'pointer'));
        map.on('mouseleave', id, () => (map.getCanvas().style.cursor = ''));
      }
      setReady(true);
    });
    return () => {
      setReady(false);
      if (window.__tartipMap === map) delete window.__tartipMap;
      mapRef.current = null;
      map.remove();
    };
  }, []);

  // Boundaries, and the first view on the user's jurisdiction.
  const fitted = useRef(false);
  const jurisdictionKey = jurisdictions.join(',');
  useEffect(() => {
    const map = mapRef.current;
    if (!ready || !map || !boundaries.regions) return;
    map.getSource<GeoJSONSource>(SOURCES.regions)?.setData(toMapAreas(boundaries.regions));
    if (boundaries.districts) map.getSource<GeoJSONSource>(SOURCES.districts)?.setData(toMapAreas(boundaries.districts));
    if (fitted.current) return;
    const codes = jurisdictionKey.split(',');
    if (codes.includes('*')) return;
    const areas = [...boundaries.regions.features, ...(boundaries.districts?.features ?? [])];
    const boxes: BBox[] = areas.filter((f) => codes.includes(f.properties.kato)).map((f) => bboxOf(f.geometry));
    if (boxes.length === 0) return; // a district's code: found once the districts arrive
    fitted.current = true;
    map.fitBounds(unionBBox(boxes), { padding: 24, animate: false });
  }, [ready, boundaries, jurisdictionKey]);

  useEffect(() => {
    const map = mapRef.current;
    if (!ready || !map) return;
    map.getSource<GeoJSONSource>(OPS_SOURCES.incidents)?.setData(incidentFeatures(incidents, selected));
  }, [ready, incidents, selected]);

  useEffect(() => {
    const map = mapRef.current;
    if (!ready || !map) return;
    map.getSource<GeoJSONSource>(OPS_SOURCES.units)?.setData(unitFeatures(units));
  }, [ready, units]);

  useEffect(() => {
    const map = mapRef.current;
    if (!ready || !map) return;
    map.getSource<GeoJSONSource>(PICKED_SOURCE)?.setData(
      picked ? { type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [picked.lon, picked.lat] } }] } : EMPTY_FC,
    );
    map.getCanvas().style.cursor = onPick ? 'crosshair' : '';
  }, [ready, picked, onPick]);

  useEffect(() => {
    const map = mapRef.current;
    if (!ready || !map || !focus) return;
    map.easeTo({ center: [focus.lon, focus.lat], zoom: Math.max(map.getZoom(), 13), duration: 600 });
  }, [ready, focus]);

  return (
    <div className="map-frame">
      <section
        ref={el}
        className="map-canvas"
        data-testid="ops-map"
        data-state={failed ? 'unavailable' : ready ? 'ready' : 'loading'}
        aria-label={t('ops.map')}
      />
      {failed && (
        <div className="map-fallback" role="status">
          <p>{t('ops.mapUnavailable')}</p>
        </div>
      )}
    </div>
  );
}
