import { describe, expect, it } from 'vitest';
import { DEFAULT_DEADLINE_H } from '../config/rules.ts';
import { allowedNext, canMove, deadlineFor, overdueAlerts } from './defects.ts';

const NOW = new Date('2026-06-10T12:00:00Z');
const h = (hours: number) => new Date(NOW.getTime() + hours * 3_600_000);

describe('defect lifecycle', () => {
  it.each([
    ['open', 'in_progress', true],
    ['open', 'fixed', true],
    ['open', 'verified', false],
    ['in_progress', 'open', true],
    ['in_progress', 'verified', false],
    ['fixed', 'verified', true],
    ['fixed', 'in_progress', true],
    ['fixed', 'open', false],
    ['verified', 'open', false],
    ['verified', 'in_progress', false],
    ['rejected', 'open', true],
    ['rejected', 'fixed', false],
  ] as const)('%s → %s: %s', (from, to, ok) => {
    expect(canMove(from, to)).toBe(ok);
  });
  it('names what is allowed next', () => {
    expect(allowedNext('fixed')).toEqual(['verified', 'in_progress']);
    expect(allowedNext('verified')).toEqual([]);
  });
});

describe('deadlines', () => {
  it('follows severity', () => {
    expect(deadlineFor('critical', NOW, DEFAULT_DEADLINE_H)).toEqual(h(24));
    expect(deadlineFor('low', NOW, DEFAULT_DEADLINE_H)).toEqual(h(720));
    expect(deadlineFor('medium', NOW, { ...DEFAULT_DEADLINE_H, medium: 10 })).toEqual(h(10));
  });
});

describe('overdueAlerts', () => {
  const d = (id: string, extra: Partial<Parameters<typeof overdueAlerts>[0][number]> = {}) => ({
    id,
    status: 'open' as const,
    severity: 'medium' as const,
    deadline: h(-1),
    overdueAlertedAt: null,
    ...extra,
  });
  it('alerts once for active defects past the deadline, with an incident from the configured severity up', () => {
    const alerts = overdueAlerts(
      [
        d('late-medium'),
        d('late-critical', { severity: 'critical', status: 'in_progress' }),
        d('late-high', { severity: 'high' }),
        d('not-yet', { deadline: h(1) }),
        d('exactly-now', { deadline: NOW }),
        d('fixed', { status: 'fixed' }),
        d('verified', { status: 'verified' }),
        d('rejected', { status: 'rejected' }),
        d('alerted', { overdueAlertedAt: h(-0.5) }),
      ],
      NOW,
      'high',
    );
    expect(alerts).toEqual([
      { id: 'late-medium', incident: false },
      { id: 'late-critical', incident: true },
      { id: 'late-high', incident: true },
    ]);
  });
  it('raises no incident when incidents are switched off', () => {
    expect(overdueAlerts([d('x', { severity: 'critical' })], NOW, null)).toEqual([{ id: 'x', incident: false }]);
  });
});
