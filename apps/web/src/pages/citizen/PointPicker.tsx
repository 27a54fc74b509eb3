import 'maplibre-gl/dist/maplibre-gl.css';
import { type GeoJSONSource, type Map as MapLibreMap, Marker } from 'maplibre-gl';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useLang } from '../../lib/lang.tsx';
import { KZ_BBOX } from '../../map/geo.ts';
import { createMap, EMPTY_FC } from '../../map/mapSetup.ts';
import { loadPickerBoundaries } from '../../map/pickerBoundaries.ts';
import { GEOKZ_ATTRIBUTION, MAPLIBRE_ATTRIBUTION, PICKER_SOURCES, pickerLayers } from '../../map/style.ts';
import { areaAt, type PickerGeoJson } from '../../map/topology.ts';

export interface PickerValue {
  lon: number;
  lat: number;
  source: 'gps' | 'map' | 'manual';
}

interface Props {
  value: PickerValue | null;
  /** A tap on the map or the end of a marker drag, rounded to 5 decimals (~1 m), as the coordinates are shown. */
  onPick: (lon: number, lat: number) => void;
}

/** Zoom at which a point is shown: a district and its name fill the small map. */
const POINT_ZOOM = 11;
const round5 = (v: number) => Math.round(v * 1e5) / 1e5;

type BoundaryState = 'loading' | 'ready' | 'failed';

/**
 * Where the picker last looked, and the last point it moved to: a picker opened again (or made again for another
 * language) comes back to the same view instead of the whole country.
 */
let lastCamera: { center: [number, number]; zoom: number } | null = null;
let lastShown: PickerValue | null = null;

/**
 * The citizen's place picker: Kazakhstan's regions and districts (with their names once zoomed in) drawn from the
 * boundaries alone, so it works with no tile server at all. A tap puts the point, the marker can be dragged, and a
 * point that came from elsewhere (the phone, typed coordinates) moves the marker and the map to it. Loaded only when
 * the citizen needs it; it is created again when the language changes (MapLibre reads its UI strings once).
 */
