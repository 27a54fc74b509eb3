import { jurisdictionFilter } from '../../packages/kernel/src/auth/jurisdiction.ts';
import { Problem } from '../../packages/kernel/src/errors.ts';
import { newId } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import type { CommandContext } from '../../packages/kernel/src/outbox.ts';
import { horizonEnd, parseHorizon } from './domain/backtest.ts';
import { type Crs, localPlanar } from './domain/crs.ts';
import { cellCentre, type Grid, GridTooLarge, gridCovering, hexGridCovering, hexRing, isHex, MS_PER_DAY, type Point, studyArea } from './domain/grid.ts';
import { cellsAtCoverage, topCells } from './domain/metrics.ts';
import { forecast, type Method } from './domain/methods.ts';
import { adherence, type PlannedVisit, planPatrols, straightLine } from './domain/patrol.ts';
import { roadTravelMinutes } from './domain/road-travel.ts';
import { loadPatrolRoads } from './roads.ts';

/**
 * Forecasts over the incidents stored in the module (imports and the platform's own), as GeoJSON for the map and
 * the officers' tablets: hotspot cells, and patrol plans over them. Training always looks at the year before `at`.
 */
export interface HotspotQuery {
  at: number;
  /** Without a KATO code: the region with the most incidents in the training window. */
  horizon: string;
  method: Method;
  /** Square cells of `cell` metres (the default), or H3 hexagons at resolution `h3Res`. */
  grid?: 'square' | 'h3';
  cell: number;
  h3Res?: number;
  /** Share of the study area flagged (the map), or `cells` for a fixed number (patrol candidates). */
  coverage?: number;
  cells?: number;
  category?: string;
  kato?: string;
  jurisdictions: readonly string[];
}

export interface HotspotCell {
  id: string;
  rank: number;
  /** Expected crimes in the horizon (SEPP, KDE) or the method's score. */
  score: number;
  centre: { lon: number; lat: number };
  ring: [number, number][];
}

interface Forecasted {
  cells: HotspotCell[];
  crs: Crs;
  grid: Grid;
  window: { from: string; to: string };
  trainEvents: number;
}

async function trainingEvents(kernel: Kernel, q: HotspotQuery): Promise<{ lon: number; lat: number; t: number }[]> {
  const params: unknown[] = [new Date(q.at - 365 * MS_PER_DAY), new Date(q.at)];
  const where = ['occurred_at >= $1', 'occurred_at < $2'];
  const [jur, jp] = jurisdictionFilter("coalesce(district_kato, region_kato, '')", q.jurisdictions, params.length + 1);
  where.push(jur);
  params.push(...jp);
  if (q.category) {
    params.push(q.category);
    where.push(`category = $${params.length}`);
  }
  if (q.kato) {
    params.push(q.kato);
    where.push(/^\d{2}0000000$/.test(q.kato) ? `region_kato = $${params.length}` : `district_kato = $${params.length}`);
  }
  const rows = await kernel.db.query<{ lon: number; lat: number; at: Date }>(`select lon, lat, occurred_at as at from analytics_incident where ${where.join(' and ')}`, params);
  return rows.map((r) => ({ lon: r.lon, lat: r.lat, t: r.at.getTime() / MS_PER_DAY }));
}

/** The grid a forecast may use: a city or a region at 150 m, not the whole country. */
const MAX_CELLS = 4_000_000;

/** The region with the most incidents in the training window (the map's default: a forecast is made for one area). */
async function busiestRegion(kernel: Kernel, q: HotspotQuery): Promise<string | undefined> {
  const params: unknown[] = [new Date(q.at - 365 * MS_PER_DAY), new Date(q.at)];
  const [jur, jp] = jurisdictionFilter("coalesce(district_kato, region_kato, '')", q.jurisdictions, 3);
  params.push(...jp);
  const cat = q.category ? ` and category = $${params.push(q.category)}` : '';
  const [top] = await kernel.db.query<{ region_kato: string | null }>(
    `select region_kato from analytics_incident where occurred_at >= $1 and occurred_at < $2 and ${jur}${cat} group by 1 order by count(*) desc limit 1`,
    params,
  );
  return top?.region_kato ?? undefined;
}

