import { jurisdictionFilter } from '../../packages/kernel/src/auth/jurisdiction.ts';
import { type FieldError, Problem } from '../../packages/kernel/src/errors.ts';
import { type AreaName, getArea } from '../../packages/kernel/src/geo/geo.ts';
import { newId } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import type { CommandContext } from '../../packages/kernel/src/outbox.ts';
import { isCleared } from './config/categories.ts';
import { COUNTRY_POPULATION, POPULATION_SOURCE, POPULATION_VERSION, REGION_POPULATION } from './config/population.ts';
import { type BacktestResult, backtest, parseHorizon } from './domain/backtest.ts';
import { type Crs, CrsError, crsOf } from './domain/crs.ts';
import { GridTooLarge, MS_PER_DAY } from './domain/grid.ts';
import type { Method } from './domain/methods.ts';
import { categoryName, type Locale, type StatLine, statLine, summarise, type Tally, yearEarlier } from './domain/statistics.ts';
import { type ColumnMapping, incidentsFromRows, parseCsv, planarCrsOf, planarOf, type RowError, rowsFromGeoJson, type TableIncident } from './domain/table.ts';

/** The most per-row errors one refusal lists (the count says how many there were). */
const MAX_ERRORS = 100;

export interface ImportInput {
  name: string;
  format: 'csv' | 'geojson';
  /** CSV text, or a GeoJSON FeatureCollection of points. */
  data: string | Record<string, unknown>;
  mapping: ColumnMapping;
  crs: string;
  crsDef?: string;
}

function crsFrom(name: string, def: string | undefined): Crs {
  try {
    return crsOf(name, def);
  } catch (e) {
    if (e instanceof CrsError) throw Problem.validation([{ path: def ? 'body.crsDef' : 'body.crs', code: e.code, params: { crs: name } }]);
    throw e;
  }
}

function rowErrors(errors: RowError[]): FieldError[] {
  return errors.slice(0, MAX_ERRORS).map((e) =>
    e.code === 'missing_column' ? { path: `body.mapping.${e.field}`, code: 'missing_column' } : { path: `body.data.row.${e.row}.${e.field}`, code: e.code },
  );
}

/**
 * Reads a file (CSV or GeoJSON) by a column mapping into incidents. A missing column refuses it; so, by default, does
 * any bad row (every one named) — an import stores what it reads. With `skipBadRows` (a backtest, which stores nothing)
 * rows without a usable time or place are left out and returned, as `tartip forecast evaluate` does: real exports have
 * the odd blank cell (Chicago 2016 has a row with no date), and one row of nearly twelve thousand should not stop a
 * backtest.
 */