export default function PointPicker({ value, onPick }: Props) {
  const { t, lang } = useLang();
  const el = useRef<HTMLDivElement>(null);
  const map = useRef<MapLibreMap | null>(null);
  const marker = useRef<Marker | null>(null);
  const pick = useRef(onPick);
  pick.current = onPick;
  const start = useRef(value);
  const [failed, setFailed] = useState(false);
  const [styleReady, setStyleReady] = useState(false);
  const [boundaries, setBoundaries] = useState<PickerGeoJson | null>(null);
  const [boundaryState, setBoundaryState] = useState<BoundaryState>('loading');

  // The boundaries: fetched once per page (shared with every later picker), drawn when both they and the map are ready.
  useEffect(() => {
    let live = true;
    loadPickerBoundaries()
      .then((b) => {
        if (live) setBoundaries(b);
      })
      .catch((e: unknown) => {
        console.error('picker boundaries', e);
        if (live) setBoundaryState('failed');
      });
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    if (!el.current) return;
    const v = start.current;
    const camera = lastCamera ?? (v ? { center: [v.lon, v.lat] as [number, number], zoom: POINT_ZOOM } : null);
    const m = createMap(el.current, {
      ...(camera ?? { bounds: KZ_BBOX, fitBoundsOptions: { padding: 8 } }),
      attributionControl: { compact: true, customAttribution: [GEOKZ_ATTRIBUTION, MAPLIBRE_ATTRIBUTION] },
      locale: {
        'Map.Title': t('loc.mapLabel'),
        'Marker.Title': t('loc.marker'),
        'NavigationControl.ZoomIn': t('loc.zoomIn'),
        'NavigationControl.ZoomOut': t('loc.zoomOut'),
        'AttributionControl.ToggleAttribution': t('loc.attribution'),
      },
    });
    if (!m) {
      setFailed(true);
      return;
    }
    window.__tartipMap = m;
    m.on('load', () => {
      for (const id of Object.values(PICKER_SOURCES)) m.addSource(id, { type: 'geojson', data: EMPTY_FC });
      for (const layer of pickerLayers(lang)) m.addLayer(layer);
      // The attribution starts folded behind its (i) button, as after a first drag: unfolded it covers a third of
      // a phone's small map.
      m.getContainer().querySelector('.maplibregl-ctrl-attrib.maplibregl-compact')?.classList.remove('maplibregl-compact-show');
      setStyleReady(true);
    });
    m.on('click', (e) => {
      // A tap on the pin itself is not a new point (it would move the point to the pin's head).
      if (marker.current?.getElement().contains(e.originalEvent.target as Node)) return;
      pick.current(round5(e.lngLat.lng), round5(e.lngLat.lat));
    });
    m.on('moveend', () => {
      const c = m.getCenter();
      lastCamera = { center: [c.lng, c.lat], zoom: m.getZoom() };
    });
    map.current = m;
    return () => {
      setStyleReady(false);
      marker.current = null;
      map.current = null;
      if (window.__tartipMap === m) delete window.__tartipMap;
      m.remove();
    };
    // `lang` and `t` change only with the language, and the parent keys the picker by language: one map per mount.
  }, [lang, t]);

  useEffect(() => {
    const m = map.current;
    if (!styleReady || !m || !boundaries) return;
    m.getSource<GeoJSONSource>(PICKER_SOURCES.districts)?.setData(boundaries.districts as never);
    m.getSource<GeoJSONSource>(PICKER_SOURCES.districtLabels)?.setData(boundaries.districtLabels as never);
    m.getSource<GeoJSONSource>(PICKER_SOURCES.regionBorders)?.setData(boundaries.regionBorders as never);
    m.getSource<GeoJSONSource>(PICKER_SOURCES.districtBorders)?.setData(boundaries.districtBorders as never);
    m.getSource<GeoJSONSource>(PICKER_SOURCES.regionLabels)?.setData(boundaries.regionLabels as never);
    setBoundaryState('ready');
  }, [styleReady, boundaries]);

  // The marker follows the value; a point from the phone or typed in also brings the map to it.
  useEffect(() => {
    const m = map.current;
    if (!m || !value) return;
    if (!marker.current) {
      const mk = new Marker({ color: '#b91c1c', draggable: true }).setLngLat([value.lon, value.lat]).addTo(m);
      mk.getElement().dataset.testid = 'picker-marker';
      mk.on('dragend', () => {
        const p = mk.getLngLat();
        pick.current(round5(p.lng), round5(p.lat));
      });
      marker.current = mk;
    }
    marker.current.setLngLat([value.lon, value.lat]);
    if (value.source !== 'map' && value !== lastShown) m.jumpTo({ center: [value.lon, value.lat], zoom: Math.max(m.getZoom(), POINT_ZOOM) });
    lastShown = value;
  }, [value]);

  // Where the point is, in words: the district under the marker may be nowhere near a label at this zoom.
  const place = useMemo(() => (boundaries && value ? areaAt(boundaries, value.lon, value.lat) : undefined), [boundaries, value]);

  if (failed) return <p className="notice">{t('loc.mapUnavailable')}</p>;
  const state = boundaryState === 'ready' ? (styleReady ? 'ready' : 'loading') : boundaryState === 'failed' ? 'no-boundaries' : 'loading';
  return (
    <div className="point-picker-frame">
      <div ref={el} className="point-picker" data-testid="point-picker" data-state={state} />
      {state === 'loading' && (
        <p className="point-picker-status muted small" aria-live="polite">
          {t('loc.mapLoading')}
        </p>
      )}
      {place !== undefined && (
        <p className={place ? 'picker-place small' : 'field-error'} data-testid="picker-place" data-kato={place?.district.kato ?? ''}>
          {place
            ? [place.district[`name_${lang}`], place.region?.[`name_${lang}`]].filter(Boolean).join(', ')
            : t('loc.outsideKz')}
        </p>
      )}
      {state === 'no-boundaries' && (
        <p className="notice small" role="status">
          {t('loc.mapNoBoundaries')}
        </p>
      )}
    </div>
  );
}
