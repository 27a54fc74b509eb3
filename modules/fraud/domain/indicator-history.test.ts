import { describe, expect, it } from 'vitest';
import { canonicalState, changesBetween } from './indicator-history.ts';

const base = canonicalState({
  effect: 'warn',
  confidence: 0.6,
  overridable: true,
  validFrom: '2026-11-24T10:00:00+00:00',
  validUntil: null,
  note: 'first',
  source: 'bank',
  sourceRef: null,
  revoked: false,
});

describe('indicator history', () => {
  it('the first version lists what it was given', () => {
    expect(changesBetween(null, base).map((c) => c.field)).toEqual(['effect', 'confidence', 'overridable', 'validFrom', 'note', 'source']);
  });

  it('a later version lists only the fields that changed, from → to', () => {
    const next = { ...base, effect: 'block', note: null, validUntil: '2027-01-01T00:00:00.000Z' };
    expect(changesBetween(base, next)).toEqual([
      { field: 'effect', from: 'warn', to: 'block' },
      { field: 'validUntil', from: null, to: '2027-01-01T00:00:00.000Z' },
      { field: 'note', from: 'first', to: null },
    ]);
  });

  it('one instant spelt two ways is no change; a revocation is', () => {
    const same = canonicalState({ ...base, validFrom: '2026-11-24T10:00:00.000Z' });
    expect(changesBetween(base, same)).toEqual([]);
    expect(changesBetween(base, { ...base, revoked: true })).toEqual([{ field: 'revoked', from: false, to: true }]);
  });
});
