import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type BacktestResult, backtest, type GridChoice, parseHorizon } from './domain/backtest.ts';
import { CrsError, crsOf } from './domain/crs.ts';
import { MS_PER_DAY, type Point } from './domain/grid.ts';
import { METHODS, type Method } from './domain/methods.ts';
import { incidentsFromRows, parseCsv, parseTime, planarCrsOf, planarOf, type RowError, rowsFromGeoJson } from './domain/table.ts';

/**
 * `tartip forecast evaluate`: a backtest an analyst runs on their own file, no server or database needed.
 * Reads a CSV (or GeoJSON of points), trains every method up to --train-end (inclusive), forecasts the horizon
 * that follows and prints PAI and PEI per method (text table, or --json).
 */
export const FORECAST_HELP = `Usage:
  tartip forecast evaluate --input FILE.csv --time-col COL --x-col COL --y-col COL
                           [--crs EPSG:4326 | --crs-def "PROJ4 DEFINITION"] [--category-col COL --category VALUE]
                           --train-end YYYY-MM-DD --horizon 7d|14d|1m|2m|3m --coverage FRACTION
                           [--grid square] --cell METRES  |  --grid h3 [--h3-res N]
                           [--method kde --method sepp ...] [--json]

  --crs       the CRS of the x/y columns (default EPSG:4326: x = longitude, y = latitude). Built in: EPSG:4326,
              3857, 26971 (Illinois East), 27700 (British National Grid), 32639–32645 (UTM, Kazakhstan),
              28409–28415 (Pulkovo 1942 Gauss–Krüger). Any other: --crs-def with its proj4 definition.
  --train-end the last day of training (inclusive); the forecast window starts the next day (UTC).
  --coverage  the share of the study area flagged as hotspots, e.g. 0.01 for 1 %: k = round(coverage × study
              cells) cells are flagged.
  --grid      square (default): square cells of --cell metres (10–10000; required).
              h3: Uber's H3 hexagons at resolution --h3-res (0–15, default 9 ≈ 0.105 km², 10 ≈ 0.015 km²);
              --cell is refused with it. The x/y are converted to longitude/latitude with --crs for H3, and
              PAI's a/A uses the hexagons' true areas (they differ by a few per cent at one resolution).
Methods: ${METHODS.join(', ')} (default: all).
Rows with a bad time or coordinate are skipped and counted (the import API refuses such a file instead).`;

const fail = (message: string) => {
  process.stderr.write(`tartip forecast: ${message}\n`);
  return 2;
};

export interface EvaluateOutcome {
  input: string;
  rows: number;
  skipped: { count: number; first: RowError[] };
  filter: { column: string; value: string } | null;
  trainEnd: string;
  horizon: string;
  /** Square cells' side, metres; null on H3. */
  cell: number | null;
  /** H3 resolution; null on squares. */
  h3Res: number | null;
  coverage: number;
  backtest: BacktestResult;
}

