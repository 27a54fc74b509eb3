import type { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl';
import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from '../../lib/errors.ts';
import { useLang } from '../../lib/lang.tsx';
import { EMPTY_FC } from '../../map/mapSetup.ts';
import { pointsBBox, useTrafficMap } from '../traffic/useTrafficMap.ts';
import { analyticsApi, type HotspotMap, METHODS, type Method } from './api.ts';
import { GRID_TEXT, type GridKind, gridParams } from './grid.ts';

const SRC = 'analytics-hotspots';
const HORIZONS = ['7d', '14d', '1m', '3m'] as const;

/**
 * The hotspot map (`GET /api/v1/analytics/hotspots`): the cells the chosen method expects most crime in over the
 * horizon, darker the higher their rank, with the list beside the map.
 */
export function HotspotsTab() {
  const { t, lang } = useLang();
  const [method, setMethod] = useState<Method>('combined');
  const [horizon, setHorizon] = useState<(typeof HORIZONS)[number]>('7d');
  const [coverage, setCoverage] = useState(0.01);
  const [grid, setGrid] = useState<GridKind>('square');
  const [data, setData] = useState<HotspotMap | null>(null);
  const [error, setError] = useState<unknown>(null);
  const el = useRef<HTMLElement>(null);

  const setup = useCallback((map: MapLibreMap) => {
    map.addSource(SRC, { type: 'geojson', data: EMPTY_FC });
    map.addLayer({
      id: 'analytics-hotspots-fill',
      type: 'fill',
      source: SRC,
      paint: { 'fill-color': ['interpolate', ['linear'], ['get', 'heat'], 0, '#fde68a', 1, '#b91c1c'] as never, 'fill-opacity': 0.75 },
    });
    map.addLayer({ id: 'analytics-hotspots-line', type: 'line', source: SRC, paint: { 'line-color': '#7f1d1d', 'line-width': 1 } });
  }, []);
  const { map, ready, failed } = useTrafficMap(el, setup);

  useEffect(() => {
    const ctl = new AbortController();
    setData(null);
    analyticsApi
      .hotspots({ method, horizon, coverage, ...gridParams(grid, 150, 9) }, ctl.signal)
      .then((d) => {
        setData(d);
        setError(null);
      })
      .catch((e) => {
        if ((e as Error).name !== 'AbortError') setError(e);
      });
    return () => ctl.abort();
  }, [method, horizon, coverage, grid]);

  useEffect(() => {
    if (!ready || !map) return;
    const n = data?.features.length ?? 0;
    map.getSource<GeoJSONSource>(SRC)?.setData({
      type: 'FeatureCollection',
      features: (data?.features ?? []).map((f) => ({ ...f, properties: { ...f.properties, heat: n > 1 ? 1 - (f.properties.rank - 1) / (n - 1) : 1 } })),
    });
    const box = pointsBBox((data?.features ?? []).flatMap((f) => f.geometry.coordinates[0].map(([lon, lat]) => ({ lon, lat }))));
    if (box) map.fitBounds(box, { padding: 40, animate: false, maxZoom: 15 });
  }, [ready, map, data]);

  const fmt = (v: number) => v.toLocaleString(lang === 'en' ? 'en-GB' : 'ru-RU', { maximumFractionDigits: 2 });
  return (
    <div className="traffic-mapsplit" data-testid="hotspots-tab">
      <div className="map-area traffic-map">
        <div className="map-frame">
          <section ref={el} className="map-canvas" data-testid="hotspot-map" data-state={failed ? 'unavailable' : ready ? 'ready' : 'loading'} data-cells={data?.features.length ?? 0} aria-label={t('analytics.hotspotMap')} />
          {failed && (
            <div className="map-fallback" role="status">
              {t('map.webglError')}
            </div>
          )}
        </div>
      </div>
      <aside className="traffic-side">
        <h2>{t('analytics.hotspotsTitle')}</h2>
        <label>
          {t('analytics.method')}
          <select value={method} onChange={(e) => setMethod(e.target.value as Method)} data-testid="method">
            {METHODS.map((m) => (
              <option key={m} value={m}>
                {t(`analytics.method.${m}`)}
              </option>
            ))}
          </select>
        </label>
        <fieldset className="segmented" aria-label={t('analytics.horizon')}>
          {HORIZONS.map((h) => (
            <button key={h} type="button" aria-pressed={horizon === h} onClick={() => setHorizon(h)}>
              {t(`analytics.horizon.${h}`)}
            </button>
          ))}
        </fieldset>
        <label>
          {GRID_TEXT[lang].grid}
          <select value={grid} onChange={(e) => setGrid(e.target.value as GridKind)} data-testid="grid">
            <option value="square">{`${GRID_TEXT[lang].square}, 150 m`}</option>
            <option value="h3">{`${GRID_TEXT[lang].h3}, ${GRID_TEXT[lang].h3Res.toLowerCase()} 9`}</option>
          </select>
        </label>
        <label>
          {t('analytics.coverage')}
          <select value={coverage} onChange={(e) => setCoverage(Number(e.target.value))}>
            {[0.005, 0.01, 0.02, 0.05].map((c) => (
              <option key={c} value={c}>
                {`${fmt(c * 100)} %`}
              </option>
            ))}
          </select>
        </label>
        {error != null && (
          <div role="alert" className="alert">
            {errorMessage(error, t)}
          </div>
        )}
        {data && (
          <>
            <p className="muted small">
              {t('analytics.hotspotsNote', { cells: data.features.length, train: data.properties.trainEvents, from: data.properties.window.from.slice(0, 10), to: data.properties.window.to.slice(0, 10) })}
            </p>
            <ol className="hotspot-list" data-testid="hotspot-list">
              {data.features.slice(0, 30).map((f) => (
                <li key={f.id} data-rank={f.properties.rank}>
                  {t('analytics.expected', { n: fmt(f.properties.score) })}
                </li>
              ))}
            </ol>
          </>
        )}
      </aside>
    </div>
  );
}
