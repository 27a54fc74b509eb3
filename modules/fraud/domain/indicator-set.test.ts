import { describe, expect, it } from 'vitest';
import { type IndicatorState, IndicatorSet } from './indicator-set.ts';

const H = 'a'.repeat(64);
const state = (o: Partial<IndicatorState> = {}): IndicatorState => ({
  id: 'i1',
  kind: 'phone',
  hash: H,
  source: 'bank',
  confidence: 0.6,
  effect: 'warn',
  overridable: true,
  validFrom: '2026-01-01T00:00:00Z',
  validUntil: null,
  revoked: false,
  updatedAt: '2026-11-01T00:00:00Z',
  ...o,
});
const AT = Date.parse('2026-11-24T00:00:00Z');

describe('IndicatorSet', () => {
  it('finds an indicator by kind and hash, only within its validity period', () => {
    const s = new IndicatorSet();
    s.apply(state({ validUntil: '2026-12-01T00:00:00Z' }));
    expect(s.lookup('phone', H, AT)).toEqual({ effect: 'warn', overridable: true, confidence: 0.6, sources: ['bank'], ids: ['i1'] });
    expect(s.lookup('imei', H, AT)).toBeNull();
    expect(s.lookup('phone', H, Date.parse('2025-12-31T23:59:59Z'))).toBeNull();
    expect(s.lookup('phone', H, Date.parse('2026-12-01T00:00:00Z'))).toBeNull();
  });

  it('merges several contributors: any block blocks, a non-overridable block is final, the highest confidence counts', () => {
    const s = new IndicatorSet();
    s.apply(state());
    s.apply(state({ id: 'i2', source: 'police_case', effect: 'block', overridable: true, confidence: 0.9 }));
    expect(s.lookup('phone', H, AT)).toMatchObject({ effect: 'block', overridable: true, confidence: 0.9, sources: ['bank', 'police_case'] });
    s.apply(state({ id: 'i3', source: 'operator', effect: 'block', overridable: false, confidence: 0.5 }));
    expect(s.lookup('phone', H, AT)).toMatchObject({ effect: 'block', overridable: false, confidence: 0.9 });
    expect(s.size).toBe(3);
  });

  it('applies states by version: a revocation removes, a late older state is ignored', () => {
    const s = new IndicatorSet();
    s.apply(state({ updatedAt: '2026-11-02T00:00:00Z', effect: 'block' }));
    expect(s.apply(state({ updatedAt: '2026-11-01T00:00:00Z', effect: 'warn' }))).toBe(false);
    expect(s.lookup('phone', H, AT)?.effect).toBe('block');
    s.apply(state({ updatedAt: '2026-11-03T00:00:00Z', revoked: true }));
    expect(s.lookup('phone', H, AT)).toBeNull();
    expect(s.apply(state({ updatedAt: '2026-11-02T00:00:00Z' }))).toBe(false);
    expect(s.lookup('phone', H, AT)).toBeNull();
    expect(s.size).toBe(0);
  });

  it('moves an indicator whose hash changed', () => {
    const s = new IndicatorSet();
    s.apply(state());
    s.apply(state({ hash: 'b'.repeat(64), updatedAt: '2026-11-05T00:00:00Z' }));
    expect(s.lookup('phone', H, AT)).toBeNull();
    expect(s.lookup('phone', 'b'.repeat(64), AT)).not.toBeNull();
  });
});
