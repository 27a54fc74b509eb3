import { describe, expect, it } from 'vitest';
import { isCleared } from '../config/categories.ts';
import { statLine, summarise, toCsv, yearEarlier } from './statistics.ts';

const t = (count: number, previous: number, cleared = 0, withOutcome = 0) => ({ count, previous, cleared, withOutcome });
const year2025 = { from: Date.UTC(2025, 0, 1), to: Date.UTC(2026, 0, 1) };

describe('statistics', () => {
  it('computes year-on-year change, clearance and the rate per 10,000', () => {
    expect(statLine(t(90, 100, 45, 60), 2_300_000)).toEqual({
      count: 90,
      previous: 100,
      cleared: 45,
      withOutcome: 60,
      change: -10,
      changePercent: -10,
      clearanceRate: 0.75,
      ratePer10k: 0.39,
    });
    expect(statLine(t(5, 0), null)).toMatchObject({ changePercent: null, clearanceRate: null, ratePer10k: null });
  });

  it('takes the same dates a year earlier', () => {
    expect(yearEarlier(Date.UTC(2026, 0, 1))).toBe(Date.UTC(2025, 0, 1));
  });

  it('counts police.uk and ministry outcomes as cleared, and unknown outcomes as unknown', () => {
    expect(isCleared('Offender given a caution')).toBe(true);
    expect(isCleared('Suspect charged')).toBe(true);
    expect(isCleared('раскрыто')).toBe(true);
    expect(isCleared('Investigation complete; no suspect identified')).toBe(false);
    expect(isCleared(null)).toBeNull();
  });

  const byCategory = [
    { category: '99', ...t(8, 11) },
    { category: '188 ч.2', ...t(600, 680) },
    { category: '190', ...t(300, 260) },
    { category: '191', ...t(92, 99) },
  ];
  const total = t(1000, 1050);

  it('writes the ministry’s summary sentence in English', () => {
    expect(summarise(total, byCategory, year2025, 'en')).toBe(
      '1,000 crimes were registered from 2025-01-01 to 2025-12-31: 4.8% fewer than a year earlier (50 fewer). Fell: thefts (−80), open thefts (−7), murders (−3). Rose: frauds (+40).',
    );
  });

  it('writes it in Russian and Kazakh', () => {
    const ru = summarise(total, byCategory, year2025, 'ru');
    expect(ru).toMatch(/^С 01\.01\.2025 по 31\.12\.2025 зарегистрировано преступлений: 1\s000 — на 4,8% меньше, чем годом ранее \(на 50 меньше\)\./);
    expect(ru).toContain('Снизились: кражи (−80), грабежи (−7), убийства (−3). Выросли: мошенничества (+40).');
    const kk = summarise(total, byCategory, year2025, 'kk');
    expect(kk).toMatch(/^01\.01\.2025 – 31\.12\.2025 аралығында 1\s000 қылмыс тіркелді — бір жыл бұрынғыдан 4,8%-ға аз \(50 кем\)\./);
    expect(kk).toContain('Азайғандар: ұрлық (−80), тонау (−7), кісі өлтіру (−3). Көбейгендер: алаяқтық (+40).');
  });

  it('says so when there is nothing to compare with', () => {
    expect(summarise(t(3, 0), [], year2025, 'en')).toBe('3 crimes were registered from 2025-01-01 to 2025-12-31; there are no records for a year earlier to compare with.');
    expect(summarise(t(7, 7), [], year2025, 'en')).toMatch(/as many as a year earlier\.$/);
  });

  it('writes CSV with quoting', () => {
    expect(toCsv([{ key: '188', name: 'кражи, all', count: 3, rate: null }])).toBe('key,name,count,rate\r\n188,"кражи, all",3,\r\n');
  });
});
