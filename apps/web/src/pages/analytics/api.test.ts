import { describe, expect, it } from 'vitest';
import { presetPeriod } from './api.ts';

describe('analytics screen periods', () => {
  const now = new Date(Date.UTC(2026, 10, 25, 1, 20));
  it('gives year to date, last calendar year, the last three months and this month, ending today', () => {
    expect(presetPeriod('ytd', now)).toEqual({ from: '2026-01-01', to: '2026-11-26' });
    expect(presetPeriod('year', now)).toEqual({ from: '2025-01-01', to: '2026-01-01' });
    expect(presetPeriod('quarter', now)).toEqual({ from: '2026-09-01', to: '2026-11-26' });
    expect(presetPeriod('month', now)).toEqual({ from: '2026-11-01', to: '2026-11-26' });
  });
});
