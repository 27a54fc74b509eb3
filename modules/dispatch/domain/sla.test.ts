import { describe, expect, it } from 'vitest';
import { RESPONSE_TARGETS } from '../config/catalogue.ts';
import { dueTimes, evaluate, isStale, type SlaIncident } from './sla.ts';

const rules = { targets: RESPONSE_TARGETS, unitAckTimeoutS: 60, telemetryStaleS: 120 };
const t0 = new Date('2026-03-01T10:00:00Z');
const at = (s: number) => new Date(t0.getTime() + s * 1000);
const incident = (over: Partial<SlaIncident> = {}): SlaIncident => ({
  id: 'i1',
  priority: 'P1',
  status: 'TRIAGED',
  kato: '751110000',
  receivedAt: t0,
  dispatchedAt: null,
  onSceneAt: null,
  ...over,
});
const none = { incidents: [], assignments: [], units: [] };

describe('SLA rules', () => {
  it('P1: dispatched within 60 s, on scene within 10 min (config)', () => {
    expect(dueTimes(incident(), RESPONSE_TARGETS)).toEqual({ dispatchDueAt: at(60), onSceneDueAt: at(600) });
    expect(dueTimes(incident({ priority: 'P4' }), RESPONSE_TARGETS).onSceneDueAt).toEqual(at(3600));
  });

  it('dispatch_overdue once the hold time is exceeded, and only while waiting', () => {
    expect(evaluate(at(60), { ...none, incidents: [incident()] }, rules)).toEqual([]);
    const late = evaluate(at(61), { ...none, incidents: [incident()] }, rules);
    expect(late).toEqual([{ kind: 'dispatch_overdue', key: 'dispatch_overdue:i1', incidentId: 'i1', unitId: null, kato: '751110000', dueAt: at(60) }]);
    expect(evaluate(at(61), { ...none, incidents: [incident({ status: 'DISPATCHED', dispatchedAt: at(30) })] }, rules)).toEqual([]);
    expect(evaluate(at(61), { ...none, incidents: [incident({ priority: 'P3' })] }, rules)).toEqual([]);
  });

  it('dispatch_overdue again when a dispatched incident goes back to waiting, counted from then, once per time', () => {
    // Dispatched at 30 s; the unit was released at 100 s and the incident is PENDING again.
    const back = incident({ status: 'PENDING', dispatchedAt: at(30), requeuedAt: at(100) });
    expect(evaluate(at(160), { ...none, incidents: [back] }, rules)).toEqual([]);
    expect(evaluate(at(161), { ...none, incidents: [back] }, rules)).toEqual([
      { kind: 'dispatch_overdue', key: `dispatch_overdue:i1:${at(100).toISOString()}`, incidentId: 'i1', unitId: null, kato: '751110000', dueAt: at(160) },
    ]);
    // Sent again and released again later: another alert, with its own key.
    const again = evaluate(at(400), { ...none, incidents: [{ ...back, requeuedAt: at(300) }] }, rules);
    expect(again.map((c) => c.key)).toEqual([`dispatch_overdue:i1:${at(300).toISOString()}`]);
  });

  it('on_scene_overdue when nobody arrived in time', () => {
    const i = incident({ status: 'EN_ROUTE', dispatchedAt: at(30) });
    expect(evaluate(at(600), { ...none, incidents: [i] }, rules)).toEqual([]);
    expect(evaluate(at(601), { ...none, incidents: [i] }, rules).map((c) => c.kind)).toEqual(['on_scene_overdue']);
    expect(evaluate(at(601), { ...none, incidents: [{ ...i, status: 'ON_SCENE', onSceneAt: at(500) }] }, rules)).toEqual([]);
  });

  it('unit_no_ack when a dispatched unit has not acknowledged within the timeout', () => {
    const a = { id: 'a1', incidentId: 'i1', unitId: 'u1', kato: '751110000', assignedAt: at(0), acknowledgedAt: null };
    expect(evaluate(at(60), { ...none, assignments: [a] }, rules)).toEqual([]);
    expect(evaluate(at(61), { ...none, assignments: [a] }, rules).map((c) => [c.kind, c.key, c.unitId])).toEqual([['unit_no_ack', 'unit_no_ack:a1', 'u1']]);
    expect(evaluate(at(61), { ...none, assignments: [{ ...a, acknowledgedAt: at(20) }] }, rules)).toEqual([]);
  });

  it('unit_stale once per silence; out-of-service units and units never seen are left alone', () => {
    const u = { id: 'u1', status: 'AVAILABLE' as const, homeKato: '751110000', lastAt: at(0) };
    expect(isStale(at(0), at(120), 120)).toBe(false);
    expect(isStale(at(0), at(121), 120)).toBe(true);
    expect(isStale(null, at(9999), 120)).toBe(false);
    const c = evaluate(at(121), { ...none, units: [u] }, rules);
    expect(c.map((x) => x.key)).toEqual([`unit_stale:u1:${at(0).toISOString()}`]);
    // Reports again, falls silent again: a new condition (a new key).
    expect(evaluate(at(400), { ...none, units: [{ ...u, lastAt: at(200) }] }, rules)[0].key).not.toBe(c[0].key);
    expect(evaluate(at(999), { ...none, units: [{ ...u, status: 'OUT_OF_SERVICE' }] }, rules)).toEqual([]);
    expect(evaluate(at(999), { ...none, units: [{ ...u, lastAt: null }] }, rules)).toEqual([]);
  });
});
