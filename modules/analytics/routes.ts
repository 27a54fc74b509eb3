import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { userOf } from '../../apps/server/src/http/authenticate.ts';
import { anyOf, queryNumber, staff } from '../../apps/server/src/http/context.ts';
import { actorOf } from '../../packages/kernel/src/auth/principal.ts';
import { Problem } from '../../packages/kernel/src/errors.ts';
import { isHex } from './domain/grid.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { METHODS, type Method } from './domain/methods.ts';
import { toCsv } from './domain/statistics.ts';
import { kpis } from './kpi.ts';
import { currentPatrolRoute, forecastHotspots, hotspotsGeoJson, patrolPlanGeoJson, planAdherence, planPatrol } from './hotspots.ts';
import { evaluateForecast, type GroupBy, importIncidents, statistics } from './service.ts';

const tags = ['analytics'];
const ctxOf = (req: FastifyRequest) => ({ actor: actorOf(req.principal), requestId: req.id });

const Mapping = z.strictObject({
  time: z.string().min(1).max(200),
  x: z.string().min(1).max(200),
  y: z.string().min(1).max(200),
  category: z.string().min(1).max(200).optional(),
  outcome: z.string().min(1).max(200).optional(),
});
const Crs = z.string().trim().min(1).max(40).default('EPSG:4326');
const CrsDef = z.string().trim().min(1).max(2000).optional();
const Data = z.union([z.string().max(64 * 1024 * 1024), z.record(z.string(), z.unknown())]);
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const Kato = z.string().regex(/^\d{9}$/);
const Horizon = z.string().regex(/^\d{1,3}[dwm]$/);

const ImportBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  format: z.enum(['csv', 'geojson']),
  data: Data,
  mapping: Mapping,
  crs: Crs,
  crsDef: CrsDef,
});

const EvaluateBody = z.strictObject({
  format: z.enum(['csv', 'geojson']),
  data: Data,
  mapping: Mapping,
  crs: Crs,
  crsDef: CrsDef,
  category: z.string().min(1).max(200).optional(),
  trainEnd: Day,
  horizon: Horizon,
  grid: z.enum(['square', 'h3']).default('square').describe('`square`: cells of `cell` metres (required); `h3`: H3 hexagons at `h3Res` (default 9 ≈ 0.105 km²), `cell` refused'),
  cell: z.number().min(10).max(10_000).optional(),
  h3Res: z.number().int().min(0).max(15).optional(),
  coverage: z.number().gt(0).max(1),
  methods: z.array(z.enum(METHODS)).min(1).max(METHODS.length).optional(),
});

/** Square cells (`cell`, default 150 m) or H3 hexagons (`grid: h3`, `h3Res`, default 9): not both. */
function gridOf(q: { grid: 'square' | 'h3'; cell?: number; h3Res?: number }, where: 'body' | 'querystring') {
  if (q.grid === 'h3' && q.cell !== undefined) throw Problem.validation([{ path: `${where}.cell`, code: 'cell_or_h3' }]);
  if (q.grid === 'square' && q.h3Res !== undefined) throw Problem.validation([{ path: `${where}.h3Res`, code: 'cell_or_h3' }]);
  return q.grid === 'h3' ? { grid: 'h3' as const, cell: 0, h3Res: q.h3Res ?? 9 } : { grid: 'square' as const, cell: q.cell ?? 150 };
}

const StatLineOut = z.object({
  count: z.number(),
  previous: z.number(),
  change: z.number(),
  changePercent: z.number().nullable(),
  cleared: z.number(),
  withOutcome: z.number(),
  clearanceRate: z.number().nullable(),
  ratePer10k: z.number().nullable(),
});

const dayMs = (d: string) => Date.parse(`${d}T00:00:00Z`);

