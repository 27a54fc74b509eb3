import { describe, expect, it } from 'vitest';
import { MRP_BY_YEAR, PENALTY_RULES } from '../config/penalties.ts';
import { decidePenalty, mrpOf, rulesAt, speedPart } from './penalties.ts';

const at = (iso: string) => Date.parse(iso);
const speeding = (iso: string, excessKmh: number, priors: { part: string; atMs: number }[] = []) => decidePenalty({ kind: 'average-speed', atMs: at(iso), excessKmh }, priors);

describe('МРП', () => {
  it('has the real values: 2024 3,692 ₸; 2025 3,932 ₸; 2026 4,325 ₸', () => {
    expect(mrpOf(2024)).toBe(3692);
    expect(mrpOf(2025)).toBe(3932);
    expect(mrpOf(2026)).toBe(4325);
    expect(mrpOf(2030)).toBeNull();
    for (const y of Object.values(MRP_BY_YEAR)) expect(y.source.length).toBeGreaterThan(5);
  });
});

describe('КоАП art. 592 speeding bands (average and spot speed)', () => {
  it('maps the excess to the part: over 10, over 20, over 40, 60 and more (from 4 Dec 2024)', () => {
    const r = rulesAt(at('2026-01-01T00:00:00Z'));
    expect([10, 10.1, 20, 20.1, 40, 40.1, 59.9, 60, 95].map((x) => speedPart(x, r))).toEqual([null, '592.1', '592.1', '592.2', '592.2', '592.3', '592.3', '592.3-1', '592.3-1']);
    const before = rulesAt(at('2024-12-03T12:00:00Z'));
    expect(before.version).toBe('koap-2014');
    expect(speedPart(75, before)).toBe('592.3');
  });

  it('fines in МРП × the МРП of the offence’s year', () => {
    expect(speeding('2025-06-01T10:00:00Z', 15)).toMatchObject({ part: '592.1', type: 'fine', fineMrp: 5, mrpYear: 2025, mrpTenge: 3932, fineTenge: 19_660 });
    expect(speeding('2026-05-01T10:00:00Z', 25)).toMatchObject({ part: '592.2', fineMrp: 10, fineTenge: 43_250 });
    expect(speeding('2026-05-01T10:00:00Z', 45)).toMatchObject({ part: '592.3', fineMrp: 20, fineTenge: 86_500 });
    expect(speeding('2026-05-01T10:00:00Z', 60)).toMatchObject({ part: '592.3-1', fineMrp: 40, fineTenge: 173_000, rulesVersion: 'koap-2024-12-04' });
  });

  it('applies the edition in force on the day: +65 km/h on 1 Nov 2024 is part 3 (20 МРП), on 5 Dec 2024 part 3-1 (40 МРП)', () => {
    expect(speeding('2024-11-01T10:00:00Z', 65)).toMatchObject({ part: '592.3', fineMrp: 20, fineTenge: 73_840, rulesVersion: 'koap-2014' });
    expect(speeding('2024-12-05T10:00:00Z', 65)).toMatchObject({ part: '592.3-1', fineMrp: 40, fineTenge: 147_680, rulesVersion: 'koap-2024-12-04' });
  });

  it('within the first band’s bound is no offence', () => {
    expect(speeding('2026-05-01T10:00:00Z', 9)).toMatchObject({ part: null, type: 'none', fineTenge: null });
  });

  it('escalates a repeat of part 2 or 3 within a year to part 4 (30 МРП); part 1 and older offences do not count', () => {
    const prior = (iso: string, part: string) => ({ part, atMs: at(iso) });
    expect(speeding('2026-03-01T10:00:00Z', 45, [prior('2025-09-01T10:00:00Z', '592.2')])).toMatchObject({
      part: '592.4',
      fineMrp: 30,
      fineTenge: 129_750,
      repeatOf: '592.3',
      priorAtMs: at('2025-09-01T10:00:00Z'),
    });
    expect(speeding('2026-03-01T10:00:00Z', 25, [prior('2025-09-01T10:00:00Z', '592.4')])).toMatchObject({ part: '592.4', repeatOf: '592.2' });
    expect(speeding('2026-03-01T10:00:00Z', 45, [prior('2025-09-01T10:00:00Z', '592.1')])).toMatchObject({ part: '592.3', repeatOf: null });
    expect(speeding('2026-03-01T10:00:00Z', 45, [prior('2025-02-01T10:00:00Z', '592.2')])).toMatchObject({ part: '592.3', repeatOf: null });
    // Part 1 has no repeat escalation; a later offence does not make an earlier one a repeat.
    expect(speeding('2026-03-01T10:00:00Z', 15, [prior('2026-01-01T10:00:00Z', '592.1')])).toMatchObject({ part: '592.1', fineMrp: 5 });
    expect(speeding('2026-03-01T10:00:00Z', 45, [prior('2026-04-01T10:00:00Z', '592.2')])).toMatchObject({ part: '592.3', repeatOf: null });
  });
});

