/** Crash statistics by year, year on year. Pure. */

export interface YearRow {
  year: number;
  crashes: number;
  injuries: number;
  deaths: number;
  nationalCrashes: number;
  nationalInjuries: number;
  nationalDeaths: number;
}

export interface Change {
  /** This year minus the year before. */
  absolute: number;
  /** Percent of the year before, one decimal; null when the year before had none. */
  percent: number | null;
}

export interface YearStats {
  year: number;
  crashes: number;
  injuries: number;
  deaths: number;
  national: { crashes: number; injuries: number; deaths: number };
  /** Deaths on national roads against the year before; null for the first year shown. */
  nationalDeathsChange: Change | null;
  deathsChange: Change | null;
}

const change = (now: number, before: number): Change => ({
  absolute: now - before,
  percent: before === 0 ? null : Math.round(((now - before) / before) * 1000) / 10,
});

/**
 * One entry per year from `from` to `to` (a year without crashes is zeros), each compared with the year before.
 * A year is compared only when the year before is covered by the data (`firstYear`: the year of the earliest crash
 * recorded), so the first year of a new installation is not shown as a rise from nothing.
 */
export function yearOnYear(rows: readonly YearRow[], from: number, to: number, firstYear: number | null): YearStats[] {
  const byYear = new Map(rows.map((r) => [r.year, r]));
  const zero = (year: number): YearRow => ({ year, crashes: 0, injuries: 0, deaths: 0, nationalCrashes: 0, nationalInjuries: 0, nationalDeaths: 0 });
  const out: YearStats[] = [];
  for (let y = from; y <= to; y++) {
    const r = byYear.get(y) ?? zero(y);
    const prev = firstYear !== null && y - 1 >= firstYear ? (byYear.get(y - 1) ?? zero(y - 1)) : null;
    out.push({
      year: y,
      crashes: r.crashes,
      injuries: r.injuries,
      deaths: r.deaths,
      national: { crashes: r.nationalCrashes, injuries: r.nationalInjuries, deaths: r.nationalDeaths },
      nationalDeathsChange: prev ? change(r.nationalDeaths, prev.nationalDeaths) : null,
      deathsChange: prev ? change(r.deaths, prev.deaths) : null,
    });
  }
  return out;
}