export async function forecastHotspots(kernel: Kernel, query: HotspotQuery): Promise<Forecasted & { kato: string | null }> {
  const horizon = parseHorizon(query.horizon);
  if (!horizon) throw Problem.validation([{ path: 'querystring.horizon', code: 'invalid_format', params: { format: '7d | 14d | 1m | 2m | 3m' } }]);
  const q = { ...query, kato: query.kato ?? (await busiestRegion(kernel, query)) };
  const raw = await trainingEvents(kernel, q);
  if (raw.length === 0) throw new Problem('analytics.no_incidents', { at: new Date(q.at).toISOString() }, [], 404);
  const lon0 = raw.reduce((a, e) => a + e.lon, 0) / raw.length;
  const lat0 = raw.reduce((a, e) => a + e.lat, 0) / raw.length;
  const crs = localPlanar(lon0, lat0);
  const events: Point[] = raw.map((e) => {
    const [x, y] = crs.fromLonLat(e.lon, e.lat);
    return { x, y, t: e.t };
  });
  let grid: Grid;
  if (q.grid === 'h3') {
    try {
      grid = hexGridCovering(events, q.h3Res ?? 9, crs);
    } catch (e) {
      if (e instanceof GridTooLarge) throw new Problem('analytics.area_too_large', { cells: e.cells, max: e.max }, [], 400);
      throw e;
    }
  } else {
    const square = gridCovering(events, q.cell, q.cell);
    if (square.nx * square.ny > MAX_CELLS) throw new Problem('analytics.area_too_large', { cells: square.nx * square.ny, max: MAX_CELLS }, [], 400);
    grid = square;
  }
  const trainEnd = q.at / MS_PER_DAY;
  const to = horizonEnd(q.at, horizon);
  const scores = forecast(q.method, { grid, events, trainEnd, horizonDays: to / MS_PER_DAY - trainEnd });
  const mask = studyArea(grid, events, Math.max(400, grid.cell));
  let studyCells = 0;
  for (const m of mask) studyCells += m;
  const k = q.cells ?? cellsAtCoverage(studyCells, q.coverage ?? 0.01);
  const chosen = Array.from(topCells(scores, mask, k)).filter((c) => scores[c] > 0);
  const half = q.cell / 2;
  const cells = chosen.map((c, i) => {
    const { x, y } = cellCentre(grid, c);
    const [lon, lat] = crs.toLonLat(x, y);
    // A hexagon's outline and its H3 index as the id.
    if (isHex(grid)) return { id: grid.ids[c], rank: i + 1, score: scores[c], centre: { lon, lat }, ring: hexRing(grid, c) };
    const ring = [
      [x - half, y - half],
      [x + half, y - half],
      [x + half, y + half],
      [x - half, y + half],
      [x - half, y - half],
    ].map(([px, py]) => crs.toLonLat(px, py).map((v) => Math.round(v * 1e6) / 1e6) as [number, number]);
    return { id: `c${c}`, rank: i + 1, score: scores[c], centre: { lon, lat }, ring };
  });
  return { cells, crs, grid, window: { from: new Date(q.at).toISOString(), to: new Date(to).toISOString() }, trainEvents: events.length, kato: q.kato ?? null };
}

export function hotspotsGeoJson(f: Forecasted & { kato: string | null }, q: HotspotQuery) {
  return {
    type: 'FeatureCollection' as const,
    properties: {
      method: q.method,
      horizon: q.horizon,
      grid: isHex(f.grid) ? 'h3' : 'square',
      cell: isHex(f.grid) ? null : q.cell,
      h3Res: isHex(f.grid) ? f.grid.res : null,
      kato: f.kato,
      window: f.window,
      trainEvents: f.trainEvents,
    },
    features: f.cells.map((c) => ({
      type: 'Feature' as const,
      id: c.id,
      geometry: { type: 'Polygon' as const, coordinates: [c.ring] },
      properties: { id: c.id, rank: c.rank, score: Math.round(c.score * 1e4) / 1e4, ...(isHex(f.grid) ? { areaM2: Math.round(f.grid.areas[f.grid.index.get(c.id)!]) } : {}) },
    })),
  };
}

export interface PatrolRequest extends Omit<HotspotQuery, 'coverage' | 'cells'> {
  candidates: number;
  units: { id: string; depot: { lon: number; lat: number } }[];
  shiftMinutes: number;
  seed?: number;
}

