import { describe, expect, it } from 'vitest';
import { SCORE_RULES } from '../config/rules.ts';
import { computeScore, type ScoreEvent, type VehicleState } from './score.ts';

const NOW = new Date('2026-06-01T12:00:00Z');
const S = { halfLifeDays: 180, horizonDays: 1095 };
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000).toISOString();
let n = 0;
const ev = (kind: string, days: number, extra: Partial<ScoreEvent> = {}): ScoreEvent => ({ kind, at: daysAgo(days), ref: `r${n++}`, plate: '123ABC02', ...extra });
const insured: VehicleState = { plate: '123ABC02', wanted: false, wantedReason: null, insuranceValidUntil: '2027-01-01' };
const score = (events: ScoreEvent[], vehicles: VehicleState[] = [insured], unpaidFines = 0) =>
  computeScore({ events, vehicles, unpaidFines }, NOW, SCORE_RULES, S);

describe('computeScore', () => {
  it('is zero for a clean, insured vehicle', () => {
    expect(score([])).toMatchObject({ score: 0, items: [] });
  });

  it('weighs speeding by the КоАП 592 band of the excess', () => {
    const at = (speed: number) => score([ev('average-speed', 0, { speedKmh: speed, limitKmh: 110 })]).items[0];
    expect(at(125)).toMatchObject({ code: 'speeding', weight: 1, points: 1, params: { excessKmh: 15, article: '592 ч.1' } });
    expect(at(130)).toMatchObject({ weight: 2, params: { article: '592 ч.2' } });
    expect(at(151)).toMatchObject({ weight: 4, params: { article: '592 ч.3' } });
    expect(at(170)).toMatchObject({ weight: 8, params: { article: '592 ч.3-1' } });
    // speeds unknown: the smallest weight, not nothing
    expect(score([ev('spot-speed', 0)]).items[0]).toMatchObject({ code: 'speeding', weight: 1 });
  });

  it('halves an item every half-life and drops it beyond the horizon', () => {
    const r = score([ev('red-light', 0), ev('red-light', 180), ev('red-light', 360), ev('red-light', 1100)]);
    expect(r.items.map((i) => i.points)).toEqual([2, 1, 0.5]);
    expect(r.score).toBe(3.5);
  });

  it('weighs drunk driving above any fine and other kinds at the smallest weight', () => {
    const r = score([ev('drunk-driving', 0), ev('phone', 0), ev('something-new', 0)]);
    expect(r.items[0]).toMatchObject({ code: 'drunk_driving', points: 10 });
    expect(r.items.filter((i) => i.code === 'other_violation').map((i) => i.params.kind).sort()).toEqual(['phone', 'something-new']);
    expect(r.score).toBe(12);
  });

  it('adds a speeding pattern when enough speeding falls within the window, dated at the latest', () => {
    const three = score([ev('spot-speed', 100), ev('spot-speed', 50), ev('spot-speed', 20)]);
    const pattern = three.items.find((i) => i.code === 'speeding_pattern');
    expect(pattern).toMatchObject({ weight: 3, params: { count: 3, days: 90 }, at: daysAgo(20) });
    // spread wider than the window: no pattern
    const spread = score([ev('spot-speed', 200), ev('spot-speed', 100), ev('spot-speed', 5)]);
    expect(spread.items.some((i) => i.code === 'speeding_pattern')).toBe(false);
    // two are not a pattern
    expect(score([ev('spot-speed', 2), ev('spot-speed', 1)]).items.some((i) => i.code === 'speeding_pattern')).toBe(false);
  });

  it('counts operational flags at full weight without decay', () => {
    const wanted: VehicleState = { plate: '123ABC02', wanted: true, wantedReason: 'stolen', insuranceValidUntil: '2026-05-31' };
    const r = score([], [wanted], 7);
    expect(r.items.map((i) => [i.code, i.points])).toEqual([
      ['wanted', 20],
      ['unpaid_fines', 5], // capped
      ['no_insurance', 2], // expired yesterday
    ]);
    expect(r.items.find((i) => i.code === 'unpaid_fines')?.params).toEqual({ count: 7 });
    expect(score([], [{ ...insured, insuranceValidUntil: null }]).items[0]).toMatchObject({ code: 'no_insurance', params: { until: '—' } });
    expect(score([], [{ ...insured, insuranceValidUntil: '2026-06-01' }]).score).toBe(0); // valid through today
  });

  it('explains cloned-plate findings with distance and implied speed', () => {
    const r = score([ev('cloned-plate', 0, { distanceKm: 412.345, impliedSpeedKmh: 1234.6 })]);
    expect(r.items[0]).toMatchObject({ code: 'cloned_plate', points: 5, params: { distanceKm: 412.3, speedKmh: 1235 } });
  });

  it('counts a record once even when it is given twice', () => {
    const e = ev('red-light', 0);
    expect(score([e, { ...e }]).score).toBe(2);
  });

  it('orders items by points and records the rules version', () => {
    const r = score([ev('phone', 0), ev('drunk-driving', 400)]);
    expect(r.items.map((i) => i.code)).toEqual(['drunk_driving', 'other_violation']);
    expect(r.rulesVersion).toBe(SCORE_RULES.version);
    expect(r.computedAt).toBe(NOW.toISOString());
  });
});
