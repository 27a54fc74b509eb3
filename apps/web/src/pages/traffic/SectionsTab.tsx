import type { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { errorMessage } from '../../lib/errors.ts';
import { formatAgo, formatDateTime } from '../../lib/format.ts';
import { useLang } from '../../lib/lang.tsx';
import {
  type Camera,
  codeText,
  formatNumber,
  type Section,
  type SectionLive,
  type SectionStats,
  SPEED_COLOURS,
  speedBand,
  trafficApi,
} from '../../lib/traffic.ts';
import { useInterval, useNow } from '../../lib/useInterval.ts';
import { EMPTY_FC } from '../../map/mapSetup.ts';
import { pointerOver, pointsBBox, useTrafficMap } from './useTrafficMap.ts';

const WINDOWS = [15, 60, 180] as const;
const SRC = { sections: 'traffic-sections', labels: 'traffic-section-labels', cameras: 'traffic-cameras' } as const;
/** Where along its line a section's label sits: the two directions of a road get theirs at different places. */
const LABEL_AT = 0.3;
/** The band colours, darker: text on the map's pale background. */
const LABEL_COLOURS = { none: '#334155', ok: '#166534', near: '#9a3412', over: '#991b1b' } as const;

interface Data {
  cameras: Camera[];
  sections: Section[];
  /** Null: the server has no live route; the engine's figures since it started stand in. */
  live: SectionLive[] | null;
  stats: SectionStats[];
}

/** A section's live figures: from the live route, else from the engine's counters in the section itself. */
function liveOf(d: Data, s: Section): SectionLive {
  const l = d.live?.find((x) => x.sectionId === s.id);
  if (l) return l;
  if (d.live) return { sectionId: s.id, pairs: 0, averageSpeedKmh: null, medianSpeedKmh: null, p85SpeedKmh: null, overLimit: 0, lastExitAt: null };
  return { sectionId: s.id, pairs: s.live.pairs, averageSpeedKmh: s.live.averageSpeedKmh, medianSpeedKmh: null, p85SpeedKmh: null, overLimit: null, lastExitAt: null };
}

const VERDICT_COLOURS: Record<string, string> = { in_sync: '#16a34a', unknown: '#94a3b8', stale: '#d97706', not_synced: '#dc2626', offset_too_large: '#dc2626' };

/**
 * Cameras and average-speed sections on the map, each section coloured by its live average speed against its car
 * limit (green at or under it, amber up to 10 % over, red beyond, grey without vehicles), with its figures beside.
 * Refreshed every 15 s.
 */
export function SectionsTab() {
  const { t, lang } = useLang();
  const now = useNow(5000);
  const [minutes, setMinutes] = useState<number>(15);
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const el = useRef<HTMLElement>(null);
  const selectRef = useRef(setSelected);

  const load = useCallback(async () => {
    try {
      const [cameras, sections, live, stats] = await Promise.all([
        trafficApi.cameras(),
        trafficApi.sections(),
        trafficApi.sectionsLive(minutes),
        trafficApi.sectionStats(24),
      ]);
      setData({ cameras, sections, live, stats });
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, [minutes]);
  useEffect(() => {
    void load();
  }, [load]);
  useInterval(() => void load(), 15_000);

  const setup = useCallback(
    (map: MapLibreMap) => {
      map.addSource(SRC.sections, { type: 'geojson', data: EMPTY_FC });
      map.addSource(SRC.labels, { type: 'geojson', data: EMPTY_FC });
      map.addSource(SRC.cameras, { type: 'geojson', data: EMPTY_FC });
      // Both directions of a road join the same two gantries: each line is pushed to its right (its direction of travel).
      const offset = ['interpolate', ['linear'], ['zoom'], 8, 3, 14, 7] as never;
      map.addLayer({
        id: 'traffic-sections-casing',
        type: 'line',
        source: SRC.sections,
        layout: { 'line-cap': 'round' },
        paint: { 'line-color': ['case', ['get', 'selected'], '#f59e0b', '#ffffff'] as never, 'line-width': ['case', ['get', 'selected'], 11, 8] as never, 'line-offset': offset },
      });
      map.addLayer({
        id: 'traffic-sections',
        type: 'line',
        source: SRC.sections,
        layout: { 'line-cap': 'round' },
        paint: { 'line-color': ['get', 'colour'] as never, 'line-width': 5, 'line-offset': offset },
      });
      map.addLayer({
        id: 'traffic-section-labels',
        type: 'symbol',
        source: SRC.labels,
        minzoom: 9,
        layout: { 'text-field': ['get', 'label'] as never, 'text-size': 12, 'text-anchor': 'left', 'text-offset': [0.9, 0], 'text-max-width': 14 },
        paint: { 'text-color': ['get', 'colour'] as never, 'text-halo-color': '#ffffff', 'text-halo-width': 2 },
      });
      map.addLayer({
        id: 'traffic-cameras',
        type: 'circle',
        source: SRC.cameras,
        paint: { 'circle-color': ['get', 'colour'] as never, 'circle-radius': 6, 'circle-stroke-color': '#0f172a', 'circle-stroke-width': 1.5 },
      });
      map.addLayer({
        id: 'traffic-camera-labels',
        type: 'symbol',
        source: SRC.cameras,
        minzoom: 11,
        layout: { 'text-field': ['get', 'code'] as never, 'text-size': 11, 'text-offset': [0, 1.3], 'text-anchor': 'top' },
        paint: { 'text-color': '#334155', 'text-halo-color': '#ffffff', 'text-halo-width': 1.2 },
      });
      map.on('click', 'traffic-sections', (e) => {
        const id = e.features?.[0]?.properties?.id;
        if (typeof id === 'string') selectRef.current(id);
      });
      pointerOver(map, ['traffic-sections']);
    },
    [],
  );
  const { map, ready, failed } = useTrafficMap(el, setup);

  const rows = useMemo(
    () =>
      (data?.sections ?? []).map((s) => {
        const live = liveOf(data as Data, s);
        const stats = data?.stats.find((x) => x.sectionId === s.id) ?? null;
        const band = speedBand(live.averageSpeedKmh, s.limits.car);
        return { s, live, stats, band };
      }),
    [data],
  );

  useEffect(() => {
    if (!ready || !map || !data) return;
    map.getSource<GeoJSONSource>(SRC.sections)?.setData({
      type: 'FeatureCollection',
      features: rows.map(({ s, band }) => ({
        type: 'Feature',
        geometry: { type: 'LineString', coordinates: [[s.entryCamera.location.lon, s.entryCamera.location.lat], [s.exitCamera.location.lon, s.exitCamera.location.lat]] },
        properties: {
          id: s.id,
          band,
          colour: SPEED_COLOURS[band],
          selected: s.id === selected,
        },
      })),
    });
    const cameras = new Map(data.cameras.map((c) => [c.id, c]));
    map.getSource<GeoJSONSource>(SRC.labels)?.setData({
      type: 'FeatureCollection',
      features: rows.map(({ s, live, band }) => {
        const a = s.entryCamera.location;
        const b = s.exitCamera.location;
        const towards = cameras.get(s.entryCamera.id)?.direction?.label;
        const speed = `${live.averageSpeedKmh != null ? Math.round(live.averageSpeedKmh) : '—'} / ${s.limits.car} ${t('traffic.kmh')}`;
        return {
          type: 'Feature',
          geometry: { type: 'Point', coordinates: [a.lon + (b.lon - a.lon) * LABEL_AT, a.lat + (b.lat - a.lat) * LABEL_AT] },
          properties: { id: s.id, colour: LABEL_COLOURS[band], label: towards ? `${towards}: ${speed}` : speed },
        };
      }),
    });
    map.getSource<GeoJSONSource>(SRC.cameras)?.setData({
      type: 'FeatureCollection',
      features: data.cameras.map((c) => ({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [c.location.lon, c.location.lat] },
        properties: { id: c.id, code: c.code, colour: VERDICT_COLOURS[c.clock.verdict] ?? '#94a3b8' },
      })),
    });
  }, [ready, map, data, rows, selected, t]);

  // The first view: all cameras.
  const fitted = useRef(false);
  useEffect(() => {
    if (!ready || !map || !data || fitted.current) return;
    const box = pointsBBox(data.cameras.map((c) => c.location));
    if (!box) return;
    fitted.current = true;
    map.fitBounds(box, { padding: 40, animate: false, maxZoom: 13 });
  }, [ready, map, data]);

  const pick = (s: Section) => {
    setSelected(s.id);
    const box = pointsBBox([s.entryCamera.location, s.exitCamera.location], 0.005);
    if (map && box) map.fitBounds(box, { padding: 60, maxZoom: 14, duration: 600 });
  };

  const engineOnly = data != null && data.live === null;
  return (
    <div className="traffic-mapsplit" data-testid="sections-tab">
      <div className="map-area traffic-map">
        <div className="map-frame">
          <section ref={el} className="map-canvas" data-testid="sections-map" data-state={failed ? 'unavailable' : ready ? 'ready' : 'loading'} aria-label={t('traffic.sectionsMap')} />
          {failed && (
            <div className="map-fallback" role="status">
              <p>{t('traffic.mapUnavailable')}</p>
            </div>
          )}
          <div className="map-legend" aria-hidden="true">
            {(['ok', 'near', 'over', 'none'] as const).map((b) => (
              <span key={b}>
                <i style={{ background: SPEED_COLOURS[b] }} /> {t(`speedBand.${b}`)}
              </span>
            ))}
          </div>
        </div>
      </div>
      <aside className="traffic-side">
        <div className="queue-head">
          <h2>{t('traffic.sections', { count: rows.length })}</h2>
          <label className="inline">
            {t('traffic.window')}{' '}
            <select value={minutes} onChange={(e) => setMinutes(Number(e.target.value))} disabled={engineOnly} data-testid="live-window">
              {WINDOWS.map((w) => (
                <option key={w} value={w}>
                  {t('traffic.minutes', { n: w })}
                </option>
              ))}
            </select>
          </label>
        </div>
        <p className="muted small">{engineOnly ? t('traffic.liveSinceStart') : t('traffic.liveWindow', { n: minutes })}</p>
        {error != null && (
          <div role="alert" className="alert">
            {errorMessage(error, t)}
          </div>
        )}
        {!data && error == null && <p className="muted">{t('page.loading')}</p>}
        <ul className="section-list" data-testid="section-list">
          {rows.map(({ s, live, stats, band }) => (
            <li key={s.id}>
              <button
                type="button"
                className={`section-card band-${band}${s.id === selected ? ' active' : ''}`}
                aria-pressed={s.id === selected}
                data-section-id={s.id}
                data-band={band}
                onClick={() => pick(s)}
              >
                <span className="section-name">{s.name}</span>
                <span className="section-speed">
                  <strong style={{ color: SPEED_COLOURS[band] }} data-testid="section-average">
                    {live.averageSpeedKmh != null ? formatNumber(live.averageSpeedKmh, lang, 1) : '—'}
                  </strong>{' '}
                  / {s.limits.car} {t('traffic.kmh')}
                  <span className="muted small"> {t(`speedBand.${band}`)}</span>
                </span>
                <span className="section-bar" aria-hidden="true">
                  <i style={{ width: `${Math.min(100, ((live.averageSpeedKmh ?? 0) / (s.limits.car * 1.5)) * 100)}%`, background: SPEED_COLOURS[band] }} />
                  <b style={{ left: `${(1 / 1.5) * 100}%` }} />
                </span>
                <span className="section-figures small">
                  <span>{t('traffic.pairs', { n: live.pairs })}</span>
                  {live.p85SpeedKmh != null && <span>{t('traffic.p85', { v: formatNumber(live.p85SpeedKmh, lang) })}</span>}
                  {live.overLimit != null && <span>{t('traffic.overLimit', { n: live.overLimit })}</span>}
                  <span>{t('traffic.inFlight', { n: s.live.inFlight })}</span>
                  {stats && <span>{t('traffic.violations24h', { n: stats.violations })}</span>}
                  {stats && stats.suppressedUnsynced > 0 && <span className="bad-text">{t('traffic.unsynced24h', { n: stats.suppressedUnsynced })}</span>}
                  {live.lastExitAt && <span className="muted">{t('traffic.lastVehicle', { ago: formatAgo(live.lastExitAt, now, t) })}</span>}
                </span>
                <span className="muted small">
                  {t('traffic.sectionRoute', { from: s.entryCamera.code, to: s.exitCamera.code, km: formatNumber(s.lengthM / 1000, lang, 2) })}
                </span>
              </button>
            </li>
          ))}
        </ul>
        {data && rows.length === 0 && <p className="muted">{t('page.empty')}</p>}
        <h3>{t('traffic.cameras', { count: data?.cameras.length ?? 0 })}</h3>
        <ul className="camera-list small" data-testid="camera-list">
          {data?.cameras.map((c) => (
            <li key={c.id} data-camera={c.code}>
              <span className="dot" style={{ background: VERDICT_COLOURS[c.clock.verdict] ?? '#94a3b8' }} aria-hidden="true" /> <code>{c.code}</code> {c.name}
              <div className="muted">
                {codeText(t, 'verdict', c.clock.verdict)}
                {c.clock.lastReportAt && <> · {t('traffic.clockReported', { ago: formatAgo(c.clock.lastReportAt, now, t) })}</>}
                {' · '}
                {c.certificate ? (
                  <span className={c.certificate.validNow ? undefined : 'bad-text'}>
                    {t('traffic.certShort', { number: c.certificate.number })}
                    {c.certificate.validTo && ` (${t('traffic.validTo', { date: formatDateTime(c.certificate.validTo, lang) })})`}
                  </span>
                ) : (
                  <span className="bad-text">{t('traffic.noCertificate')}</span>
                )}
              </div>
            </li>
          ))}
        </ul>
      </aside>
    </div>
  );
}