const iso = (ms: number) => new Date(Math.round(ms)).toISOString();

/** A plan stored for adherence, and as GeoJSON for the tablets: a route line and the stops of every unit. */
export async function planPatrol(kernel: Kernel, ctx: CommandContext, r: PatrolRequest) {
  const f = await forecastHotspots(kernel, { ...r, cells: r.candidates });
  const hotspots = f.cells.map((c) => {
    const [x, y] = f.crs.fromLonLat(c.centre.lon, c.centre.lat);
    return { id: c.id, x, y, risk: c.score };
  });
  const units = r.units.map((u) => {
    const [x, y] = f.crs.fromLonLat(u.depot.lon, u.depot.lat);
    return { id: u.id, depot: { x, y } };
  });
  const graph = loadPatrolRoads(kernel);
  const straight = straightLine();
  const road = graph
    ? roadTravelMinutes<{ x: number; y: number }>(
        graph,
        [...hotspots, ...units.map((u) => u.depot)].map((p) => {
          const [lon, lat] = f.crs.toLonLat(p.x, p.y);
          return { place: p, lon, lat };
        }),
        straight,
      )
    : null;
  const plan = planPatrols(hotspots, units, {
    shiftMinutes: r.shiftMinutes,
    seed: r.seed ?? Math.floor(Math.random() * 2 ** 31),
    travelMinutes: road?.travel ?? straight,
  });
  const byId = new Map(f.cells.map((c) => [c.id, c]));
  const start = r.at;
  const visits: PlannedVisit[] = [];
  const features: unknown[] = [];
  for (const route of plan.routes) {
    const unit = r.units.find((u) => u.id === route.unitId)!;
    const line: [number, number][] = [[unit.depot.lon, unit.depot.lat]];
    route.stops.forEach((s, i) => {
      const c = byId.get(s.hotspotId)!;
      line.push([c.centre.lon, c.centre.lat]);
      const from = start + s.arrive * 60_000;
      const to = start + s.depart * 60_000;
      visits.push({ unitId: route.unitId, hotspotId: s.hotspotId, lon: c.centre.lon, lat: c.centre.lat, from, to });
      features.push({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [c.centre.lon, c.centre.lat] },
        properties: {
          kind: 'stop',
          unitId: route.unitId,
          order: i + 1,
          hotspotId: s.hotspotId,
          visit: s.kind,
          arriveAt: iso(from),
          departAt: iso(to),
          dwellMinutes: Math.round(s.depart - s.arrive),
          risk: Math.round(s.value * 1e4) / 1e4,
        },
      });
    });
    line.push([unit.depot.lon, unit.depot.lat]);
    features.push({
      type: 'Feature',
      geometry: { type: 'LineString', coordinates: line },
      properties: {
        kind: 'route',
        unitId: route.unitId,
        stops: route.stops.length,
        circuit: route.circuit,
        circuitMinutes: Math.round(route.circuitMinutes * 10) / 10,
        returnAt: iso(start + route.returnAt * 60_000),
        risk: Math.round(route.value * 1e4) / 1e4,
      },
    });
  }
  const id = newId();
  const endAt = start + r.shiftMinutes * 60_000;
  const collection = {
    type: 'FeatureCollection' as const,
    properties: {
      planId: id,
      startAt: iso(start),
      endAt: iso(endAt),
      method: r.method,
      window: f.window,
      visits: plan.visits,
      hotspotsVisited: plan.hotspotsVisited,
      hotspotsInCircuits: plan.hotspotsInCircuits,
      revisitsWithinTwoHours: plan.revisitsOnTime,
      longestRevisitGapMinutes: plan.longestRevisitGap === null ? null : Math.round(plan.longestRevisitGap * 10) / 10,
      /** Revisits not made within two hours, and why (`travel`: came back late; `shift_end`: due after the unit had to head back). */
      revisitMisses: plan.revisitMisses.map((m) => ({
        unitId: m.unitId,
        hotspotId: m.hotspotId,
        lastArriveAt: iso(start + m.lastArrive * 60_000),
        dueAt: iso(start + m.due * 60_000),
        nextArriveAt: m.nextArrive === null ? null : iso(start + m.nextArrive * 60_000),
        reason: m.reason,
      })),
      /** Candidates in no unit's circuit (visited at most once, in a unit's slack): every circuit near enough full, or out of every unit's reach. */
      outsideCircuits: { circuitsFull: plan.outsideCircuits.filter((o) => o.reason === 'circuits_full').length, outOfReach: plan.outsideCircuits.filter((o) => o.reason === 'out_of_reach').length },
      travel: road ? `road network (${road.snapped} of ${hotspots.length + units.length} places on it; the rest straight line)` : 'straight line × 1.3 at 25 km/h',
    },
    features,
  };
  await kernel.commands.run(ctx, async (uow) => {
    await uow.tx.query('insert into analytics_patrol_plan (id, start_at, end_at, method, visits, geojson, created_by, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8)', [
      id,
      new Date(start),
      new Date(endAt),
      r.method,
      JSON.stringify(visits),
      JSON.stringify(collection),
      ctx.actor,
      uow.now,
    ]);
    await uow.tx.query(
      'insert into analytics_patrol_unit (plan_id, unit_id, start_at, end_at) select $1, u, $2, $3 from unnest($4::text[]) as u',
      [id, new Date(start), new Date(endAt), r.units.map((u) => u.id)],
    );
    await uow.audit({ action: 'analytics.patrol_planned', entity: 'analytics_patrol_plan', entityId: id, jurisdiction: r.kato ?? null, data: { units: r.units.length, visits: visits.length } });
  });
  return collection;
}