export function readTable(
  input: Pick<ImportInput, 'format' | 'data' | 'mapping' | 'crs' | 'crsDef'>,
  options: { skipBadRows?: boolean } = {},
): { incidents: TableIncident[]; crs: Crs; skipped: RowError[] } {
  const crs = crsFrom(input.crs, input.crsDef);
  let rows: string[][];
  if (input.format === 'csv') {
    if (typeof input.data !== 'string') throw Problem.validation([{ path: 'body.data', code: 'invalid_type', params: { expected: 'string' } }]);
    rows = parseCsv(input.data);
  } else {
    const doc = typeof input.data === 'string' ? safeJson(input.data) : input.data;
    if (!doc || !Array.isArray((doc as { features?: unknown }).features)) throw Problem.validation([{ path: 'body.data', code: 'not_feature_collection' }]);
    rows = rowsFromGeoJson(doc);
  }
  const { incidents, errors } = incidentsFromRows(rows, input.mapping, crs);
  const refused = options.skipBadRows ? errors.filter((e) => e.code === 'missing_column') : errors;
  if (refused.length > 0) {
    const p = Problem.validation(rowErrors(refused));
    (p.params as Record<string, unknown>).count = refused.length;
    throw p;
  }
  if (incidents.length === 0) throw Problem.validation([{ path: 'body.data', code: 'no_rows' }]);
  return { incidents, crs, skipped: errors };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export interface ImportResult {
  id: string;
  name: string;
  rows: number;
  /** Rows inside Kazakhstan (placed in a region). */
  placed: number;
  from: string;
  to: string;
}

/** All or nothing: every row stored with its region and district, or none (the refusal names each bad row). */
export async function importIncidents(kernel: Kernel, ctx: CommandContext, input: ImportInput): Promise<ImportResult> {
  const { incidents, crs } = readTable(input);
  const id = newId();
  const placed = incidents.map((i) => kernel.areas.locate(i.lon, i.lat));
  let from = Infinity;
  let to = -Infinity;
  for (const i of incidents) {
    if (i.at < from) from = i.at;
    if (i.at > to) to = i.at;
  }
  await kernel.commands.run(ctx, async (uow) => {
    await uow.tx.query(
      'insert into analytics_import (id, name, format, crs, mapping, rows, created_by, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8)',
      [id, input.name, input.format, crs.name === 'custom' ? `custom: ${input.crsDef}` : crs.name, JSON.stringify(input.mapping), incidents.length, ctx.actor, uow.now],
    );
    const CHUNK = 5000;
    for (let k = 0; k < incidents.length; k += CHUNK) {
      const part = incidents.slice(k, k + CHUNK);
      const where = placed.slice(k, k + CHUNK);
      await uow.tx.query(
        `insert into analytics_incident (id, source, import_id, source_ref, occurred_at, lon, lat, geom, category, outcome, cleared, region_kato, district_kato, updated_at)
         select u.id, 'import', $1, u.ref, u.at, u.lon, u.lat, ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326), u.category, u.outcome, u.cleared, u.region, u.district, $2
         from unnest($3::uuid[], $4::text[], $5::timestamptz[], $6::float8[], $7::float8[], $8::text[], $9::text[], $10::bool[], $11::text[], $12::text[])
           as u(id, ref, at, lon, lat, category, outcome, cleared, region, district)`,
        [
          id,
          uow.now,
          part.map(() => newId()),
          part.map((i) => String(i.row)),
          part.map((i) => new Date(i.at).toISOString()),
          part.map((i) => i.lon),
          part.map((i) => i.lat),
          part.map((i) => i.category),
          part.map((i) => i.outcome),
          part.map((i) => isCleared(i.outcome)),
          where.map((p) => p.region?.kato ?? null),
          where.map((p) => p.district?.kato ?? null),
        ],
      );
    }
    await uow.audit({ action: 'analytics.import', entity: 'analytics_import', entityId: id, jurisdiction: null, data: { name: input.name, rows: incidents.length, format: input.format, crs: crs.name } });
  });
  return {
    id,
    name: input.name,
    rows: incidents.length,
    placed: placed.filter((p) => p.region).length,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
  };
}

export type GroupBy = 'category' | 'region' | 'district' | 'month';

export interface StatisticsQuery {
  from: number;
  to: number;
  groupBy: GroupBy;
  category?: string;
  /** A KATO code: region or district. */
  kato?: string;
  jurisdictions: readonly string[];
}

export interface StatisticsRow extends StatLine {
  key: string;
  name: string;
}

export interface Statistics {
  period: { from: string; to: string };
  previousPeriod: { from: string; to: string };
  groupBy: GroupBy;
  total: StatLine;
  rows: StatisticsRow[];
  summary: Record<Locale, string>;
  population: { version: string; source: string };
}

interface TallyRow {
  key: string | null;
  count: number;
  previous: number;
  cleared: number;
  with_outcome: number;
}

const KATO_WHOLE_REGION = /^(\d{2})0000000$/;

/** Counts for the period and the same period a year earlier, grouped; filtered to the caller's jurisdictions. */
const areaNames = new Map<string, AreaName | null>();

async function areaName(kernel: Kernel, kato: string, locale: Locale): Promise<string> {
  if (!areaNames.has(kato)) areaNames.set(kato, (await getArea(kernel.db, kato))?.name ?? null);
  return areaNames.get(kato)?.[locale] ?? kato;
}

export async function statistics(kernel: Kernel, q: StatisticsQuery, locale: Locale): Promise<Statistics> {
  const prevFrom = yearEarlier(q.from);
  const prevTo = yearEarlier(q.to);
  const params: unknown[] = [new Date(q.from), new Date(q.to), new Date(prevFrom), new Date(prevTo)];
  const where: string[] = ['((occurred_at >= $1 and occurred_at < $2) or (occurred_at >= $3 and occurred_at < $4))'];
  // An incident outside every region (an imported file from elsewhere) is visible to national roles only.
  const [jur, jurParams] = jurisdictionFilter("coalesce(district_kato, region_kato, '')", q.jurisdictions, params.length + 1);
  where.push(jur);
  params.push(...jurParams);
  if (q.category) {
    params.push(q.category);
    where.push(`category = $${params.length}`);
  }
  if (q.kato) {
    params.push(q.kato);
    where.push(KATO_WHOLE_REGION.test(q.kato) ? `region_kato = $${params.length}` : `district_kato = $${params.length}`);
  }
  const key = {
    category: "coalesce(category, '')",
    region: "coalesce(region_kato, '')",
    district: "coalesce(district_kato, '')",
    month: "to_char(occurred_at at time zone 'UTC', 'YYYY-MM')",
  }[q.groupBy];
  // Months of the previous year are keyed to the month a year later, so a row compares like with like.
  const monthKey = "to_char((occurred_at + interval '1 year') at time zone 'UTC', 'YYYY-MM')";
  const rows = await kernel.db.query<TallyRow>(
    `select ${q.groupBy === 'month' ? `case when occurred_at >= $1 then ${key} else ${monthKey} end` : key} as key,
            count(*) filter (where occurred_at >= $1 and occurred_at < $2)::int8 as count,
            count(*) filter (where occurred_at >= $3 and occurred_at < $4)::int8 as previous,
            count(*) filter (where occurred_at >= $1 and occurred_at < $2 and cleared)::int8 as cleared,
            count(*) filter (where occurred_at >= $1 and occurred_at < $2 and cleared is not null)::int8 as with_outcome
     from analytics_incident where ${where.join(' and ')} group by 1 order by 2 desc, 1`,
    params,
  );
  const tallies = rows.map((r) => ({ key: r.key ?? '', count: Number(r.count), previous: Number(r.previous), cleared: Number(r.cleared), withOutcome: Number(r.with_outcome) }));
  const sum: Tally = { count: 0, previous: 0, cleared: 0, withOutcome: 0 };
  for (const t of tallies) {
    sum.count += t.count;
    sum.previous += t.previous;
    sum.cleared += t.cleared;
    sum.withOutcome += t.withOutcome;
  }
  // Rates are per 10,000 residents per period, as published; the population is per region (districts: none yet).
  const populationOf = (kato: string | null | undefined): number | null => {
    if (!kato) return null;
    const m = KATO_WHOLE_REGION.exec(kato);
    return m ? (REGION_POPULATION[kato] ?? null) : null;
  };
  const national = q.jurisdictions.includes('*') && !q.kato;
  const totalPopulation = national ? COUNTRY_POPULATION : populationOf(q.kato);
  const byCategory = q.groupBy === 'category' ? tallies.map((t) => ({ category: t.key, ...t })) : await categoryTallies(kernel, where, params);
  const summary = Object.fromEntries(
    (['ru', 'kk', 'en'] as const).map((l) => [l, summarise(sum, byCategory.filter((c) => c.category !== ''), q, l)]),
  ) as Record<Locale, string>;
  return {
    period: { from: new Date(q.from).toISOString(), to: new Date(q.to).toISOString() },
    previousPeriod: { from: new Date(prevFrom).toISOString(), to: new Date(prevTo).toISOString() },
    groupBy: q.groupBy,
    total: statLine(sum, totalPopulation),
    rows: await Promise.all(
      tallies.map(async (t) => ({
        key: t.key,
        name: (q.groupBy === 'region' || q.groupBy === 'district') && t.key ? await areaName(kernel, t.key, locale) : q.groupBy === 'category' && t.key ? categoryName(t.key, locale) : t.key,
        ...statLine(t, q.groupBy === 'region' ? populationOf(t.key) : null),
      })),
    ),
    summary,
    population: { version: POPULATION_VERSION, source: POPULATION_SOURCE },
  };
}

async function categoryTallies(kernel: Kernel, where: string[], params: unknown[]) {
  const rows = await kernel.db.query<TallyRow>(
    `select coalesce(category, '') as key,
            count(*) filter (where occurred_at >= $1 and occurred_at < $2)::int8 as count,
            count(*) filter (where occurred_at >= $3 and occurred_at < $4)::int8 as previous,
            0::int8 as cleared, 0::int8 as with_outcome
     from analytics_incident where ${where.join(' and ')} group by 1`,
    params,
  );
  return rows.map((r) => ({ category: r.key ?? '', count: Number(r.count), previous: Number(r.previous), cleared: 0, withOutcome: 0 }));
}

export interface EvaluateInput {
  format: 'csv' | 'geojson';
  data: string | Record<string, unknown>;
  mapping: ColumnMapping;
  crs: string;
  crsDef?: string;
  category?: string;
  trainEnd: string;
  horizon: string;
  /** Square cells of `cell` metres (the default), or H3 hexagons at resolution `h3Res` (default 9). */
  grid?: 'square' | 'h3';
  cell?: number;
  h3Res?: number;
  coverage: number;
  methods?: Method[];
}

/** The rows of a posted file a backtest left out: how many, and the first few problems (row numbers as the import names them). */
export interface SkippedRows {
  count: number;
  first: { row: number; column: string; code: RowError['code'] }[];
}

/**
 * The backtest of `tartip forecast evaluate` on a posted file. Like the command, it leaves out rows without a usable
 * time or place and says which; a column missing from the file refuses it.
 */
export function evaluateForecast(input: EvaluateInput): BacktestResult & { rows: number; skipped: SkippedRows } {
  const horizon = parseHorizon(input.horizon);
  if (!horizon) throw Problem.validation([{ path: 'body.horizon', code: 'invalid_format', params: { format: '7d | 14d | 1m | 2m | 3m' } }]);
  const h3 = input.grid === 'h3';
  if (h3 ? input.cell !== undefined : input.cell === undefined) throw Problem.validation([{ path: 'body.cell', code: 'cell_or_h3' }]);
  if (!h3 && input.h3Res !== undefined) throw Problem.validation([{ path: 'body.h3Res', code: 'cell_or_h3' }]);
  const { incidents, crs, skipped } = readTable(input, { skipBadRows: true });
  const chosen = input.category ? incidents.filter((i) => i.category === input.category) : incidents;
  if (chosen.length === 0) throw Problem.validation([{ path: 'body.category', code: 'no_rows' }]);
  // `incidentsFromRows` names a bad row once (its first bad cell), so the problems are the rows left out.
  const columnOf = (field: RowError['field']) => (field === 'header' ? field : (input.mapping[field] ?? field));
  const left = {
    rows: incidents.length + skipped.length,
    skipped: { count: skipped.length, first: skipped.slice(0, 5).map((e) => ({ row: e.row, column: columnOf(e.field), code: e.code })) },
  };
  const planar = planarOf(chosen, crs, input.crsDef);
  const events = chosen.map((i) => ({ ...planar(i), t: i.at / MS_PER_DAY }));
  const trainEndMs = Date.parse(`${input.trainEnd}T00:00:00Z`) + MS_PER_DAY;
  try {
    const result = backtest({
      events,
      trainEndMs,
      horizon,
      cell: input.cell ?? 0,
      h3: h3 ? { kind: 'h3', res: input.h3Res ?? 9, planar: planarCrsOf(chosen, crs, input.crsDef) } : undefined,
      coverage: input.coverage,
      methods: input.methods,
    });
    return { ...result, ...left };
  } catch (e) {
    if (e instanceof GridTooLarge) throw new Problem('analytics.area_too_large', { cells: e.cells, max: e.max }, [], 400);
    if (e instanceof RangeError) throw Problem.validation([{ path: 'body.trainEnd', code: 'no_training_rows' }]);
    throw e;
  }
}
