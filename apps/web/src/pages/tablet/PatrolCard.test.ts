import { describe, expect, it } from 'vitest';
import { type CurrentPatrol, stopsAhead } from './PatrolCard.tsx';

const stop = (order: number, arriveAt: string, departAt: string) => ({
  type: 'Feature',
  geometry: { type: 'Point', coordinates: [76.9 + order / 100, 43.2] as [number, number] },
  properties: { kind: 'stop' as const, unitId: 'u1', order, arriveAt, departAt, dwellMinutes: 13 },
});

describe('stopsAhead', () => {
  const current: CurrentPatrol = {
    plan: { id: 'p1', startAt: '2026-11-25T08:00:00Z', endAt: '2026-11-25T16:00:00Z' },
    route: {
      features: [
        stop(3, '2026-11-25T09:00:00Z', '2026-11-25T09:13:00Z'),
        { properties: { kind: 'route' } },
        stop(1, '2026-11-25T08:10:00Z', '2026-11-25T08:23:00Z'),
        stop(2, '2026-11-25T08:35:00Z', '2026-11-25T08:48:00Z'),
      ],
    },
  };

  it('lists the stops not yet left, in route order, the one being patrolled first', () => {
    expect(stopsAhead(current, Date.parse('2026-11-25T08:20:00Z')).map((s) => s.properties.order)).toEqual([1, 2, 3]);
    expect(stopsAhead(current, Date.parse('2026-11-25T08:30:00Z')).map((s) => s.properties.order)).toEqual([2, 3]);
  });

  it('is empty once the last stop is left, and when no plan covers the unit', () => {
    expect(stopsAhead(current, Date.parse('2026-11-25T09:13:00Z'))).toEqual([]);
    expect(stopsAhead({ plan: null, route: null }, Date.parse('2026-11-25T08:00:00Z'))).toEqual([]);
  });
});
