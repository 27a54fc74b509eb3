import { describe, expect, test } from 'vitest';
import { normalizeIncident, normalizeIncidentDetail, normalizeMine, normalizeRecommendations, normalizeUnit, queueOrder } from './dispatch.ts';

const sla = { dispatchDueAt: '2026-11-24T10:01:00.000Z', onSceneDueAt: '2026-11-24T10:10:00.000Z', dispatchOverdue: false, onSceneOverdue: false };
const incident = (over: Record<string, unknown> = {}) => ({
  id: 'i1',
  status: 'TRIAGED',
  priority: 'P2',
  category: 'theft',
  location: { lon: 76.9286, lat: 43.2567 },
  kato: '751110000',
  address: null,
  description: null,
  receivedAt: '2026-11-24T10:00:00.000Z',
  sla,
  ...over,
});

describe('normalizeIncident', () => {
  test('the due time follows the stage: dispatch while waiting, on scene once dispatched, none on scene', () => {
    expect(normalizeIncident(incident()).dueAt).toBe(sla.dispatchDueAt);
    expect(normalizeIncident(incident({ status: 'PENDING' })).dueAt).toBe(sla.dispatchDueAt);
    expect(normalizeIncident(incident({ status: 'DISPATCHED' })).dueAt).toBe(sla.onSceneDueAt);
    expect(normalizeIncident(incident({ status: 'EN_ROUTE' })).dueAt).toBe(sla.onSceneDueAt);
    expect(normalizeIncident(incident({ status: 'ON_SCENE' })).dueAt).toBeNull();
    expect(normalizeIncident(incident({ sla: undefined, dueAt: '2026-11-24T11:00:00.000Z' })).dueAt).toBe('2026-11-24T11:00:00.000Z');
  });

  test('accepts the brief’s names too (createdAt, GeoJSON point) and defaults reportIds', () => {
    const i = normalizeIncident({ id: 'x', status: 'RECEIVED', priority: 'P1', category: 'assault', createdAt: '2026-01-01T00:00:00Z', location: { type: 'Point', coordinates: [71.4, 51.1] } });
    expect(i.receivedAt).toBe('2026-01-01T00:00:00Z');
    expect(i.location).toEqual({ lon: 71.4, lat: 51.1 });
    expect(i.reportIds).toEqual([]);
  });
});

test('the queue: most urgent first, then oldest first', () => {
  const items = [
    normalizeIncident(incident({ id: 'p3', priority: 'P3', receivedAt: '2026-11-24T09:00:00Z' })),
    normalizeIncident(incident({ id: 'p1-new', priority: 'P1', receivedAt: '2026-11-24T10:05:00Z' })),
    normalizeIncident(incident({ id: 'p1-old', priority: 'P1', receivedAt: '2026-11-24T10:00:00Z' })),
  ];
  expect(items.sort(queueOrder).map((i) => i.id)).toEqual(['p1-old', 'p1-new', 'p3']);
});

test('timeline entries: status steps by `to`, other entries by kind, with the unit from data', () => {
  const d = normalizeIncidentDetail(
    incident({
      reportIds: ['r1'],
      timeline: [
        { seq: 1, at: 't1', actor: 'system', kind: 'status', from: null, to: 'RECEIVED', note: null, data: {} },
        { seq: 2, at: 't2', actor: 'user:operator', kind: 'assignment', from: null, to: null, note: null, data: { callSign: 'ALM-101' } },
        { seq: 3, at: 't3', actor: 'user:officer', kind: 'status', from: 'ON_SCENE', to: 'CLEARED', note: 'done', data: {} },
      ],
      assignments: [{ id: 'a1', unitId: 'u1', callSign: 'ALM-101', assignedAt: 't2', releasedAt: 't3', recommendationRank: 1 }],
      premiseFlags: [{ id: 'f1', kind: 'weapons', note: 'rifle', distanceM: 12 }],
    }),
  );
  expect(d.timeline.map((e) => [e.what, e.isStatus, e.callSign, e.note])).toEqual([
    ['RECEIVED', true, null, null],
    ['assignment', false, 'ALM-101', null],
    ['CLEARED', true, null, 'done'],
  ]);
  expect(d.assignments[0]).toMatchObject({ unitId: 'u1', released: true, recommendationRank: 1 });
  expect(d.premiseFlags[0]).toMatchObject({ kind: 'weapons', note: 'rifle' });
  expect(d.reportIds).toEqual(['r1']);
});

test('units: the last position, its time and battery, and the panic flag', () => {
  const u = normalizeUnit({
    id: 'u1',
    callSign: 'ALM-101',
    type: 'PATROL_CAR',
    status: 'AVAILABLE',
    flags: ['PANIC'],
    stale: false,
    lastPosition: { lon: 76.9, lat: 43.2, speed: null, heading: null, battery: 87, at: '2026-11-24T10:00:00Z' },
  });
  expect(u).toMatchObject({ position: { lon: 76.9, lat: 43.2 }, lastSeenAt: '2026-11-24T10:00:00Z', battery: 87, panic: true });
  expect(normalizeUnit({ id: 'u2', callSign: 'X', status: 'BUSY', lastPosition: null }).position).toBeNull();
});

