import { describe, expect, it } from 'vitest';
import { INCIDENT_STATUSES, type IncidentStatus } from '../events.ts';
import { checkTransition, incidentFollowsUnit, TERMINAL, TRANSITIONS, unitFollowsIncident } from './lifecycle.ts';

describe('incident lifecycle', () => {
  it('walks the happy path RECEIVED → … → CLOSED, each step by its own command', () => {
    const path: [IncidentStatus, IncidentStatus, 'manual' | 'assign'][] = [
      ['RECEIVED', 'TRIAGED', 'manual'],
      ['TRIAGED', 'PENDING', 'manual'],
      ['PENDING', 'DISPATCHED', 'assign'],
      ['DISPATCHED', 'EN_ROUTE', 'manual'],
      ['EN_ROUTE', 'ON_SCENE', 'manual'],
      ['ON_SCENE', 'CLEARED', 'manual'],
      ['CLEARED', 'CLOSED', 'manual'],
    ];
    for (const [from, to, via] of path) expect(checkTransition(from, to, via), `${from} → ${to}`).toEqual({ ok: true });
  });

  it.each([
    ['RECEIVED', 'ON_SCENE', 'not_allowed'],
    ['TRIAGED', 'CLOSED', 'not_allowed'],
    ['ON_SCENE', 'CANCELLED', 'not_allowed'],
    ['ON_SCENE', 'EN_ROUTE', 'not_allowed'],
    ['CLEARED', 'ON_SCENE', 'not_allowed'],
    ['DISPATCHED', 'MERGED', 'not_allowed'],
    ['CLOSED', 'TRIAGED', 'terminal'],
    ['CANCELLED', 'DISPATCHED', 'terminal'],
    ['MERGED', 'TRIAGED', 'terminal'],
  ] as const)('refuses %s → %s (%s)', (from, to, reason) => {
    const r = checkTransition(from, to, 'manual');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe(reason);
  });

  it('DISPATCHED only by an assignment, MERGED only by a merge', () => {
    expect(checkTransition('TRIAGED', 'DISPATCHED', 'manual')).toMatchObject({ ok: false, reason: 'wrong_command' });
    expect(checkTransition('TRIAGED', 'DISPATCHED', 'assign')).toEqual({ ok: true });
    expect(checkTransition('PENDING', 'MERGED', 'manual')).toMatchObject({ ok: false, reason: 'wrong_command' });
    expect(checkTransition('PENDING', 'MERGED', 'merge')).toEqual({ ok: true });
  });

  it('says which steps are allowed instead', () => {
    const r = checkTransition('ON_SCENE', 'CLOSED', 'manual');
    expect(r).toEqual({ ok: false, reason: 'not_allowed', allowed: ['CLEARED'] });
  });

  it('has a row for every status; terminal states lead nowhere; every target is a known status', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...INCIDENT_STATUSES].sort());
    for (const s of TERMINAL) expect(TRANSITIONS[s]).toEqual({});
    for (const next of Object.values(TRANSITIONS)) for (const to of Object.keys(next)) expect(INCIDENT_STATUSES).toContain(to);
    // Every non-terminal state can still be ended (cleared, cancelled or merged) one way or another.
    const reachEnd = (s: IncidentStatus, seen = new Set<IncidentStatus>()): boolean =>
      TERMINAL.includes(s) || (!seen.has(s) && Object.keys(TRANSITIONS[s]).some((n) => reachEnd(n as IncidentStatus, new Set([...seen, s]))));
    for (const s of INCIDENT_STATUSES) expect(reachEnd(s), s).toBe(true);
  });

  it('units and incidents pull each other along', () => {
    expect(incidentFollowsUnit('DISPATCHED', 'EN_ROUTE')).toBe('EN_ROUTE');
    expect(incidentFollowsUnit('DISPATCHED', 'ON_SCENE')).toBe('ON_SCENE');
    expect(incidentFollowsUnit('ON_SCENE', 'EN_ROUTE')).toBeNull(); // a second unit on its way does not move the incident back
    expect(unitFollowsIncident('CLEARED')).toBe('AVAILABLE');
    expect(unitFollowsIncident('CLOSED')).toBeNull();
  });
});