/** The share of a plan's visits made with enough dwell, per unit, from the telemetry stored for it. */
export async function planAdherence(kernel: Kernel, planId: string) {
  const [plan] = await kernel.db.query<{ visits: PlannedVisit[]; start_at: Date; end_at: Date }>('select visits, start_at, end_at from analytics_patrol_plan where id = $1', [planId]);
  if (!plan) throw Problem.notFound();
  const samples = await kernel.db.query<{ unit_id: string; lon: number; lat: number; at: Date }>(
    `select unit_id, lon, lat, at from analytics_unit_position
     where unit_id in (select unit_id from analytics_patrol_unit where plan_id = $1) and at >= $2 and at <= $3 order by at`,
    [planId, new Date(plan.start_at.getTime() - 3_600_000), new Date(plan.end_at.getTime() + 3_600_000)],
  );
  const r = adherence(plan.visits, samples.map((s) => ({ unitId: s.unit_id, lon: s.lon, lat: s.lat, at: s.at.getTime() })));
  const made = r.units.reduce((a, u) => a + u.made, 0);
  const planned = r.units.reduce((a, u) => a + u.planned, 0);
  return { planId, planned, made, share: planned ? made / planned : null, units: r.units, visits: r.visits.map((v) => ({ ...v, from: iso(v.from), to: iso(v.to) })) };
}

/** A stored plan as GeoJSON; with `unitId`, only that unit's route and stops (what its tablet shows). */
export async function patrolPlanGeoJson(kernel: Kernel, planId: string, unitId?: string) {
  const [row] = await kernel.db.query<{ geojson: { properties: Record<string, unknown>; features: { properties: { unitId: string } }[] } }>(
    'select geojson from analytics_patrol_plan where id = $1',
    [planId],
  );
  if (!row) throw Problem.notFound();
  const features = unitId ? row.geojson.features.filter((f) => f.properties.unitId === unitId) : row.geojson.features;
  if (unitId && features.length === 0) throw Problem.notFound();
  return { ...row.geojson, features };
}

/**
 * The route a unit patrols now: its stops in the latest plan whose shift covers `at`, as GeoJSON (what its tablet
 * shows between tasks); `plan: null` when no plan covers the unit now.
 */
export async function currentPatrolRoute(kernel: Kernel, unitId: string, at: Date) {
  const [row] = await kernel.db.query<{ plan_id: string; start_at: Date; end_at: Date }>(
    `select plan_id, start_at, end_at from analytics_patrol_unit
     where unit_id = $1 and start_at <= $2 and end_at > $2 order by start_at desc limit 1`,
    [unitId, at.toISOString()],
  );
  if (!row) return { plan: null, route: null };
  return { plan: { id: row.plan_id, startAt: row.start_at.toISOString(), endAt: row.end_at.toISOString() }, route: await patrolPlanGeoJson(kernel, row.plan_id, unitId) };
}
