import { describe, expect, it } from 'vitest';
import { INCIDENT_STATUSES, type IncidentChanged } from '../../dispatch/events.ts';
import { decideIncidentChange, type FollowState, open311Status, REPORT_STATUSES, reportStatusOf } from './status.ts';

const event = (over: Partial<IncidentChanged> = {}): IncidentChanged => ({
  incidentId: 'inc-1',
  status: 'DISPATCHED',
  priority: 'P2',
  locationPrecision: 'point',
  category: 'theft',
  location: { lon: 76.93, lat: 43.26 },
  kato: '751110000',
  reportIds: ['r1'],
  mergedInto: null,
  note: null,
  at: '2026-01-01T12:00:00.000Z',
  ...over,
});
const state = (over: Partial<FollowState> = {}): FollowState => ({
  status: 'received',
  statusNote: null,
  noteCode: null,
  incidentId: null,
  incidentAt: null,
  falseReport: false,
  ...over,
});

describe('status mapping', () => {
  it('maps every incident status as the contract says', () => {
    expect(Object.fromEntries(INCIDENT_STATUSES.map((s) => [s, reportStatusOf(s)]))).toEqual({
      RECEIVED: 'accepted',
      TRIAGED: 'accepted',
      PENDING: 'accepted',
      DISPATCHED: 'dispatched',
      EN_ROUTE: 'dispatched',
      ON_SCENE: 'on_scene',
      CLEARED: 'closed',
      CLOSED: 'closed',
      CANCELLED: 'closed',
      MERGED: null,
    });
  });

  it('is open in Open311 until closed', () => {
    expect(REPORT_STATUSES.map(open311Status)).toEqual(['open', 'open', 'open', 'open', 'closed']);
  });
});

describe('following an incident', () => {
  it('takes the new status, the note and the incident', () => {
    const d = decideIncidentChange(state(), event({ status: 'CLOSED', note: ' Задержан, доставлен в ОП ' }), false);
    expect(d).toEqual({
      kind: 'update',
      incidentId: 'inc-1',
      incidentAt: '2026-01-01T12:00:00.000Z',
      status: 'closed',
      statusNote: 'Задержан, доставлен в ОП',
      noteCode: null,
      changed: true,
    });
  });

  it('closes a cancelled incident’s reports with the localised cancellation note when there is no text', () => {
    expect(decideIncidentChange(state({ status: 'dispatched' }), event({ status: 'CANCELLED' }), false)).toMatchObject({
      status: 'closed',
      statusNote: null,
      noteCode: 'incident_cancelled',
      changed: true,
    });
    expect(decideIncidentChange(state(), event({ status: 'CANCELLED', note: 'Ложный вызов' }), false)).toMatchObject({
      statusNote: 'Ложный вызов',
      noteCode: null,
    });
  });

  it('a new status without a note clears the old note; the same status with a new note is a change', () => {
    expect(decideIncidentChange(state({ status: 'dispatched', statusNote: 'x', incidentId: 'inc-1' }), event({ status: 'ON_SCENE' }), false)).toMatchObject({
      status: 'on_scene',
      statusNote: null,
      changed: true,
    });
    expect(
      decideIncidentChange(state({ status: 'dispatched', incidentId: 'inc-1' }), event({ status: 'EN_ROUTE', note: 'Экипаж в пути' }), false),
    ).toMatchObject({ status: 'dispatched', statusNote: 'Экипаж в пути', changed: true });
  });

  it('is no change when status and note are as they were (e.g. DISPATCHED → EN_ROUTE)', () => {
    const d = decideIncidentChange(state({ status: 'dispatched', incidentId: 'inc-1', statusNote: 'a' }), event({ status: 'EN_ROUTE' }), false);
    expect(d).toMatchObject({ kind: 'update', changed: false, status: 'dispatched', statusNote: 'a' });
  });

  it('skips a stale change of the same incident', () => {
    const s = state({ status: 'on_scene', incidentId: 'inc-1', incidentAt: '2026-01-01T12:05:00.000Z' });
    expect(decideIncidentChange(s, event({ status: 'DISPATCHED' }), false)).toEqual({ kind: 'ignore', reason: 'stale' });
  });

  it('MERGED: follows the incident it merged into, without a status change', () => {
    expect(decideIncidentChange(state({ status: 'accepted', incidentId: 'inc-1' }), event({ status: 'MERGED', mergedInto: 'inc-2' }), false)).toEqual({
      kind: 'follow',
      incidentId: 'inc-2',
    });
  });

  it('ignores a merged-away incident’s later changes for a report that follows another incident', () => {
    const s = state({ status: 'accepted', incidentId: 'inc-2' });
    expect(decideIncidentChange(s, event({ status: 'CLOSED' }), true)).toEqual({ kind: 'ignore', reason: 'merged_away' });
    // A live incident that lists the report takes it over (dispatch re-attached it).
    expect(decideIncidentChange(s, event({ status: 'ON_SCENE' }), false)).toMatchObject({ kind: 'update', incidentId: 'inc-1', status: 'on_scene' });
  });

  it('leaves a report marked false alone', () => {
    expect(decideIncidentChange(state({ status: 'closed', falseReport: true }), event(), false)).toEqual({ kind: 'ignore', reason: 'false_report' });
  });
});
