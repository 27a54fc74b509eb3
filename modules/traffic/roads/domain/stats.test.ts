import { describe, expect, it } from 'vitest';
import { yearOnYear } from './stats.ts';

const row = (year: number, deaths: number, nationalDeaths: number) => ({ year, crashes: deaths * 3, injuries: deaths * 2, deaths, nationalCrashes: nationalDeaths, nationalInjuries: 0, nationalDeaths });

describe('yearOnYear', () => {
  it('compares each year with the one before, national roads apart', () => {
    const s = yearOnYear([row(2023, 10, 4), row(2024, 12, 5), row(2025, 9, 4)], 2024, 2025, 2023);
    expect(s.map((y) => [y.year, y.national.deaths, y.nationalDeathsChange])).toEqual([
      [2024, 5, { absolute: 1, percent: 25 }],
      [2025, 4, { absolute: -1, percent: -20 }],
    ]);
    expect(s[1].deathsChange).toEqual({ absolute: -3, percent: -25 });
  });

  it('fills years without crashes with zeros and has no percent from zero', () => {
    const s = yearOnYear([row(2023, 3, 0), row(2025, 2, 2)], 2023, 2025, 2023);
    expect(s.map((y) => [y.year, y.deaths, y.nationalDeathsChange])).toEqual([
      [2023, 3, null], // nothing recorded before 2023
      [2024, 0, { absolute: 0, percent: null }],
      [2025, 2, { absolute: 2, percent: null }],
    ]);
  });

  it('does not compare with years before the data begins, nor at all without data', () => {
    expect(yearOnYear([row(2025, 1, 1)], 2024, 2025, 2025).map((y) => y.nationalDeathsChange)).toEqual([null, null]);
    expect(yearOnYear([], 2025, 2025, null)).toEqual([
      { year: 2025, crashes: 0, injuries: 0, deaths: 0, national: { crashes: 0, injuries: 0, deaths: 0 }, nationalDeathsChange: null, deathsChange: null },
    ]);
  });
});
