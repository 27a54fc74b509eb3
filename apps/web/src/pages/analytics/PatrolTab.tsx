import type { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl';
import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from '../../lib/errors.ts';
import { useLang } from '../../lib/lang.tsx';
import { EMPTY_FC } from '../../map/mapSetup.ts';
import { pointsBBox, useTrafficMap } from '../traffic/useTrafficMap.ts';
import { analyticsApi, kpiApi, type PatrolPlan } from './api.ts';

const SRC = { cells: 'patrol-cells', routes: 'patrol-routes', stops: 'patrol-stops', depot: 'patrol-depot' } as const;
const COLOURS = ['#1d4ed8', '#b91c1c', '#047857', '#7c3aed', '#c2410c', '#0e7490', '#a16207', '#be185d'];

/**
 * Patrol planning (`POST /api/v1/analytics/patrol-plans`): the week's forecast hotspots, a station (click the map to
 * move it), how many units and how long a shift — the routes on the map, one colour per unit, and the plan as GeoJSON
 * for the officers' tablets.
 */
export function PatrolTab() {
  const { t, lang } = useLang();
  const [depot, setDepot] = useState<{ lon: number; lat: number } | null>(null);
  const [units, setUnits] = useState(4);
  const [shift, setShift] = useState(480);
  const [plan, setPlan] = useState<PatrolPlan | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const el = useRef<HTMLElement>(null);
  const setDepotRef = useRef(setDepot);

  const setup = useCallback((map: MapLibreMap) => {
    for (const id of Object.values(SRC)) map.addSource(id, { type: 'geojson', data: EMPTY_FC });
    map.addLayer({ id: 'patrol-cells', type: 'fill', source: SRC.cells, paint: { 'fill-color': '#f59e0b', 'fill-opacity': 0.45 } });
    map.addLayer({ id: 'patrol-routes', type: 'line', source: SRC.routes, paint: { 'line-color': ['get', 'colour'] as never, 'line-width': 2.5, 'line-opacity': 0.8 } });
    map.addLayer({ id: 'patrol-stops', type: 'circle', source: SRC.stops, paint: { 'circle-color': ['get', 'colour'] as never, 'circle-radius': 5, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } });
    map.addLayer({ id: 'patrol-depot', type: 'circle', source: SRC.depot, paint: { 'circle-color': '#111827', 'circle-radius': 8, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
    map.on('click', (e) => setDepotRef.current({ lon: e.lngLat.lng, lat: e.lngLat.lat }));
  }, []);
  const { map, ready, failed } = useTrafficMap(el, setup);

  // The week's hotspots, to show where patrols will go and to place the station at their centre.
  useEffect(() => {
    if (!ready || !map) return;
    const ctl = new AbortController();
    analyticsApi
      .hotspots({ method: 'combined', horizon: '7d', cell: 150, coverage: 0.02 }, ctl.signal)
      .then((h) => {
        map.getSource<GeoJSONSource>(SRC.cells)?.setData(h as never);
        const box = pointsBBox(h.features.flatMap((f) => f.geometry.coordinates[0].map(([lon, lat]) => ({ lon, lat }))));
        if (box) {
          map.fitBounds(box, { padding: 40, animate: false, maxZoom: 14 });
          setDepot((d) => d ?? { lon: (box[0] + box[2]) / 2, lat: (box[1] + box[3]) / 2 });
        }
      })
      .catch((e) => {
        if ((e as Error).name !== 'AbortError') setError(e);
      });
    return () => ctl.abort();
  }, [ready, map]);

  useEffect(() => {
    if (!ready || !map) return;
    map.getSource<GeoJSONSource>(SRC.depot)?.setData({ type: 'FeatureCollection', features: depot ? [{ type: 'Feature', geometry: { type: 'Point', coordinates: [depot.lon, depot.lat] }, properties: {} }] : [] });
  }, [ready, map, depot]);

  useEffect(() => {
    if (!ready || !map) return;
    const colour = (unitId: string) => COLOURS[Number(unitId.split('-').pop()) % COLOURS.length] ?? COLOURS[0];
    const features = (plan?.features ?? []).map((f) => ({ ...f, properties: { ...f.properties, colour: colour(f.properties.unitId) } }));
    map.getSource<GeoJSONSource>(SRC.routes)?.setData({ type: 'FeatureCollection', features: features.filter((f) => f.properties.kind === 'route') } as never);
    map.getSource<GeoJSONSource>(SRC.stops)?.setData({ type: 'FeatureCollection', features: features.filter((f) => f.properties.kind === 'stop') } as never);
  }, [ready, map, plan]);

  const run = async () => {
    if (!depot) return;
    setBusy(true);
    try {
      setPlan(await kpiApi.plan({ method: 'combined', horizon: '7d', candidates: 300, shiftMinutes: shift, units: Array.from({ length: units }, (_, i) => ({ id: `unit-${i + 1}`, depot })) }));
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const download = () => {
    if (!plan) return;
    const url = URL.createObjectURL(new Blob([JSON.stringify(plan)], { type: 'application/geo+json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `patrol-plan-${plan.properties.planId}.geojson`;
    a.click();
    URL.revokeObjectURL(url);
  };

  const routes = plan?.features.filter((f) => f.properties.kind === 'route') ?? [];
  return (
    <div className="traffic-mapsplit" data-testid="patrol-tab">
      <div className="map-area traffic-map">
        <div className="map-frame">
          <section ref={el} className="map-canvas" data-testid="patrol-map" data-state={failed ? 'unavailable' : ready ? 'ready' : 'loading'} data-routes={routes.length} aria-label={t('analytics.patrolMap')} />
          {failed && (
            <div className="map-fallback" role="status">
              {t('map.webglError')}
            </div>
          )}
        </div>
      </div>
      <aside className="traffic-side">
        <h2>{t('analytics.patrolTitle')}</h2>
        <p className="muted small">{t('analytics.patrolHint')}</p>
        <label>
          {t('analytics.units')}
          <input type="number" min={1} max={50} value={units} onChange={(e) => setUnits(Math.max(1, Math.min(50, Number(e.target.value) || 1)))} data-testid="units" />
        </label>
        <label>
          {t('analytics.shift')}
          <select value={shift} onChange={(e) => setShift(Number(e.target.value))}>
            {[240, 480, 720].map((m) => (
              <option key={m} value={m}>
                {t('analytics.hours', { n: m / 60 })}
              </option>
            ))}
          </select>
        </label>
        <button type="button" disabled={!depot || busy} onClick={() => void run()} data-testid="plan">
          {busy ? t('page.loading') : t('analytics.plan')}
        </button>
        {error != null && (
          <div role="alert" className="alert">
            {errorMessage(error, t)}
          </div>
        )}
        {plan && (
          <>
            <p className="small" data-testid="plan-summary">
              {t('analytics.planSummary', {
                visits: plan.properties.visits,
                cells: plan.properties.hotspotsVisited,
                revisits: plan.properties.revisitsWithinTwoHours === null ? '—' : `${Math.round(plan.properties.revisitsWithinTwoHours * 100)} %`,
              })}
            </p>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('analytics.unit')}</th>
                  <th scope="col">{t('analytics.stops')}</th>
                  <th scope="col">{t('analytics.back')}</th>
                </tr>
              </thead>
              <tbody>
                {routes.map((r) =>
                  r.properties.kind === 'route' ? (
                    <tr key={r.properties.unitId}>
                      <th scope="row">{r.properties.unitId}</th>
                      <td className="num">{r.properties.stops}</td>
                      <td className="num">{new Date(r.properties.returnAt).toLocaleTimeString(lang === 'en' ? 'en-GB' : 'ru-RU', { hour: '2-digit', minute: '2-digit' })}</td>
                    </tr>
                  ) : null,
                )}
              </tbody>
            </table>
            <button type="button" onClick={download}>
              {t('analytics.downloadPlan')}
            </button>
          </>
        )}
      </aside>
    </div>
  );
}