describe('warnings instead of fines', () => {
  it('gives a warning for a first offence under a part that allows one (art. 602 ч. 1: «предупреждение или штраф 3 МРП»)', () => {
    const first = decidePenalty({ kind: 'no-headlights', atMs: at('2026-02-01T12:00:00Z') }, []);
    expect(first).toMatchObject({ part: '602.1', type: 'warning', fineMrp: null, fineTenge: null });
    // Any offence in the year before makes it a fine: 3 МРП × 4,325 ₸ = 12,975 ₸.
    const second = decidePenalty({ kind: 'no-headlights', atMs: at('2026-02-01T12:00:00Z') }, [{ part: '602.1', atMs: at('2025-11-01T12:00:00Z') }]);
    expect(second).toMatchObject({ part: '602.1', type: 'fine', fineMrp: 3, fineTenge: 12_975, priorAtMs: at('2025-11-01T12:00:00Z') });
    const otherArticle = decidePenalty({ kind: 'no-headlights', atMs: at('2026-02-01T12:00:00Z') }, [{ part: '592.1', atMs: at('2025-11-01T12:00:00Z') }]);
    expect(otherArticle.type).toBe('fine');
    // More than a year later it is a first offence again.
    expect(decidePenalty({ kind: 'no-headlights', atMs: at('2026-02-01T12:00:00Z') }, [{ part: '602.1', atMs: at('2024-12-01T12:00:00Z') }]).type).toBe('warning');
  });

  it('gives no warning where the article has none: speeding and red light are fined the first time', () => {
    expect(speeding('2025-06-01T10:00:00Z', 15).type).toBe('fine');
    expect(decidePenalty({ kind: 'red-light', atMs: at('2025-06-01T10:00:00Z') }, [])).toMatchObject({ part: '599.1', type: 'fine', fineMrp: 10, fineTenge: 39_320 });
    expect(decidePenalty({ kind: 'red-light', atMs: at('2025-06-01T10:00:00Z') }, [{ part: '599.1', atMs: at('2025-01-10T10:00:00Z') }])).toMatchObject({
      part: '599.2',
      fineMrp: 15,
      fineTenge: 58_980,
    });
    expect(decidePenalty({ kind: 'unregistered-moped', atMs: at('2025-06-01T10:00:00Z') }, [])).toMatchObject({ part: '590.2', fineMrp: 10, fineTenge: 39_320 });
  });

  it('leaves kinds the rules do not cover to the officer, and a year without an МРП without tenge', () => {
    expect(decidePenalty({ kind: 'no-insurance', atMs: at('2026-01-10T10:00:00Z') }, [])).toMatchObject({ type: 'manual', part: null });
    expect(decidePenalty({ kind: 'spot-speed', atMs: at('2026-01-10T10:00:00Z'), excessKmh: null }, [])).toMatchObject({ type: 'manual' });
    expect(speeding('2027-02-01T10:00:00Z', 15)).toMatchObject({ part: '592.1', fineMrp: 5, mrpTenge: null, fineTenge: null });
  });

  it('has a source for every part of every edition', () => {
    for (const r of PENALTY_RULES) {
      for (const p of Object.values(r.parts)) {
        expect(p.source.length, p.id).toBeGreaterThan(10);
        if (p.repeat) expect(r.parts[p.repeat.part], `${p.id} → ${p.repeat.part}`).toBeDefined();
      }
      for (const b of r.speedBands) expect(r.parts[b.part]).toBeDefined();
      for (const part of Object.values(r.kinds)) expect(r.parts[part]).toBeDefined();
    }
  });
});
