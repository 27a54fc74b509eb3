import 'maplibre-gl/dist/maplibre-gl.css';
import type { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl';
import { useEffect, useRef, useState } from 'react';
import type { Lang } from '../i18n.ts';
import { useLang } from '../lib/lang.tsx';
import { KZ_BBOX, type BBox } from './geo.ts';
import { addBoundarySources, createMap } from './mapSetup.ts';
import {
  boundaryLayers,
  GEOKZ_ATTRIBUTION,
  GEOKZ_TEXT,
  GEOKZ_URL,
  labelField,
  MAPLIBRE_ATTRIBUTION,
  SOURCES,
} from './style.ts';

type GeoJSONData = Parameters<GeoJSONSource['setData']>[0];

export interface MapData {
  regions: GeoJSONData;
  regionLabels: GeoJSONData;
  bbox: BBox;
}

export interface DistrictData {
  districts: GeoJSONData;
  districtLabels: GeoJSONData;
}

interface Props {
  data: MapData | null;
  districts: DistrictData | null;
  selected: string | null;
  /** Changes whenever the map should fly somewhere (a click in the region list). */
  focus: { bbox: BBox; n: number } | null;
  onSelect: (kato: string) => void;
  onUnavailable: () => void;
}

const PADDING = 24;

export function KzMap({ data, districts, selected, focus, onSelect, onUnavailable }: Props) {
  const { lang, t } = useLang();
  const container = useRef<HTMLElement>(null);
  const mapRef = useRef<MapLibreMap | null>(null);
  const [ready, setReady] = useState(false);
  const [failed, setFailed] = useState(false);
  const onSelectRef = useRef(onSelect);
  onSelectRef.current = onSelect;
  const langRef = useRef<Lang>(lang);
  langRef.current = lang;
  const onUnavailableRef = useRef(onUnavailable);
  onUnavailableRef.current = onUnavailable;

  // Create the map once. A browser without WebGL throws here: say so, and let the side list carry on.
  useEffect(() => {
    if (!container.current) return;
    const map = createMap(container.current, {
      bounds: [KZ_BBOX[0], KZ_BBOX[1], KZ_BBOX[2], KZ_BBOX[3]],
      fitBoundsOptions: { padding: PADDING },
      attributionControl: { compact: false, customAttribution: [GEOKZ_ATTRIBUTION, MAPLIBRE_ATTRIBUTION] },
    });
    if (!map) {
      setFailed(true);
      onUnavailableRef.current();
      return;
    }
    window.__tartipMap = map;
    mapRef.current = map;
    map.on('load', () => {
      addBoundarySources(map);
      for (const layer of boundaryLayers(langRef.current)) map.addLayer(layer);

      let hovered: string | number | undefined;
      const setHover = (id: string | number | undefined) => {
        if (hovered !== undefined) map.setFeatureState({ source: SOURCES.regions, id: hovered }, { hover: false });
        hovered = id;
        if (id !== undefined) map.setFeatureState({ source: SOURCES.regions, id }, { hover: true });
      };
      map.on('mousemove', 'regions-fill', (e) => {
        map.getCanvas().style.cursor = 'pointer';
        setHover(e.features?.[0]?.id);
      });
      map.on('mouseleave', 'regions-fill', () => {
        map.getCanvas().style.cursor = '';
        setHover(undefined);
      });
      map.on('click', 'regions-fill', (e) => {
        const kato = e.features?.[0]?.properties?.kato;
        if (typeof kato === 'string') onSelectRef.current(kato);
      });
      setReady(true);
    });
    return () => {
      setReady(false);
      if (window.__tartipMap === map) delete window.__tartipMap;
      mapRef.current = null;
      map.remove();
    };
  }, []);

  useEffect(() => {
    const map = mapRef.current;
    if (!ready || !map || !data) return;
    map.getSource<GeoJSONSource>(SOURCES.regions)?.setData(data.regions);
    map.getSource<GeoJSONSource>(SOURCES.regionLabels)?.setData(data.regionLabels);
    map.fitBounds(data.bbox, { padding: PADDING, animate: false });
  }, [ready, data]);

  useEffect(() => {
    const map = mapRef.current;
    if (!ready || !map || !districts) return;
    map.getSource<GeoJSONSource>(SOURCES.districts)?.setData(districts.districts);
    map.getSource<GeoJSONSource>(SOURCES.districtLabels)?.setData(districts.districtLabels);
  }, [ready, districts]);

  useEffect(() => {
    const map = mapRef.current;
    if (!ready || !map) return;
    map.setLayoutProperty('regions-label', 'text-field', labelField(lang));
    map.setLayoutProperty('districts-label', 'text-field', labelField(lang));
  }, [ready, lang]);

  useEffect(() => {
    const map = mapRef.current;
    if (!ready || !map || !selected || !data) return;
    map.setFeatureState({ source: SOURCES.regions, id: selected }, { selected: true });
    return () => {
      if (mapRef.current === map && map.getSource(SOURCES.regions))
        map.setFeatureState({ source: SOURCES.regions, id: selected }, { selected: false });
    };
  }, [ready, selected, data]);

  useEffect(() => {
    const map = mapRef.current;
    if (!map || !focus) return;
    map.fitBounds(focus.bbox, { padding: PADDING * 2, maxZoom: 9, duration: 800 });
  }, [focus]);

  return (
    <div className="map-frame">
      <section
        ref={container}
        className="map-canvas"
        data-testid="map"
        data-state={failed ? 'unavailable' : ready ? 'ready' : 'loading'}
        aria-label={t('map.title')}
      />
      {failed && (
        <div className="map-fallback" role="status">
          <p>{t('map.webglError')}</p>
          <p className="attribution">
            <a href={GEOKZ_URL} target="_blank" rel="noopener">
              {GEOKZ_TEXT}
            </a>
          </p>
        </div>
      )}
    </div>
  );
}