test('recommendations: server names (etaS, distanceM) and the list-wide method', () => {
  const r = normalizeRecommendations({
    method: 'great_circle',
    items: [{ rank: 1, unitId: 'u1', callSign: 'ALM-101', type: 'PATROL_CAR', distanceM: 1200, etaS: 95, straightLineM: 900, reason: 'closest' }],
  });
  expect(r).toEqual([
    { rank: 1, unitId: 'u1', callSign: 'ALM-101', type: 'PATROL_CAR', etaSeconds: 95, distanceMeters: 1200, method: 'great_circle', reason: 'closest' },
  ]);
});

test('the tablet’s task: `{unit, incident}` as the API sends it, or `{unit, assignment: {incident}}`', () => {
  const unit = { id: 'u1', callSign: 'ALM-101', status: 'DISPATCHED', lastPosition: null };
  const a = normalizeMine({ unit, incident: incident({ status: 'DISPATCHED', premiseFlags: [{ kind: 'weapons', note: 'x' }] }) });
  expect(a.assignment?.incident).toMatchObject({ id: 'i1', status: 'DISPATCHED', premiseFlags: [{ kind: 'weapons', note: 'x' }] });
  const b = normalizeMine({ unit, assignment: { incident: incident() } });
  expect(b.assignment?.incident.id).toBe('i1');
  expect(normalizeMine({ unit, incident: null }).assignment).toBeNull();
  // The crew is told when the place is only approximate.
  expect(normalizeMine({ unit, incident: incident({ locationPrecision: 'street' }) }).assignment?.incident.locationPrecision).toBe('street');
  expect(a.assignment?.incident.locationPrecision).toBe('point');
  expect(normalizeMine({ unit: null, incident: null }).unit).toBeNull();
});

test('the tablet’s calls for help: other crews’ panics that named this unit, with the place; a broken one is left out', () => {
  const unit = { id: 'u2', callSign: 'ALM-202', status: 'AVAILABLE', lastPosition: null };
  const call = { alertId: 'a1', incidentId: 'i9', unitId: 'u1', callSign: 'ALM-101', location: { lon: 76.9286, lat: 43.2567 }, address: null, raisedAt: '2026-11-24T10:00:00.000Z' };
  const m = normalizeMine({ unit, incident: null, assist: [call, { alertId: 'a2', incidentId: 'i8', location: { lon: 'x' } }] });
  expect(m.assist).toEqual([{ alertId: 'a1', incidentId: 'i9', callSign: 'ALM-101', location: { lon: 76.9286, lat: 43.2567 }, address: null, raisedAt: '2026-11-24T10:00:00.000Z' }]);
  expect(normalizeMine({ unit, incident: incident({ status: 'DISPATCHED' }), assist: [call] }).assist).toHaveLength(1);
  expect(normalizeMine({ unit, incident: null }).assist).toEqual([]);
});

describe('dispatchApi lists', () => {
  test('the console reads every page of incidents and units, not only the first 200', async () => {
    const { createServer } = await import('node:http');
    const { dispatchApi } = await import('./dispatch.ts');
    // 450 incidents served 200 at a time with a cursor, as the API pages them.
    const all = Array.from({ length: 450 }, (_, i) => incident({ id: `i${i}` }));
    const asked: string[] = [];
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      asked.push(`${url.pathname}?${url.searchParams}`);
      const from = Number(url.searchParams.get('cursor') ?? 0);
      const limit = Number(url.searchParams.get('limit'));
      const items = url.pathname === '/api/v1/incidents' ? all.slice(from, from + limit) : [];
      const next = from + limit < (url.pathname === '/api/v1/incidents' ? all.length : 0) ? String(from + limit) : null;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ items, nextCursor: next }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const realFetch = globalThis.fetch;
    // The browser resolves the API's relative paths against the page; here, against the test server.
    globalThis.fetch = ((input: string, init?: RequestInit) => realFetch(`${base}${input}`, init)) as typeof fetch;
    try {
      const incidents = await dispatchApi.incidents();
      expect(incidents.map((i) => i.id)).toEqual(all.map((i) => i.id));
      expect(asked.filter((a) => a.startsWith('/api/v1/incidents'))).toEqual(['/api/v1/incidents?limit=200', '/api/v1/incidents?limit=200&cursor=200', '/api/v1/incidents?limit=200&cursor=400']);
      expect(await dispatchApi.units()).toEqual([]);
    } finally {
      globalThis.fetch = realFetch;
      server.close();
    }
  });
});
