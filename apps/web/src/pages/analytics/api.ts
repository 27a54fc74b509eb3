import { api } from '../../lib/api.ts';

/** The analytics API as the screens use it (`modules/analytics/routes.ts`). */
export interface StatLine {
  count: number;
  previous: number;
  change: number;
  changePercent: number | null;
  cleared: number;
  withOutcome: number;
  clearanceRate: number | null;
  ratePer10k: number | null;
}

export type GroupBy = 'category' | 'region' | 'district' | 'month';

export interface Statistics {
  period: { from: string; to: string };
  previousPeriod: { from: string; to: string };
  groupBy: GroupBy;
  total: StatLine;
  rows: (StatLine & { key: string; name: string })[];
  summary: { ru: string; kk: string; en: string };
  population: { version: string; source: string };
}

export interface StatisticsQuery {
  from: string;
  to: string;
  groupBy: GroupBy;
  kato?: string;
  category?: string;
}

export const METHODS = ['last-period', 'kde', 'prospective', 'combined', 'sepp'] as const;
export type Method = (typeof METHODS)[number];

export interface HotspotMap {
  type: 'FeatureCollection';
  properties: { method: Method; horizon: string; grid: 'square' | 'h3'; cell: number | null; h3Res: number | null; window: { from: string; to: string }; trainEvents: number };
  features: { type: 'Feature'; id: string; geometry: { type: 'Polygon'; coordinates: [number, number][][] }; properties: { id: string; rank: number; score: number; areaM2?: number } }[];
}

export interface Evaluation {
  window: { from: string; to: string };
  trainEvents: number;
  testEvents: number;
  grid: 'square' | 'h3';
  h3Res: number | null;
  studyCells: number;
  studyAreaKm2: number;
  methods: { method: Method; pai: number; pei: number; hitRate: number; captured: number; best: number; total: number; cells: number; areaFraction: number; ms: number }[];
  bestOverKde: { method: Method; ratio: number } | null;
  /** Rows in the file, and those left out for want of a usable time or place (the first five named). */
  rows: number;
  skipped: { count: number; first: { row: number; column: string; code: string }[] };
}

const query = (q: Record<string, string | number | undefined>) =>
  new URLSearchParams(Object.entries(q).flatMap(([k, v]) => (v === undefined || v === '' ? [] : [[k, String(v)]]))).toString();

export const analyticsApi = {
  statistics: (q: StatisticsQuery, signal?: AbortSignal) => api<Statistics>(`/api/v1/analytics/statistics?${query({ ...q })}`, { signal }),
  statisticsCsv: (q: StatisticsQuery) => api<string>(`/api/v1/analytics/statistics?${query({ ...q, format: 'csv' })}`, { responseType: 'text' }),
  hotspots: (q: { at?: string; horizon: string; method: Method; cell?: number; grid?: 'h3'; h3Res?: number; coverage: number; category?: string }, signal?: AbortSignal) =>
    api<HotspotMap>(`/api/v1/analytics/hotspots?${query(q)}`, { signal }),
  evaluate: (body: {
    format: 'csv' | 'geojson';
    data: string;
    mapping: { time: string; x: string; y: string; category?: string };
    crs: string;
    category?: string;
    trainEnd: string;
    horizon: string;
    cell?: number;
    grid?: 'h3';
    h3Res?: number;
    coverage: number;
  }) => api<Evaluation>('/api/v1/analytics/forecast/evaluate', { method: 'POST', body }),
};

/** The first and the last day (exclusive) of a preset period ending today (UTC). */
export function presetPeriod(preset: 'ytd' | 'year' | 'quarter' | 'month', now = new Date()): { from: string; to: string } {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const tomorrow = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  if (preset === 'ytd') return { from: `${y}-01-01`, to: day(tomorrow) };
  if (preset === 'year') return { from: `${y - 1}-01-01`, to: `${y}-01-01` };
  if (preset === 'quarter') return { from: day(new Date(Date.UTC(y, m - 2, 1))), to: day(tomorrow) };
  return { from: day(new Date(Date.UTC(y, m, 1))), to: day(tomorrow) };
}

export interface ResponseKpi {
  priority: string;
  incidents: number;
  dispatched: number;
  dispatchMedianS: number | null;
  dispatchP90S: number | null;
  dispatchWithinTarget: number | null;
  onScene: number;
  onSceneMedianS: number | null;
  onSceneP90S: number | null;
  onSceneWithinTarget: number | null;
  targets: { dispatchS: number; onSceneS: number } | null;
}

export interface Kpis {
  period: { from: string; to: string };
  response: ResponseKpi[];
  violations: { confirmed: number; rejected: number };
  fraudPrevented: { calls: number; transactions: number };
}

export interface PatrolPlan {
  type: 'FeatureCollection';
  properties: { planId: string; startAt: string; endAt: string; visits: number; hotspotsVisited: number; revisitsWithinTwoHours: number | null; travel: string };
  features: (
    | { type: 'Feature'; geometry: { type: 'LineString'; coordinates: [number, number][] }; properties: { kind: 'route'; unitId: string; stops: number; returnAt: string } }
    | { type: 'Feature'; geometry: { type: 'Point'; coordinates: [number, number] }; properties: { kind: 'stop'; unitId: string; order: number; arriveAt: string; departAt: string; dwellMinutes: number } }
  )[];
}

export const kpiApi = {
  kpis: (q: { from?: string; to?: string }, signal?: AbortSignal) => api<Kpis>(`/api/v1/analytics/kpi?${query(q)}`, { signal }),
  plan: (body: { method: Method; horizon: string; candidates: number; shiftMinutes: number; units: { id: string; depot: { lon: number; lat: number } }[] }) =>
    api<PatrolPlan>('/api/v1/analytics/patrol-plans', { method: 'POST', body }),
};
