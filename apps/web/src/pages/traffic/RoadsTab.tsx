import type { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl';
import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from '../../lib/errors.ts';
import { formatDateTime } from '../../lib/format.ts';
import { useLang } from '../../lib/lang.tsx';
import type { SessionUser } from '../../lib/session.ts';
import {
  type BlackSpot,
  type CrashYear,
  codeText,
  type Defect,
  DEFECT_NEXT,
  type DefectStatus,
  formatNumber,
  SEVERITY_COLOURS,
  trafficApi,
} from '../../lib/traffic.ts';
import { useInterval, useNow } from '../../lib/useInterval.ts';
import { EMPTY_FC } from '../../map/mapSetup.ts';
import { hasPermission } from '../../sections.ts';
import { pointerOver, pointsBBox, useTrafficMap } from './useTrafficMap.ts';

const SRC = { defects: 'traffic-defects', spots: 'traffic-black-spots' } as const;
const ACTIVE: readonly string[] = ['open', 'in_progress'];

/** Metres per pixel at zoom 0 around 50° N (Kazakhstan's middle): a black spot's radius drawn to scale. */
const M_PER_PX_Z0 = 156_543 * Math.cos((50 * Math.PI) / 180);

interface Data {
  defects: Defect[];
  spots: BlackSpot[];
  years: CrashYear[];
}

/** Overdue first, then by deadline; done ones last. */
function defectOrder(a: Defect, b: Defect): number {
  const rank = (d: Defect) => (d.overdue ? 0 : ACTIVE.includes(d.status) ? 1 : 2);
  return rank(a) - rank(b) || Date.parse(a.deadline) - Date.parse(b.deadline);
}

/**
 * Roads: defects on the map (overdue ones ringed in red) with their status changes for traffic:write, black spots
 * from the crash clustering, and deaths on national roads year on year.
 */
export function RoadsTab({ user }: { user: SessionUser }) {
  const { t, lang } = useLang();
  const now = useNow(30_000);
  const canWrite = hasPermission(user.permissions, 'traffic:write');
  const canVerify = hasPermission(user.permissions, 'traffic:verify');
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const el = useRef<HTMLElement>(null);
  const selectRef = useRef(setSelected);

  const load = useCallback(async () => {
    try {
      const [defects, spots, years] = await Promise.all([trafficApi.defects(), trafficApi.blackSpots(), trafficApi.crashStats()]);
      setData({ defects: [...defects].sort(defectOrder), spots: spots.items, years });
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  useInterval(() => void load(), 60_000);

  const setup = useCallback((map: MapLibreMap) => {
    map.addSource(SRC.spots, { type: 'geojson', data: EMPTY_FC });
    map.addSource(SRC.defects, { type: 'geojson', data: EMPTY_FC });
    const toScale = (z: number) => ['max', 9, ['*', ['get', 'radiusM'], 2 ** z / M_PER_PX_Z0]];
    map.addLayer({
      id: 'traffic-black-spots',
      type: 'circle',
      source: SRC.spots,
      paint: {
        'circle-color': '#7f1d1d',
        'circle-opacity': 0.25,
        'circle-stroke-color': '#7f1d1d',
        'circle-stroke-width': 1.5,
        'circle-radius': ['interpolate', ['exponential', 2], ['zoom'], 4, toScale(4), 10, toScale(10), 16, toScale(16), 20, toScale(20)] as never,
      },
    });
    map.addLayer({
      id: 'traffic-black-spot-labels',
      type: 'symbol',
      source: SRC.spots,
      layout: { 'text-field': ['to-string', ['get', 'rank']] as never, 'text-size': 12, 'text-allow-overlap': true },
      paint: { 'text-color': '#450a0a', 'text-halo-color': '#fff', 'text-halo-width': 1.2 },
    });
    map.addLayer({
      id: 'traffic-defects',
      type: 'circle',
      source: SRC.defects,
      paint: {
        'circle-color': ['get', 'colour'] as never,
        'circle-radius': ['case', ['get', 'selected'], 11, ['get', 'overdue'], 9, 7] as never,
        'circle-stroke-color': ['case', ['get', 'selected'], '#f59e0b', ['get', 'overdue'], '#dc2626', '#ffffff'] as never,
        'circle-stroke-width': ['case', ['get', 'overdue'], 4, 2] as never,
        'circle-opacity': ['case', ['get', 'active'], 1, 0.45] as never,
      },
    });
    map.on('click', 'traffic-defects', (e) => {
      const id = e.features?.[0]?.properties?.id;
      if (typeof id === 'string') selectRef.current(id);
    });
    pointerOver(map, ['traffic-defects']);
  }, []);
  const { map, ready, failed } = useTrafficMap(el, setup);

  useEffect(() => {
    if (!ready || !map || !data) return;
    map.getSource<GeoJSONSource>(SRC.defects)?.setData({
      type: 'FeatureCollection',
      features: data.defects.map((d) => ({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [d.location.lon, d.location.lat] },
        properties: { id: d.id, colour: SEVERITY_COLOURS[d.severity] ?? '#64748b', overdue: d.overdue, active: ACTIVE.includes(d.status), selected: d.id === selected },
      })),
    });
    map.getSource<GeoJSONSource>(SRC.spots)?.setData({
      type: 'FeatureCollection',
      features: data.spots.map((s) => ({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [s.center.lon, s.center.lat] },
        properties: { rank: s.rank, radiusM: s.radiusM },
      })),
    });
  }, [ready, map, data, selected]);

  const fitted = useRef(false);
  useEffect(() => {
    if (!ready || !map || !data || fitted.current) return;
    const box = pointsBBox([...data.defects.map((d) => d.location), ...data.spots.map((s) => s.center)]);
    if (!box) return;
    fitted.current = true;
    map.fitBounds(box, { padding: 40, animate: false, maxZoom: 13 });
  }, [ready, map, data]);

  const fly = (p: { lon: number; lat: number }) => map?.easeTo({ center: [p.lon, p.lat], zoom: Math.max(map.getZoom(), 14), duration: 600 });
  const overdue = data?.defects.filter((d) => d.overdue).length ?? 0;

  return (
    <div className="traffic-mapsplit" data-testid="roads-tab">
      <div className="map-area traffic-map">
        <div className="map-frame">
          <section ref={el} className="map-canvas" data-testid="roads-map" data-state={failed ? 'unavailable' : ready ? 'ready' : 'loading'} aria-label={t('roads.map')} />
          {failed && (
            <div className="map-fallback" role="status">
              <p>{t('traffic.mapUnavailable')}</p>
            </div>
          )}
          <div className="map-legend" aria-hidden="true">
            {Object.entries(SEVERITY_COLOURS).map(([s, c]) => (
              <span key={s}>
                <i style={{ background: c }} /> {codeText(t, 'severity', s)}
              </span>
            ))}
            <span>
              <i className="ring" /> {t('roads.overdue')}
            </span>
            <span>
              <i className="spot" /> {t('roads.blackSpot')}
            </span>
          </div>
        </div>
      </div>
      <aside className="traffic-side">
        {error != null && (
          <div role="alert" className="alert">
            {errorMessage(error, t)}
          </div>
        )}
        {!data && error == null && <p className="muted">{t('page.loading')}</p>}
        <h2>{t('roads.defects', { count: data?.defects.length ?? 0, overdue })}</h2>
        <ul className="defect-list" data-testid="defect-list">
          {data?.defects.map((d) => (
            <DefectItem
              key={d.id}
              d={d}
              now={now}
              active={d.id === selected}
              canWrite={canWrite}
              canVerify={canVerify}
              onPick={() => {
                setSelected(d.id);
                fly(d.location);
              }}
              onChanged={(nd) => {
                setData((x) => (x ? { ...x, defects: x.defects.map((o) => (o.id === nd.id ? nd : o)).sort(defectOrder) } : x));
                void load();
              }}
            />
          ))}
        </ul>
        {data && data.defects.length === 0 && <p className="muted">{t('page.empty')}</p>}

        <h2>{t('roads.blackSpots', { count: data?.spots.length ?? 0 })}</h2>
        <ol className="spot-list small" data-testid="black-spots">
          {data?.spots.map((s) => (
            <li key={s.rank}>
              <button type="button" className="link" onClick={() => fly(s.center)}>
                {t('roads.spotTitle', { rank: s.rank, crashes: s.crashes })}
              </button>{' '}
              <span className={s.deaths > 0 ? 'bad-text' : undefined}>{t('roads.spotHarm', { deaths: s.deaths, injuries: s.injuries })}</span>
              <div className="muted">
                {t('roads.spotIndex', { index: formatNumber(s.severityIndex, lang, 1), radius: Math.round(s.radiusM) })}
                {s.roadCodes.length > 0 && ` · ${s.roadCodes.join(', ')}`}
                {s.nationalRoad && ` · ${t('roads.national')}`}
                {` · ${formatDateTime(s.firstAt, lang).split(',')[0]} — ${formatDateTime(s.lastAt, lang).split(',')[0]}`}
              </div>
            </li>
          ))}
        </ol>
        {data && data.spots.length === 0 && <p className="muted small">{t('roads.noBlackSpots')}</p>}

        <h2>{t('roads.deathsTitle')}</h2>
        {data && <DeathsChart years={data.years} />}
      </aside>
    </div>
  );
}

function DefectItem({
  d,
  now,
  active,
  canWrite,
  canVerify,
  onPick,
  onChanged,
}: {
  d: Defect;
  now: number;
  active: boolean;
  canWrite: boolean;
  canVerify: boolean;
  onPick: () => void;
  onChanged: (d: Defect) => void;
}) {
  const { t, lang } = useLang();
  const next = DEFECT_NEXT[d.status].filter((s) => s !== 'verified' || canVerify);
  const [to, setTo] = useState<DefectStatus | ''>('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const late = Math.max(0, now - Date.parse(d.deadline));

  const apply = async () => {
    if (!to) return;
    setBusy(true);
    setError(null);
    try {
      onChanged(await trafficApi.patchDefect(d.id, { status: to, ...(note.trim() ? { note: note.trim() } : {}) }));
      setTo('');
      setNote('');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <li className={`defect${d.overdue ? ' overdue' : ''}${active ? ' active' : ''}`} data-defect={d.id} data-status={d.status} data-overdue={d.overdue}>
      <button type="button" className="defect-head" onClick={onPick} aria-pressed={active}>
        <span className="badge" style={{ background: SEVERITY_COLOURS[d.severity] ?? '#64748b' }}>
          {codeText(t, 'severity', d.severity)}
        </span>{' '}
        <strong>{codeText(t, 'defect', d.type)}</strong> <span className="muted">· {codeText(t, 'dstatus', d.status)}</span>
      </button>
      <div className="small">
        {d.address ?? `${d.location.lat.toFixed(5)}, ${d.location.lon.toFixed(5)}`}
        {d.road?.code && <span className="muted"> · {d.road.code}</span>}
      </div>
      {d.description && <div className="small muted">{d.description}</div>}
      <div className="small">
        {d.responsibleOrg && <span>{d.responsibleOrg} · </span>}
        <span className={d.overdue ? 'bad-text' : undefined}>
          {!d.overdue
            ? t('roads.deadline', { deadline: formatDateTime(d.deadline, lang) })
            : late >= 86_400_000
              ? t('roads.overdueBy', { days: Math.floor(late / 86_400_000), deadline: formatDateTime(d.deadline, lang) })
              : t('roads.overdueSince', { deadline: formatDateTime(d.deadline, lang) })}
        </span>
        {d.source === 'citizen' && <span className="muted"> · {t('roads.fromCitizen')}</span>}
      </div>
      {d.photo && (
        <a href={d.photo.url} target="_blank" rel="noopener noreferrer" className="small">
          {t('roads.photo')}
        </a>
      )}
      {canWrite && next.length > 0 && (
        <div className="defect-actions">
          <select value={to} onChange={(e) => setTo(e.target.value as DefectStatus | '')} aria-label={t('roads.newStatus')} data-testid="defect-status">
            <option value="">{t('roads.changeStatus')}</option>
            {next.map((s) => (
              <option key={s} value={s}>
                {codeText(t, 'dstatus', s)}
              </option>
            ))}
          </select>
          {to && <input value={note} maxLength={4000} onChange={(e) => setNote(e.target.value)} placeholder={t('roads.note')} aria-label={t('roads.note')} />}
          <button type="button" disabled={!to || busy} onClick={() => void apply()} data-action="defect-apply">
            {t('roads.apply')}
          </button>
        </div>
      )}
      {error != null && (
        <div role="alert" className="alert small">
          {errorMessage(error, t)}
        </div>
      )}
    </li>
  );
}

/** Deaths on national roads per year, with the change on the year before (a small bar chart in SVG). */
export function DeathsChart({ years }: { years: CrashYear[] }) {
  const { t, lang } = useLang();
  if (years.length === 0) return <p className="muted small">{t('page.empty')}</p>;
  const max = Math.max(1, ...years.map((y) => y.national.deaths));
  const w = 56;
  const h = 120;
  const top = 18;
  return (
    <figure className="deaths-chart" data-testid="deaths-chart">
      <svg viewBox={`0 0 ${years.length * w} ${h + top + 34}`} role="img" aria-label={t('roads.deathsTitle')}>
        {years.map((y, i) => {
          const bh = (y.national.deaths / max) * h;
          const ch = y.nationalDeathsChange;
          return (
            <g key={y.year} transform={`translate(${i * w},0)`} data-year={y.year} data-deaths={y.national.deaths}>
              <rect x={10} y={top + h - bh} width={w - 20} height={Math.max(bh, 1)} rx={3} className="bar" />
              <text x={w / 2} y={top + h - bh - 4} textAnchor="middle" className="value">
                {y.national.deaths}
              </text>
              <text x={w / 2} y={top + h + 14} textAnchor="middle" className="year">
                {y.year}
              </text>
              {ch && (
                <text x={w / 2} y={top + h + 28} textAnchor="middle" className={ch.absolute > 0 ? 'up' : ch.absolute < 0 ? 'down' : 'same'}>
                  {ch.percent != null ? `${ch.percent > 0 ? '+' : ''}${formatNumber(ch.percent, lang, 0)}%` : `${ch.absolute > 0 ? '+' : ''}${ch.absolute}`}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption className="muted small">
        {t('roads.deathsCaption', {
          crashes: years.reduce((s, y) => s + y.national.crashes, 0),
          deaths: years.reduce((s, y) => s + y.national.deaths, 0),
          all: years.reduce((s, y) => s + y.deaths, 0),
        })}
      </figcaption>
    </figure>
  );
}