export async function analyticsRoutes(app: FastifyInstance, kernel: Kernel) {
  if (!app.hasContentTypeParser('text/csv')) {
    app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 64 * 1024 * 1024 }, (_req, body, done) => done(null, body));
  }

  app.post(
    '/api/v1/analytics/imports',
    {
      config: { access: staff('analytics:write') },
      bodyLimit: 64 * 1024 * 1024,
      schema: {
        tags,
        summary: 'Import historical incidents from CSV or GeoJSON by a column mapping and a CRS; all or nothing',
        description:
          '`data` is the CSV text (header row first) or a GeoJSON FeatureCollection of points (its columns are `lon`, `lat` and the properties). ' +
          '`mapping` names the columns: time, x (longitude or easting), y (latitude or northing), optional category (Criminal Code article) and outcome. ' +
          '`crs`: EPSG:4326 (default), 3857, 26971, 27700, 32639–32645, 28409–28415, or any other with its proj4 definition in `crsDef`. ' +
          'One bad row refuses the file, with each bad row named (`body.data.row.17.time`) and nothing stored. Each incident is placed in its KATO region and district.',
        body: ImportBody,
        response: { 201: z.object({ id: z.string(), name: z.string(), rows: z.number(), placed: z.number(), from: z.string(), to: z.string() }) },
      },
    },
    async (req, reply) => {
      const body = req.body as z.infer<typeof ImportBody>;
      return reply.code(201).send(await importIncidents(kernel, ctxOf(req), body));
    },
  );

  app.get(
    '/api/v1/analytics/imports',
    {
      config: { access: staff('analytics:read') },
      schema: {
        tags,
        summary: 'Imported files, newest first',
        response: {
          200: z.object({ items: z.array(z.object({ id: z.string(), name: z.string(), format: z.string(), crs: z.string(), rows: z.number(), createdBy: z.string(), createdAt: z.string() })) }),
        },
      },
    },
    async () => {
      const rows = await kernel.db.query<{ id: string; name: string; format: string; crs: string; rows: number; created_by: string; created_at: Date }>(
        'select id, name, format, crs, rows, created_by, created_at from analytics_import order by created_at desc limit 200',
      );
      return { items: rows.map((r) => ({ id: r.id, name: r.name, format: r.format, crs: r.crs, rows: r.rows, createdBy: r.created_by, createdAt: r.created_at.toISOString() })) };
    },
  );

  app.get(
    '/api/v1/analytics/statistics',
    {
      config: { access: staff('analytics:read') },
      schema: {
        tags,
        summary: 'Crime statistics: counts by category, region, district or month for a period, year on year, clearance, rate per 10,000; JSON or CSV',
        description:
          'The period is [from, to) (default: this calendar year to date); the comparison is the same dates a year earlier. ' +
          'CSV with `format=csv` or `Accept: text/csv`. `summary` is the release sentence in ru, kk and en. Rates use the population table in ' +
          'modules/analytics/config/population.ts (regions only).',
        querystring: z.strictObject({
          from: Day.optional(),
          to: Day.optional(),
          groupBy: z.enum(['category', 'region', 'district', 'month']).default('category'),
          category: z.string().min(1).max(200).optional(),
          kato: Kato.optional(),
          format: z.enum(['json', 'csv']).optional(),
        }),
        response: {
          200: z
            .object({
              period: z.object({ from: z.string(), to: z.string() }),
              previousPeriod: z.object({ from: z.string(), to: z.string() }),
              groupBy: z.string(),
              total: StatLineOut,
              rows: z.array(StatLineOut.extend({ key: z.string(), name: z.string() })),
              summary: z.object({ ru: z.string(), kk: z.string(), en: z.string() }),
              population: z.object({ version: z.string(), source: z.string() }),
            })
            .or(z.string()),
        },
      },
    },
    async (req, reply) => {
      const q = req.query as { from?: string; to?: string; groupBy: GroupBy; category?: string; kato?: string; format?: 'json' | 'csv' };
      const now = kernel.clock.now();
      const from = q.from ? dayMs(q.from) : Date.UTC(now.getUTCFullYear(), 0, 1);
      const to = q.to ? dayMs(q.to) : Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
      if (!(to > from)) throw Problem.validation([{ path: 'querystring.to', code: 'too_small', params: { minimum: new Date(from).toISOString().slice(0, 10) } }]);
      const me = userOf(req);
      const s = await statistics(kernel, { from, to, groupBy: q.groupBy, category: q.category, kato: q.kato, jurisdictions: me.jurisdictions }, req.locale);
      const csv = q.format === 'csv' || (q.format === undefined && /\btext\/csv\b/.test(req.headers.accept ?? ''));
      if (!csv) return s;
      const rows = s.rows.map((r) => ({
        [q.groupBy]: r.key,
        name: r.name,
        count: r.count,
        previous: r.previous,
        change: r.change,
        change_percent: r.changePercent,
        cleared: r.cleared,
        with_outcome: r.withOutcome,
        clearance_rate: r.clearanceRate,
        rate_per_10k: r.ratePer10k,
      }));
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="statistics-${q.groupBy}-${new Date(from).toISOString().slice(0, 10)}.csv"`)
        .send(toCsv(rows));
    },
  );

  app.post(
    '/api/v1/analytics/forecast/evaluate',
    {
      config: { access: staff('analytics:read') },
      bodyLimit: 64 * 1024 * 1024,
      schema: {
        tags,
        summary: 'Backtest the hotspot methods on a posted file: PAI and PEI per method (as `tartip forecast evaluate`)',
        description:
          'Trains each method up to `trainEnd` (inclusive), forecasts the horizon after it and scores the flagged `coverage` of the study area. Nothing is stored. ' +
          'Rows without a usable time or place are left out, as the CLI does, and counted in `skipped` (the first five named); a mapped column missing from the file is a 400. ' +
          'On square cells (`cell` metres) or H3 hexagons (`grid: "h3"`, `h3Res`); on H3 the coordinates are converted to longitude/latitude with the CRS, and a/A in PAI uses the hexagons’ true areas (`studyAreaKm2`).',
        body: EvaluateBody,
      },
    },
    async (req) => {
      const r = evaluateForecast(req.body as z.infer<typeof EvaluateBody>);
      return {
        window: r.window,
        trainEvents: r.trainEvents,
        testEvents: r.testEvents,
        grid: isHex(r.grid) ? 'h3' : 'square',
        h3Res: isHex(r.grid) ? r.grid.res : null,
        studyCells: r.studyCells,
        studyAreaKm2: (r.results[0]?.studyAreaM2 ?? r.studyCells * r.grid.cell * r.grid.cell) / 1e6,
        methods: r.results.map((m) => ({ method: m.method, pai: m.pai, pei: m.pei, hitRate: m.hitRate, captured: m.captured, best: m.best, total: m.total, cells: m.cells, areaFraction: m.areaFraction, ms: Math.round(m.ms) })),
        bestOverKde: r.bestOverKde,
        rows: r.rows,
        skipped: r.skipped,
      };
    },
  );

  app.get(
    '/api/v1/analytics/kpi',
    {
      config: { access: staff('analytics:read') },
      schema: {
        tags,
        summary: 'KPI board: response times and targets met by priority, violations decided, frauds prevented',
        description: 'From the other modules’ events. Period [from, to), default the last 30 days; the response targets are dispatch’s configured ones.',
        querystring: z.strictObject({ from: Day.optional(), to: Day.optional() }),
      },
    },
    async (req) => {
      const q = req.query as { from?: string; to?: string };
      const now = kernel.clock.now().getTime();
      const to = q.to ? dayMs(q.to) : now + 1;
      const from = q.from ? dayMs(q.from) : to - 30 * 86_400_000;
      if (!(to > from)) throw Problem.validation([{ path: 'querystring.to', code: 'too_small', params: { minimum: new Date(from).toISOString().slice(0, 10) } }]);
      return kpis(kernel, { from, to, jurisdictions: userOf(req).jurisdictions });
    },
  );

  const HotspotQuery = z.strictObject({
    at: Day.optional(),
    horizon: Horizon.default('7d'),
    method: z.enum(METHODS).default('combined'),
    grid: z.enum(['square', 'h3']).default('square'),
    cell: queryNumber().pipe(z.number().min(50).max(5000)).optional(),
    h3Res: queryNumber().pipe(z.number().int().min(6).max(12)).optional(),
    coverage: queryNumber().pipe(z.number().gt(0).max(0.2)).default(0.01),
    category: z.string().min(1).max(200).optional(),
    kato: Kato.optional(),
  });

  app.get(
    '/api/v1/analytics/hotspots',
    {
      config: { access: staff('analytics:read') },
      schema: {
        tags,
        summary: 'Forecast hotspot cells (GeoJSON polygons) from the stored incidents of the year before `at`',
        description:
          'Square cells of `cell` metres (default 150), or H3 hexagons with `grid=h3` and `h3Res` (6–12, default 9); `cell` and `h3Res` do not go together. ' +
          'On H3 each feature’s id is the cell’s H3 index and its polygon the hexagon; `coverage` flags round(coverage × study cells) cells.',
        querystring: HotspotQuery,
      },
    },
    async (req) => {
      const q = req.query as z.infer<typeof HotspotQuery>;
      const at = q.at ? dayMs(q.at) : kernel.clock.now().getTime();
      const query = { ...q, ...gridOf(q, 'querystring'), at, method: q.method as Method, jurisdictions: userOf(req).jurisdictions };
      return hotspotsGeoJson(await forecastHotspots(kernel, query), query);
    },
  );

  const PatrolBody = z.strictObject({
    startAt: z.iso.datetime({ offset: true }).optional(),
    horizon: Horizon.default('7d'),
    method: z.enum(METHODS).default('combined'),
    grid: z.enum(['square', 'h3']).default('square'),
    cell: z.number().min(50).max(5000).optional(),
    h3Res: z.number().int().min(6).max(12).optional(),
    candidates: z.number().int().min(1).max(5000).default(200),
    category: z.string().min(1).max(200).optional(),
    kato: Kato.optional(),
    shiftMinutes: z.number().int().min(30).max(24 * 60).default(480),
    seed: z.number().int().min(0).max(2 ** 31).optional(),
    units: z
      .array(z.strictObject({ id: z.string().min(1).max(100), depot: z.strictObject({ lon: z.number().min(-180).max(180), lat: z.number().min(-90).max(90) }) }))
      .min(1)
      .max(500),
  });

  app.post(
    '/api/v1/analytics/patrol-plans',
    {
      config: { access: staff('analytics:write') },
      schema: {
        tags,
        summary: 'Plan patrols over the forecast hotspots: routes as GeoJSON for the officers’ tablets',
        description:
          'Each unit leaves its depot at `startAt`, dwells 12–15 minutes per hotspot (Koper), and is back by the end of the shift. The riskiest hotspots are shared out as circuits, ' +
          'one per unit, each a unit can drive round with its dwells within 120 minutes; the unit revisits every hotspot of its circuit within 2 hours (arrival to arrival) in a random order, ' +
          'and visits hotspots in no circuit once in its slack. `properties.revisitMisses` names each revisit that could not be made within 2 hours and why ' +
          '(`travel`: came back late; `shift_end`: due after the unit had to head back to its depot). ' +
          'Randomised (a `seed` reproduces a plan). Straight-line travel (× 1.3 at 25 km/h) unless a road network is configured. The plan is kept to measure adherence from telemetry.',
        body: PatrolBody,
      },
    },
    async (req, reply) => {
      const b = req.body as z.infer<typeof PatrolBody>;
      const at = b.startAt ? Date.parse(b.startAt) : kernel.clock.now().getTime();
      const plan = await planPatrol(kernel, ctxOf(req), { ...b, ...gridOf(b, 'body'), at, method: b.method as Method, jurisdictions: userOf(req).jurisdictions });
      return reply.code(201).send(plan);
    },
  );

  app.get(
    '/api/v1/analytics/patrol-plans/:id',
    {
      config: { access: anyOf(staff('analytics:read'), staff('dispatch:field')) },
      schema: {
        tags,
        summary: 'A patrol plan as GeoJSON; with `unitId`, one unit’s route and stops (for its tablet)',
        params: z.strictObject({ id: z.uuid() }),
        querystring: z.strictObject({ unitId: z.string().min(1).max(100).optional() }),
      },
    },
    async (req) => patrolPlanGeoJson(kernel, (req.params as { id: string }).id, (req.query as { unitId?: string }).unitId),
  );

  app.get(
    '/api/v1/analytics/patrol-routes/current',
    {
      config: { access: anyOf(staff('analytics:read'), staff('dispatch:field')) },
      schema: {
        tags,
        summary: 'The route a unit patrols now (its tablet between tasks): its stops in the latest plan whose shift covers this moment',
        description: 'Returns `{ plan: null, route: null }` when no plan covers the unit then. `at` (default now) asks about another moment.',
        querystring: z.strictObject({ unitId: z.string().min(1).max(100), at: z.iso.datetime({ offset: true }).optional() }),
      },
    },
    async (req) => {
      const q = req.query as { unitId: string; at?: string };
      return currentPatrolRoute(kernel, q.unitId, q.at ? new Date(q.at) : kernel.clock.now());
    },
  );

  app.get(
    '/api/v1/analytics/patrol-plans/:id/adherence',
    {
      config: { access: staff('analytics:read') },
      schema: {
        tags,
        summary: 'Adherence: the share of planned hotspot visits made with at least 10 minutes within 100 m, per unit',
        params: z.strictObject({ id: z.uuid() }),
      },
    },
    async (req) => planAdherence(kernel, (req.params as { id: string }).id),
  );
}
