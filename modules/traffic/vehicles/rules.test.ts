/** Pure pieces of the observers and the score inputs: the moped rule and the mapping of violation events. */
import { describe, expect, it } from 'vitest';
import type { PlateRead } from '../contract.ts';
import { factsFromViolationEvent } from './korgau.ts';
import { kzDate, mopedViolations } from './observers.ts';
import { FlaggedSet } from './runtime.ts';

let n = 0;
const read = (plate: string, at: string, extra: Partial<PlateRead> = {}): PlateRead => ({
  id: `r${n++}`,
  cameraId: 'cam-1',
  plate,
  plateRaw: plate,
  country: null,
  vehicleClass: 'moped',
  at,
  lon: 71.43,
  lat: 51.13,
  speedKmh: null,
  clockInSync: true,
  imageUrl: 'https://cam/1.jpg',
  ...extra,
});

describe('mopedViolations', () => {
  it('applies from 5 April 2025, 00:00 in Kazakhstan (19:00 UTC the day before)', () => {
    const v = mopedViolations([read('01AB123', '2025-04-04T18:59:59Z'), read('02AB123', '2025-04-04T19:00:00Z')], new Map());
    expect(v.map((x) => x.plate)).toEqual(['02AB123']);
    expect(v[0].sourceKey).toBe('unregistered-moped:02AB123:2025-04-05');
  });

  it('files one violation per plate per Kazakhstan day; a read without a plate is not ANPR’s to judge', () => {
    const v = mopedViolations(
      [read('01AB123', '2026-06-01T10:00:00Z'), read('01AB123', '2026-06-01T18:30:00Z'), read('01AB123', '2026-06-01T19:30:00Z'), read(' ', '2026-06-01T10:00:00Z'), read('', '2026-06-01T10:00:01Z')],
      new Map(),
    );
    expect(v.map((x) => x.sourceKey)).toEqual(['unregistered-moped:01AB123:2026-06-01', 'unregistered-moped:01AB123:2026-06-02']);
    expect(v[0]).toMatchObject({ kind: 'unregistered-moped', readIds: [`r${n - 5}`], evidence: { reason: 'not_registered', imageUrl: 'https://cam/1.jpg', ruleVersion: '2025-04-05.1' } });
  });

  it('leaves registered mopeds and motorcycles, foreign plates and other classes alone; a car’s plate on a moped is filed', () => {
    const registered = new Map([
      ['01AB123', 'moped'],
      ['02AB123', 'motorcycle'],
      ['123ABC01', 'car'],
    ]);
    const v = mopedViolations(
      [
        read('01AB123', '2026-06-01T10:00:00Z'),
        read('02AB123', '2026-06-01T10:00:00Z'),
        read('03AB123', '2026-06-01T10:00:00Z', { country: 'KG' }),
        read('04AB123', '2026-06-01T10:00:00Z', { vehicleClass: 'car' }),
        read('05AB123', '2026-06-01T10:00:00Z', { vehicleClass: null }),
        read('123ABC01', '2026-06-01T10:00:00Z', { country: 'KZ' }),
      ],
      registered,
    );
    expect(v.map((x) => [x.plate, x.evidence.reason, x.evidence.registeredClass])).toEqual([['123ABC01', 'registered_as_other_class', 'car']]);
  });

  it('dates by Kazakhstan time', () => {
    expect(kzDate('2026-12-31T18:59:59Z')).toBe('2026-12-31');
    expect(kzDate('2026-12-31T19:00:00Z')).toBe('2027-01-01');
  });
});

describe('factsFromViolationEvent', () => {
  const event = (status: string) => ({
    violationId: 'v1',
    kind: 'average-speed',
    plate: '123ABC01',
    status,
    at: '2026-06-01T10:00:00Z',
    cameraId: 'c',
    sectionId: 's',
    kato: null,
    speedKmh: 150,
    limitKmh: 110,
    part: '592 ч.2',
    penalty: 'fine',
    noticeNumber: null,
    changedAt: '2026-06-01T10:05:00Z',
  });
  it.each([
    ['CONFIRMED', 'confirmed'],
    ['PENDING', 'pending'],
    ['REJECTED', 'rejected'],
    ['VOID', 'rejected'],
  ])('%s → %s', (status, mapped) => {
    expect(factsFromViolationEvent(event(status))).toEqual([
      { violationId: 'v1', plate: '123ABC01', kind: 'average-speed', at: '2026-06-01T10:00:00Z', speedKmh: 150, limitKmh: 110, status: mapped, unpaid: false, unpaidAfter: null, driverIin: null },
    ]);
  });
  it('a confirmed fine carries its due date until it is paid', () => {
    const due = { ...event('CONFIRMED'), paymentDueAt: '2026-07-01T10:00:00.000Z', paidAt: null };
    expect(factsFromViolationEvent(due)[0].unpaidAfter).toBe('2026-07-01T10:00:00.000Z');
    expect(factsFromViolationEvent({ ...due, paidAt: '2026-06-20T08:00:00.000Z' })[0].unpaidAfter).toBeNull();
  });
  it('ignores what it does not understand', () => {
    expect(factsFromViolationEvent({ violationId: 'v1' })).toEqual([]);
    expect(factsFromViolationEvent(null)).toEqual([]);
    expect(factsFromViolationEvent(event('LOST'))).toEqual([]);
  });
});

describe('FlaggedSet', () => {
  it('holds a plate while it is wanted or over the threshold, and forgets it when neither', () => {
    const s = new FlaggedSet();
    s.setWanted('A', 'угон');
    s.setScore('A', 12);
    s.setWanted('A', null);
    expect(s.get('A')).toEqual({ wantedReason: null, score: 12 });
    s.setScore('A', null);
    expect(s.get('A')).toBeUndefined();
    expect(s.size).toBe(0);
  });
});
