import type { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl';
import { type ReactNode, type RefObject, useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../../lib/api.ts';
import { formatDateTime } from '../../lib/format.ts';
import { blobToDataUrl } from '../../lib/image.ts';
import { useLang } from '../../lib/lang.tsx';
import { useEventStream } from '../../lib/useEventStream.ts';
import type { SessionUser } from '../../lib/session.ts';
import { EMPTY_FC } from '../../map/mapSetup.ts';
import { hasPermission } from '../../sections.ts';
import { pointsBBox, useTrafficMap } from '../traffic/useTrafficMap.ts';
import { type VideoTextKey, videoText } from './text.ts';

type Tab = 'alerts' | 'cameras' | 'watchlists' | 'flow';
const TABS: { id: Tab; route: string; permission: string }[] = [
  { id: 'alerts', route: '/video', permission: 'video:read' },
  { id: 'cameras', route: '/video/cameras', permission: 'video:read' },
  { id: 'watchlists', route: '/video/watchlists', permission: 'video:watchlist' },
  { id: 'flow', route: '/video/flow', permission: 'video:read' },
];

interface Camera {
  id: string;
  code: string;
  name: string;
  location: { lon: number; lat: number };
  zone: string | null;
  status: 'online' | 'silent' | 'unknown';
  lastSeenAt: string | null;
}
interface Alert {
  id: string;
  kind: 'face_match' | 'abandoned_object' | 'review' | 'camera_silent';
  status: string;
  camera: { code: string; name: string };
  score: number | null;
  snapshot: string | null;
  raisedAt: string;
  incidentId: string | null;
}
interface AlertDetail extends Alert {
  match: { subject: string; referenceImage: string; legalBasis: { kind: string; reference: string }; expiresAt: string } | null;
}
interface Watchlist {
  id: string;
  name: string;
  liveEntries: number;
}
interface Entry {
  id: string;
  subject: string;
  referenceImage: string;
  legalBasis: { kind: string; reference: string };
  expiresAt: string;
  owner: string;
  status: string;
}
interface Bucket {
  bucket: string;
  vehicles: number;
  speedKmh: number | null;
  usual: { vehicles: number; speedKmh: number | null } | null;
  congested: boolean | null;
}

const STATUS_COLOUR = { online: '#16a34a', silent: '#b91c1c', unknown: '#64748b' } as const;
/**
 * Only http(s) images and JPEG/PNG data URLs (a watchlist entry's own uploaded photo) are shown; other snapshot
 * references (frigate:, double-take:) are printed.
 */
const isImage = (s: string | null): s is string => !!s && (/^https?:\/\//.test(s) || /^data:image\/(jpeg|png);base64,/.test(s));

/**
 * The server takes a reference image of up to 4,000,000 characters. Base64 makes 4 characters of every 3 bytes, and
 * the `data:image/jpeg;base64,` prefix takes 23: a photo of up to 2,999,000 bytes (3 MB) fits.
 */
const MAX_PHOTO_BYTES = 2_999_000;

function useText() {
  const { lang } = useLang();
  return (k: VideoTextKey) => videoText[lang][k];
}

const errorText = (e: unknown) => (e instanceof ApiError ? (e.problem?.errors?.map((x) => `${x.path}: ${x.message}`).join('; ') || e.message) : String(e));

/** The video analytics screens (`#/video…`): the alert queue, cameras with their status, watchlists, traffic flow. */
export default function VideoPage({ user, route }: { user: SessionUser; route: string }) {
  const { t } = useLang();
  const x = useText();
  const tabs = TABS.filter((tab) => hasPermission(user.permissions, tab.permission));
  const tab = tabs.find((tab) => tab.id === route.split('/')[2])?.id ?? 'alerts';
  return (
    <div className="traffic" data-page="video" data-tab={tab}>
      <h1 className="visually-hidden">{t('nav.video')}</h1>
      <nav className="tabs" aria-label={t('nav.video')}>
        {tabs.map((tb) => (
          <a key={tb.id} href={`#${tb.route}`} aria-current={tab === tb.id ? 'page' : undefined} data-tab={tb.id}>
            {x(`tab.${tb.id}` as VideoTextKey)}
          </a>
        ))}
      </nav>
      <div className="traffic-body" style={{ padding: '0.75rem', overflow: 'auto' }}>
        {tab === 'alerts' && <AlertsTab canReview={hasPermission(user.permissions, 'video:review')} />}
        {tab === 'cameras' && <CamerasTab />}
        {tab === 'watchlists' && <WatchlistsTab />}
        {tab === 'flow' && <FlowTab />}
      </div>
    </div>
  );
}

function AlertsTab({ canReview }: { canReview: boolean }) {
  const x = useText();
  const { lang } = useLang();
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [open, setOpen] = useState<AlertDetail | null>(null);
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    api<{ items: Alert[] }>('/api/v1/video/alerts?limit=100')
      .then((r) => setAlerts(r.items))
      .catch((e) => setError(errorText(e)));
  }, []);
  useEffect(() => {
    load();
    const timer = setInterval(load, 30_000);
    return () => clearInterval(timer);
  }, [load]);
  // New and decided alerts arrive live (SSE); the 30 s poll only covers a dropped stream.
  useEventStream('video.alert.>', ['video.alert.raised', 'video.alert.decided'], load);
  const decide = async (id: string, decision: 'confirm' | 'reject') => {
    try {
      await api(`/api/v1/video/alerts/${id}/${decision}`, { method: 'POST', body: note.trim() ? { note: note.trim() } : {} });
      setOpen(null);
      setNote('');
      load();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <div data-testid="video-alerts">
      {error && <p role="alert">{x('common.error')}: {error}</p>}
      {alerts.length === 0 && <p>{x('alerts.empty')}</p>}
      <div style={{ display: 'grid', gap: '0.5rem', gridTemplateColumns: 'repeat(auto-fill, minmax(260px, 1fr))' }}>
        {alerts.map((a) => (
          <button
            type="button"
            key={a.id}
            className="card"
            style={{ textAlign: 'left', cursor: 'pointer' }}
            onClick={() => api<AlertDetail>(`/api/v1/video/alerts/${a.id}`).then(setOpen, (e) => setError(errorText(e)))}
          >
            <strong>{x(`kind.${a.kind}` as VideoTextKey)}</strong>
            <div>
              {a.camera.name} ({a.camera.code})
            </div>
            <div>{formatDateTime(a.raisedAt, lang)}</div>
            {a.score !== null && (
              <div>
                {x('alerts.score')}: {a.score.toFixed(2)}
              </div>
            )}
            {isImage(a.snapshot) ? <img src={a.snapshot} alt="" style={{ maxWidth: '100%', maxHeight: 140 }} /> : a.snapshot && <code>{a.snapshot}</code>}
          </button>
        ))}
      </div>
      {open && (
        <div className="card" role="dialog" aria-label={x(`kind.${open.kind}` as VideoTextKey)} style={{ marginTop: '0.75rem' }}>
          <h2>{x(`kind.${open.kind}` as VideoTextKey)}</h2>
          <div style={{ display: 'flex', gap: '1rem', flexWrap: 'wrap' }}>
            {isImage(open.snapshot) && <img src={open.snapshot} alt="" style={{ maxHeight: 240 }} />}
            {open.match && (
              <div>
                <div>{x('alerts.compare')}</div>
                {isImage(open.match.referenceImage) && <img src={open.match.referenceImage} alt={x('alerts.compare')} style={{ maxHeight: 240 }} />}
                <div>{open.match.subject}</div>
                <div>
                  {x('alerts.legal')}: {x(`watchlists.${open.match.legalBasis.kind}` as VideoTextKey)} {open.match.legalBasis.reference}
                </div>
              </div>
            )}
          </div>
          {canReview && open.status === 'open' && (
            <div style={{ display: 'flex', gap: '0.5rem', marginTop: '0.5rem', flexWrap: 'wrap' }}>
              <input aria-label={x('alerts.note')} placeholder={x('alerts.note')} value={note} onChange={(e) => setNote(e.target.value)} />
              <button type="button" onClick={() => decide(open.id, 'confirm')}>
                {x('alerts.confirm')}
              </button>
              <button type="button" onClick={() => decide(open.id, 'reject')}>
                {x('alerts.reject')}
              </button>
            </div>
          )}
        </div>
      )}
    </div>
  );
}

function CamerasTab() {
  const x = useText();
  const { lang } = useLang();
  const [cameras, setCameras] = useState<Camera[]>([]);
  const [congested, setCongested] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<{ items: Camera[] }>('/api/v1/video/cameras?limit=200').then(
      (r) => setCameras(r.items),
      (e) => setError(errorText(e)),
    );
    api<{ items: { camera: string; congested: boolean | null }[] }>('/api/v1/video/flow/now').then(
      (r) => setCongested(new Set(r.items.filter((i) => i.congested).map((i) => i.camera))),
      (e) => setError(errorText(e)),
    );
  }, []);
  const el = useRef<HTMLElement | null>(null);
  const setup = useCallback((map: MapLibreMap) => {
    map.addSource('video-cameras', { type: 'geojson', data: EMPTY_FC });
    map.addLayer({
      id: 'video-cameras',
      type: 'circle',
      source: 'video-cameras',
      paint: {
        'circle-radius': 6,
        'circle-stroke-width': ['case', ['get', 'congested'], 4, 1.5],
        'circle-stroke-color': ['case', ['get', 'congested'], '#f59e0b', '#fff'],
        'circle-color': ['match', ['get', 'status'], 'online', STATUS_COLOUR.online, 'silent', STATUS_COLOUR.silent, STATUS_COLOUR.unknown],
      },
    });
  }, []);
  const { map, ready, failed } = useTrafficMap(el, setup);
  useEffect(() => {
    if (!ready || !map) return;
    map.getSource<GeoJSONSource>('video-cameras')?.setData({
      type: 'FeatureCollection',
      features: cameras.map((c) => ({
        type: 'Feature',
        properties: { code: c.code, status: c.status, congested: congested.has(c.code) },
        geometry: { type: 'Point', coordinates: [c.location.lon, c.location.lat] },
      })),
    });
  }, [ready, map, cameras, congested]);
  useEffect(() => {
    if (!ready || !map) return;
    const box = pointsBBox(cameras.map((c) => c.location));
    if (box) map.fitBounds(box, { padding: 24, duration: 0 });
  }, [ready, map, cameras]);
  return (
    <div data-testid="video-cameras">
      {error && <p role="alert">{x('common.error')}: {error}</p>}
      <div className="map-frame" style={{ height: 360, position: 'relative', marginBottom: '0.75rem' }}>
        <section ref={el} className="map-canvas" data-testid="video-camera-map" data-state={failed ? 'unavailable' : ready ? 'ready' : 'loading'} aria-label={x('tab.cameras')} />
      </div>
      <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th>{x('cameras.code')}</th>
            <th>{x('cameras.name')}</th>
            <th>{x('cameras.zone')}</th>
            <th>{x('cameras.status')}</th>
            <th>{x('cameras.lastSeen')}</th>
            <th>{x('cameras.place')}</th>
          </tr>
        </thead>
        <tbody>
          {cameras.map((c) => (
            <tr key={c.id}>
              <td>
                <code>{c.code}</code>
              </td>
              <td>{c.name}</td>
              <td>{c.zone ?? '—'}</td>
              <td>
                <span className="badge" style={{ background: STATUS_COLOUR[c.status] }} data-status={c.status}>
                  {x(`status.${c.status}` as VideoTextKey)}
                </span>{' '}
                {congested.has(c.code) && (
                  <span className="badge" style={{ background: '#f59e0b' }} data-congested="true">
                    {x('flow.congested')}
                  </span>
                )}
              </td>
              <td>{c.lastSeenAt ? formatDateTime(c.lastSeenAt, lang) : '—'}</td>
              <td>
                {c.location.lat.toFixed(5)}, {c.location.lon.toFixed(5)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
    </div>
  );
}

function WatchlistsTab() {
  const x = useText();
  const { lang } = useLang();
  const [lists, setLists] = useState<Watchlist[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [entries, setEntries] = useState<Entry[]>([]);
  const [name, setName] = useState('');
  const [form, setForm] = useState({ subject: '', referenceImage: '', embedding: '', basisKind: 'court_order', basisRef: '', expiresAt: '', owner: '' });
  const [error, setError] = useState<string | null>(null);
  const loadLists = useCallback(() => {
    api<{ items: Watchlist[] }>('/api/v1/video/watchlists').then(
      (r) => setLists(r.items),
      (e) => setError(errorText(e)),
    );
  }, []);
  const loadEntries = useCallback((id: string) => {
    api<{ items: Entry[] }>(`/api/v1/video/watchlists/${id}/entries`).then(
      (r) => setEntries(r.items),
      (e) => setError(errorText(e)),
    );
  }, []);
  useEffect(loadLists, [loadLists]);
  const run = async (fn: () => Promise<unknown>) => {
    try {
      setError(null);
      await fn();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <div data-testid="video-watchlists">
      <p>{x('watchlists.audited')}</p>
      {error && <p role="alert">{x('common.error')}: {error}</p>}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          run(async () => {
            await api('/api/v1/video/watchlists', { method: 'POST', body: { name } });
            setName('');
            loadLists();
          });
        }}
        style={{ display: 'flex', gap: '0.5rem', marginBottom: '0.5rem' }}
      >
        <input aria-label={x('watchlists.name')} placeholder={x('watchlists.new')} value={name} onChange={(e) => setName(e.target.value)} />
        <button type="submit">{x('watchlists.create')}</button>
      </form>
      <ul>
        {lists.map((l) => (
          <li key={l.id}>
            <button
              type="button"
              onClick={() => {
                setSelected(l.id);
                loadEntries(l.id);
              }}
            >
              {l.name} ({l.liveEntries})
            </button>
          </li>
        ))}
      </ul>
      {selected && (
        <>
          <h2>{x('watchlists.entries')}</h2>
          <div className="table-wrap">
            <table>
              <tbody>
                {entries.map((e) => (
                  <tr key={e.id}>
                    <td>{isImage(e.referenceImage) && <img src={e.referenceImage} alt={e.subject} style={{ maxHeight: 48 }} />}</td>
                    <td>{e.subject}</td>
                    <td>
                      {x(`watchlists.${e.legalBasis.kind}` as VideoTextKey)} {e.legalBasis.reference}
                    </td>
                    <td>{formatDateTime(e.expiresAt, lang)}</td>
                    <td>{e.owner}</td>
                    <td>
                      <button type="button" onClick={() => run(async () => api(`/api/v1/video/watchlists/${selected}/entries/${e.id}`, { method: 'DELETE' }).then(() => loadEntries(selected)))}>
                        {x('watchlists.remove')}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <form
            onSubmit={(ev) => {
              ev.preventDefault();
              run(async () => {
                await api(`/api/v1/video/watchlists/${selected}/entries`, {
                  method: 'POST',
                  body: {
                    subject: form.subject,
                    referenceImage: form.referenceImage,
                    // No numbers typed: the server computes the embedding from the photo (or says it needs one).
                    ...(form.embedding.trim() ? { embedding: form.embedding.split(/[\s,]+/).filter(Boolean).map(Number) } : {}),
                    legalBasis: { kind: form.basisKind, reference: form.basisRef },
                    expiresAt: form.expiresAt ? new Date(form.expiresAt).toISOString() : '',
                    owner: form.owner,
                  },
                });
                loadEntries(selected);
              });
            }}
            style={{ display: 'grid', gap: '0.4rem', maxWidth: 520 }}
          >
            <input aria-label={x('watchlists.subject')} placeholder={x('watchlists.subject')} value={form.subject} onChange={(e) => setForm({ ...form, subject: e.target.value })} />
            <label>
              {x('watchlists.photo')}{' '}
              <input
                type="file"
                accept="image/jpeg,image/png"
                data-testid="watchlist-photo"
                onChange={(e) => {
                  const file = e.target.files?.[0];
                  if (!file) return;
                  if (file.size > MAX_PHOTO_BYTES) {
                    setError(x('watchlists.photoTooLarge'));
                    e.target.value = '';
                    return;
                  }
                  run(async () => {
                    const url = await blobToDataUrl(file);
                    setForm((f) => ({ ...f, referenceImage: url }));
                  });
                }}
              />
            </label>
            {form.referenceImage.startsWith('data:') && <img src={form.referenceImage} alt={x('watchlists.photo')} data-testid="watchlist-photo-preview" style={{ maxHeight: 120, maxWidth: 120 }} />}
            <input
              aria-label={x('watchlists.image')}
              placeholder={x('watchlists.image')}
              value={form.referenceImage.startsWith('data:') ? '' : form.referenceImage}
              onChange={(e) => setForm({ ...form, referenceImage: e.target.value })}
            />
            <textarea aria-label={x('watchlists.embedding')} placeholder={x('watchlists.embedding')} value={form.embedding} onChange={(e) => setForm({ ...form, embedding: e.target.value })} rows={3} />
            <select aria-label={x('watchlists.basisKind')} value={form.basisKind} onChange={(e) => setForm({ ...form, basisKind: e.target.value })}>
              <option value="court_order">{x('watchlists.court_order')}</option>
              <option value="wanted_list">{x('watchlists.wanted_list')}</option>
            </select>
            <input aria-label={x('watchlists.basisRef')} placeholder={x('watchlists.basisRef')} value={form.basisRef} onChange={(e) => setForm({ ...form, basisRef: e.target.value })} />
            <label>
              {x('watchlists.expires')} <input type="datetime-local" value={form.expiresAt} onChange={(e) => setForm({ ...form, expiresAt: e.target.value })} />
            </label>
            <input aria-label={x('watchlists.owner')} placeholder={x('watchlists.owner')} value={form.owner} onChange={(e) => setForm({ ...form, owner: e.target.value })} />
            <button type="submit">{x('watchlists.add')}</button>
          </form>
        </>
      )}
    </div>
  );
}

function FlowTab() {
  const x = useText();
  const [cameras, setCameras] = useState<Camera[]>([]);
  const [camera, setCamera] = useState('');
  const [buckets, setBuckets] = useState<Bucket[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<{ items: Camera[] }>('/api/v1/video/cameras?limit=200').then(
      (r) => {
        setCameras(r.items);
        if (r.items[0]) setCamera(r.items[0].code);
      },
      (e) => setError(errorText(e)),
    );
  }, []);
  useEffect(() => {
    if (!camera) return;
    api<{ buckets: Bucket[] }>(`/api/v1/video/cameras/${encodeURIComponent(camera)}/flow?hours=24`).then(
      (r) => setBuckets(r.buckets),
      (e) => setError(errorText(e)),
    );
  }, [camera]);
  return (
    <div data-testid="video-flow">
      {error && <p role="alert">{x('common.error')}: {error}</p>}
      <label>
        {x('flow.camera')}{' '}
        <select value={camera} onChange={(e) => setCamera(e.target.value)}>
          {cameras.map((c) => (
            <option key={c.id} value={c.code}>
              {c.name} ({c.code})
            </option>
          ))}
        </select>
      </label>
      {buckets && buckets.length === 0 && <p>{x('flow.empty')}</p>}
      {buckets && buckets.length > 0 && <FlowCharts buckets={buckets} />}
    </div>
  );
}

const FLOW_HOURS = 24;
const SLOT_MS = 5 * 60_000;
const SLOT_W = 4;
const CHART_LEFT = 34;
const RED = '#b91c1c';
const BLUE = '#2563eb';
const USUAL = '#0f172a';

/**
 * The last 24 hours on a time axis, one 5-minute slot per 4 px (empty slots stay empty, so a quiet night looks
 * quiet): vehicles as bars against the usual level (a dark tick), congested slots red; mean speed as dots against
 * the usual speed. Above them, the latest slot in words: what an operator reads first.
 */
function FlowCharts({ buckets }: { buckets: Bucket[] }) {
  const x = useText();
  const { lang } = useLang();
  const end = Math.ceil((Date.now() + 1) / SLOT_MS) * SLOT_MS;
  const start = end - FLOW_HOURS * 3_600_000;
  const width = CHART_LEFT + ((FLOW_HOURS * 3_600_000) / SLOT_MS) * SLOT_W + 20;
  const xOf = (ms: number) => CHART_LEFT + Math.floor((ms - start) / SLOT_MS) * SLOT_W;
  const shown = buckets.filter((b) => Date.parse(b.bucket) >= start && Date.parse(b.bucket) < end);
  const maxVehicles = Math.max(1, ...shown.map((b) => Math.max(b.vehicles, b.usual?.vehicles ?? 0)));
  const maxSpeed = Math.max(60, ...shown.map((b) => Math.max(b.speedKmh ?? 0, b.usual?.speedKmh ?? 0)));
  const hourFormat = new Intl.DateTimeFormat(lang === 'kk' ? 'kk-KZ' : lang === 'en' ? 'en-GB' : 'ru-RU', { hour: '2-digit', minute: '2-digit' });
  const ticks = Array.from({ length: FLOW_HOURS / 3 + 1 }, (_, i) => start + i * 3 * 3_600_000);
  const latest = buckets[buckets.length - 1];

  /** A chart's frame: the maximum and zero on the left, the base line, and a time label every three hours. */
  const frame = (height: number, max: number) => (
    <>
      <text x={CHART_LEFT - 4} y={12} fontSize={10} textAnchor="end" fill="#475569">
        {max}
      </text>
      <text x={CHART_LEFT - 4} y={height - 20} fontSize={10} textAnchor="end" fill="#475569">
        0
      </text>
      <line x1={CHART_LEFT} x2={width} y1={height - 18} y2={height - 18} stroke="#cbd5e1" />
      {ticks.map((t) => (
        <g key={t}>
          <line x1={xOf(t)} x2={xOf(t)} y1={height - 18} y2={height - 14} stroke="#64748b" />
          <text x={xOf(t)} y={height - 3} fontSize={10} textAnchor="middle" fill="#475569">
            {hourFormat.format(t)}
          </text>
        </g>
      ))}
    </>
  );
  const legend = (colour: string, label: string, tick = false) => (
    <span style={{ display: 'inline-flex', alignItems: 'center', gap: '0.25rem', marginRight: '0.75rem' }}>
      <span style={{ display: 'inline-block', width: 10, height: tick ? 2 : 10, background: colour }} />
      {label}
    </span>
  );
  // Now is at the right end: a chart wider than the screen opens scrolled there, earlier hours to the left.
  const vehiclesBox = useRef<HTMLDivElement>(null);
  const speedBox = useRef<HTMLDivElement>(null);
  useEffect(() => {
    for (const box of [vehiclesBox.current, speedBox.current]) if (box) box.scrollLeft = box.scrollWidth;
  }, []);
  /** One chart: its heading, a box that scrolls sideways, the frame and what is drawn in it. */
  const chart = (box: RefObject<HTMLDivElement | null>, label: string, height: number, max: number, marks: ReactNode) => (
    <>
      <h2>{label}</h2>
      <div ref={box} style={{ overflowX: 'auto' }}>
        <svg width={width} height={height} role="img" aria-label={label}>
          {frame(height, max)}
          {marks}
        </svg>
      </div>
    </>
  );
  const VH = 180;
  const SH = 140;
  const ySpeed = (v: number) => SH - 18 - (v / maxSpeed) * (SH - 28);
  return (
    <>
      <p data-testid="flow-latest" style={latest.congested ? { fontWeight: 600, color: RED } : undefined}>
        {formatDateTime(latest.bucket, lang)}: {latest.vehicles} {x('flow.vehiclesShort')}
        {latest.speedKmh !== null && `, ${latest.speedKmh} ${x('flow.kmh')}`} ({x('flow.usual')} {latest.usual?.vehicles ?? '—'}
        {latest.usual?.speedKmh != null && `, ${latest.usual.speedKmh} ${x('flow.kmh')}`}){latest.congested ? ` — ${x('flow.congested')}` : ''}
      </p>
      <div style={{ fontSize: '0.85rem', margin: '0.25rem 0' }}>
        {legend(BLUE, x('flow.vehicles'))}
        {legend(USUAL, x('flow.usual'), true)}
        {legend(RED, x('flow.congested'))}
      </div>
      {chart(
        vehiclesBox,
        x('flow.vehicles'),
        VH,
        maxVehicles,
        shown.map((b) => {
          const h = (b.vehicles / maxVehicles) * (VH - 28);
          const u = b.usual ? (b.usual.vehicles / maxVehicles) * (VH - 28) : null;
          const bx = xOf(Date.parse(b.bucket));
          return (
            <g key={b.bucket}>
              <title>
                {formatDateTime(b.bucket, lang)}: {b.vehicles} ({x('flow.usual')} {b.usual?.vehicles ?? '—'}; {b.speedKmh ?? '—'} {x('flow.kmh')}){b.congested ? ` — ${x('flow.congested')}` : ''}
              </title>
              <rect x={bx} y={VH - 18 - h} width={SLOT_W - 1} height={h} fill={b.congested ? RED : BLUE} />
              {u !== null && <rect x={bx - 1} y={VH - 18 - u} width={SLOT_W + 1} height={2} fill={USUAL} />}
            </g>
          );
        }),
      )}
      {chart(
        speedBox,
        x('flow.speed'),
        SH,
        maxSpeed,
        shown.map((b) => {
          const bx = xOf(Date.parse(b.bucket));
          return (
            <g key={b.bucket}>
              {b.usual?.speedKmh != null && <rect x={bx - 1} y={ySpeed(b.usual.speedKmh)} width={SLOT_W + 1} height={2} fill={USUAL} />}
              {b.speedKmh !== null && <circle cx={bx + SLOT_W / 2} cy={ySpeed(b.speedKmh)} r={2.5} fill={b.congested ? RED : '#16a34a'} />}
            </g>
          );
        }),
      )}
    </>
  );
}