export async function forecastCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'evaluate') {
    process.stdout.write(`${FORECAST_HELP}\n`);
    return sub === undefined || sub === '--help' || sub === '-h' ? 0 : 2;
  }
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        input: { type: 'string' },
        'time-col': { type: 'string' },
        'x-col': { type: 'string' },
        'y-col': { type: 'string' },
        crs: { type: 'string' },
        'crs-def': { type: 'string' },
        'category-col': { type: 'string' },
        category: { type: 'string' },
        'train-end': { type: 'string' },
        horizon: { type: 'string' },
        cell: { type: 'string' },
        grid: { type: 'string' },
        'h3-res': { type: 'string' },
        coverage: { type: 'string' },
        method: { type: 'string', multiple: true },
        json: { type: 'boolean' },
      },
    }));
  } catch (e) {
    return fail((e as Error).message);
  }
  const str = (k: string) => values[k] as string | undefined;
  for (const k of ['input', 'time-col', 'x-col', 'y-col', 'train-end', 'horizon', 'coverage']) if (!str(k)) return fail(`--${k} is required\n\n${FORECAST_HELP}`);
  const gridKind = str('grid') ?? 'square';
  if (gridKind !== 'square' && gridKind !== 'h3') return fail(`--grid: square or h3; got ${gridKind}`);
  if (gridKind === 'square' && !str('cell')) return fail(`--cell is required with square cells (or use --grid h3 --h3-res N)\n\n${FORECAST_HELP}`);
  if (gridKind === 'square' && str('h3-res')) return fail('--h3-res goes with --grid h3');
  if (gridKind === 'h3' && str('cell')) return fail('--cell is the side of square cells; with --grid h3 give --h3-res');
  if (Boolean(str('category-col')) !== Boolean(str('category'))) return fail('--category-col and --category go together');
  const horizon = parseHorizon(str('horizon') as string);
  if (!horizon) return fail(`--horizon: expected a number of days, weeks or months such as 7d, 14d, 1m, 3m; got ${str('horizon')}`);
  const trainEndDay = parseTime(str('train-end') as string);
  if (trainEndDay === null) return fail(`--train-end: expected a date such as 2016-09-30; got ${str('train-end')}`);
  const cell = gridKind === 'square' ? Number(str('cell')) : Number.NaN;
  if (gridKind === 'square' && !(cell >= 10 && cell <= 10_000)) return fail('--cell: metres between 10 and 10000');
  const h3Res = Number(str('h3-res') ?? 9);
  if (gridKind === 'h3' && !(Number.isInteger(h3Res) && h3Res >= 0 && h3Res <= 15)) return fail(`--h3-res: an H3 resolution 0–15; got ${str('h3-res')}`);
  const coverage = Number(str('coverage'));
  if (!(coverage > 0 && coverage <= 1)) return fail('--coverage: a fraction in (0, 1], e.g. 0.01');
  const methods = (values.method as string[] | undefined) ?? [...METHODS];
  const unknown = methods.filter((m) => !(METHODS as readonly string[]).includes(m));
  if (unknown.length) return fail(`--method: unknown ${unknown.join(', ')}; known: ${METHODS.join(', ')}`);

  let crs: ReturnType<typeof crsOf>;
  try {
    crs = crsOf(str('crs') ?? 'EPSG:4326', str('crs-def'));
  } catch (e) {
    if (e instanceof CrsError) return fail(`--crs: ${e.message}`);
    throw e;
  }
  let text: string;
  try {
    text = readFileSync(str('input') as string, 'utf8');
  } catch (e) {
    return fail(`--input: cannot read ${str('input')}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const rows = /^\s*\{/.test(text) ? rowsFromGeoJson(JSON.parse(text)) : parseCsv(text);
  const mapping = { time: str('time-col') as string, x: str('x-col') as string, y: str('y-col') as string, category: str('category-col') };
  const { incidents, errors } = incidentsFromRows(rows, mapping, crs);
  const missing = errors.filter((e) => e.code === 'missing_column');
  if (missing.length) return fail(`the file has no column ${missing.map((e) => `--${e.field === 'category' ? 'category' : e.field}-col`).join(', ')} names (its columns: ${(rows[0] ?? []).join(', ')})`);
  const wanted = str('category');
  const chosen = wanted ? incidents.filter((i) => i.category === wanted) : incidents;
  if (chosen.length === 0) return fail(wanted ? `no rows with ${mapping.category} = ${wanted}` : 'no usable rows');
  const planar = planarOf(chosen, crs, str('crs-def'));
  const events: Point[] = chosen.map((i) => ({ ...planar(i), t: i.at / MS_PER_DAY }));
  const trainEndMs = trainEndDay + MS_PER_DAY;
  const grid: GridChoice = gridKind === 'h3' ? { kind: 'h3', res: h3Res, planar: planarCrsOf(chosen, crs, str('crs-def')) } : { kind: 'square', cell };
  let result: BacktestResult;
  try {
    result = backtest({ events, trainEndMs, horizon, cell: grid.kind === 'square' ? cell : 0, h3: grid.kind === 'h3' ? grid : undefined, coverage, methods: methods as Method[] });
  } catch (e) {
    if (e instanceof RangeError) return fail(e.message);
    throw e;
  }
  const outcome: EvaluateOutcome = {
    input: str('input') as string,
    rows: rows.length - 1,
    skipped: { count: errors.length, first: errors.slice(0, 5) },
    filter: wanted ? { column: mapping.category as string, value: wanted } : null,
    trainEnd: new Date(trainEndDay).toISOString().slice(0, 10),
    horizon: horizon.label,
    cell: grid.kind === 'square' ? cell : null,
    h3Res: grid.kind === 'h3' ? h3Res : null,
    coverage,
    backtest: result,
  };
  process.stdout.write(values.json ? `${JSON.stringify(jsonOf(outcome), null, 2)}\n` : renderTable(outcome));
  return 0;
}

/** The study area, km²: the cells' true areas on H3, cells × side² on squares. */
const studyKm2 = (o: EvaluateOutcome) => (o.backtest.results[0]?.studyAreaM2 ?? o.backtest.studyCells * (o.cell ?? 0) ** 2) / 1e6;

function jsonOf(o: EvaluateOutcome) {
  const b = o.backtest;
  return {
    input: o.input,
    rows: o.rows,
    skipped: o.skipped,
    filter: o.filter,
    trainEnd: o.trainEnd,
    horizon: o.horizon,
    window: b.window,
    grid: o.h3Res === null ? 'square' : 'h3',
    cell: o.cell,
    h3Res: o.h3Res,
    coverage: o.coverage,
    studyCells: b.studyCells,
    studyAreaKm2: studyKm2(o),
    trainEvents: b.trainEvents,
    testEvents: b.testEvents,
    methods: b.results.map((r) => ({
      method: r.method,
      pai: r.pai,
      pei: r.pei,
      hitRate: r.hitRate,
      captured: r.captured,
      best: r.best,
      total: r.total,
      cells: r.cells,
      areaFraction: r.areaFraction,
      ms: Math.round(r.ms),
    })),
    bestOverKde: b.bestOverKde,
  };
}

const fixed = (v: number, d: number) => v.toFixed(d);

export function renderTable(o: EvaluateOutcome): string {
  const b = o.backtest;
  const lines = [
    `Backtest of ${o.input}: ${o.rows.toLocaleString('en')} rows${o.skipped.count ? `, ${o.skipped.count} skipped (first: ${o.skipped.first.map((e) => `row ${e.row} ${e.field} ${e.code}`).join('; ')})` : ''}${o.filter ? `, ${o.filter.column} = ${o.filter.value}` : ''}`,
    `Training up to ${o.trainEnd} (${b.trainEvents.toLocaleString('en')} incidents); forecast ${b.window.from.slice(0, 10)} to ${new Date(Date.parse(b.window.to) - 1).toISOString().slice(0, 10)} (${o.horizon}, ${b.testEvents.toLocaleString('en')} incidents)`,
    `Grid of ${o.h3Res === null ? `${o.cell} m cells` : `H3 hexagons at resolution ${o.h3Res}`}; study area ${b.studyCells.toLocaleString('en')} cells (${fixed(studyKm2(o), 1)} km²); hotspots ${b.results[0]?.cells ?? 0} cells = ${fixed((b.results[0]?.areaFraction ?? o.coverage) * 100, 2)} % of the area`,
    '',
    `${'method'.padEnd(12)} ${'PAI'.padStart(7)} ${'PEI'.padStart(6)} ${'hit rate'.padStart(9)} ${'captured'.padStart(10)} ${'best'.padStart(6)} ${'time'.padStart(8)}`,
  ];
  for (const r of b.results)
    lines.push(
      `${r.method.padEnd(12)} ${fixed(r.pai, 2).padStart(7)} ${fixed(r.pei, 3).padStart(6)} ${`${fixed(r.hitRate * 100, 1)} %`.padStart(9)} ${`${r.captured}/${r.total}`.padStart(10)} ${String(r.best).padStart(6)} ${`${Math.round(r.ms)} ms`.padStart(8)}`,
    );
  if (b.bestOverKde) lines.push('', `Best: ${b.bestOverKde.method}, PAI ${fixed(b.bestOverKde.ratio, 2)} × KDE's`);
  lines.push('', 'PAI = (n/N)/(a/A), PEI = n/n* (NIJ); best = n*, the most any equal area could have captured.', '');
  return lines.join('\n');
}
