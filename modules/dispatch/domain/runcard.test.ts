import { describe, expect, it } from 'vitest';
import { INCIDENT_TYPE_CODES, UNIT_TYPES } from '../config/catalogue.ts';
import { checkRunCards, RUN_CARDS, runCardFor } from '../config/runcards.ts';
import { rankUnits } from './recommend.ts';
import { evaluateRunCard, fillFirst } from './runcard.ts';

const o = { citySpeedKmh: 36, footSpeedKmh: 5, detourFactor: 1, maxKm: 50, limit: 10 };
/** A unit `m` metres east of (0, 0) on the equator. */
const at = (id: string, type: string, m: number) => ({ id, callSign: id, type, position: { lon: m / 111_195, lat: 0 } });
const order = (r: { items: { callSign: string }[] }) => r.items.map((x) => x.callSign);

describe('run cards (config)', () => {
  it('are consistent: known incident types and unit types, sane counts', () => {
    expect(checkRunCards()).toEqual([]);
    for (const reqs of Object.values(RUN_CARDS)) for (const r of reqs) expect(UNIT_TYPES).toContain(r.unitType);
    expect(Object.keys(RUN_CARDS).every((c) => INCIDENT_TYPE_CODES.includes(c))).toBe(true);
    expect(checkRunCards({ flood: [{ unitType: 'PATROL_CAR', count: 0 }], theft: [{ unitType: 'PATROL_CAR', count: 1 }, { unitType: 'PATROL_CAR', count: 1 }] })).toEqual([
      'flood: not an incident type',
      'flood: PATROL_CAR count 0',
      'theft: PATROL_CAR twice',
    ]);
  });

  it('ask what the brief names: accident = car + traffic police, robbery = two cars, suspicious object = car + National Guard', () => {
    expect(runCardFor('traffic-accident')).toEqual([
      { unitType: 'PATROL_CAR', count: 1 },
      { unitType: 'TRAFFIC_POLICE', count: 1 },
    ]);
    expect(runCardFor('robbery')).toEqual([{ unitType: 'PATROL_CAR', count: 2 }]);
    expect(runCardFor('suspicious-object')).toEqual([
      { unitType: 'PATROL_CAR', count: 1 },
      { unitType: 'NATIONAL_GUARD', count: 1 },
    ]);
    expect(runCardFor('noise')).toEqual([]);
    expect(runCardFor('constructor')).toEqual([]); // not an own property: no card
  });
});

describe('evaluateRunCard', () => {
  const accident = runCardFor('traffic-accident');

  it('nothing assigned: everything missing', () => {
    expect(evaluateRunCard(accident, [])).toEqual({
      requirements: [
        { unitType: 'PATROL_CAR', required: 1, assigned: 0, missing: 1 },
        { unitType: 'TRAFFIC_POLICE', required: 1, assigned: 0, missing: 1 },
      ],
      complete: false,
      missing: [
        { unitType: 'PATROL_CAR', count: 1 },
        { unitType: 'TRAFFIC_POLICE', count: 1 },
      ],
    });
  });

  it('a unit fills its own type only; extra units fill nothing else', () => {
    const r = evaluateRunCard(accident, ['PATROL_CAR', 'PATROL_CAR', 'FOOT_PATROL']);
    expect(r.requirements).toEqual([
      { unitType: 'PATROL_CAR', required: 1, assigned: 1, missing: 0 },
      { unitType: 'TRAFFIC_POLICE', required: 1, assigned: 0, missing: 1 },
    ]);
    expect(r).toMatchObject({ complete: false, missing: [{ unitType: 'TRAFFIC_POLICE', count: 1 }] });
  });

  it('counts: a robbery with one car still misses one', () => {
    expect(evaluateRunCard(runCardFor('robbery'), ['PATROL_CAR']).missing).toEqual([{ unitType: 'PATROL_CAR', count: 1 }]);
    expect(evaluateRunCard(runCardFor('robbery'), ['PATROL_CAR', 'PATROL_CAR']).complete).toBe(true);
  });

  it('no card: nothing required, complete', () => {
    expect(evaluateRunCard([], [])).toEqual({ requirements: [], complete: true, missing: [] });
  });
});

describe('fillFirst', () => {
  const list = [
    { id: 'car1', type: 'PATROL_CAR' },
    { id: 'car2', type: 'PATROL_CAR' },
    { id: 'foot', type: 'FOOT_PATROL' },
    { id: 'tp1', type: 'TRAFFIC_POLICE' },
    { id: 'tp2', type: 'TRAFFIC_POLICE' },
  ];

  it('moves the best unit of each missing type to the front, keeping the order otherwise', () => {
    const r = fillFirst(list, [{ unitType: 'TRAFFIC_POLICE', count: 1 }]);
    expect(r.map((x) => [x.id, x.fills])).toEqual([
      ['tp1', 'TRAFFIC_POLICE'],
      ['car1', null],
      ['car2', null],
      ['foot', null],
      ['tp2', null],
    ]);
  });

  it('fills counts: two missing cars take the two best cars', () => {
    expect(fillFirst(list, [{ unitType: 'PATROL_CAR', count: 2 }, { unitType: 'TRAFFIC_POLICE', count: 1 }]).map((x) => x.id)).toEqual(['car1', 'car2', 'tp1', 'foot', 'tp2']);
  });

  it('nothing missing: the order is unchanged', () => {
    expect(fillFirst(list, []).map((x) => x.id)).toEqual(list.map((x) => x.id));
    expect(fillFirst(list, []).every((x) => x.fills === null)).toBe(true);
  });
});

describe('rankUnits with a run card', () => {
  const units = [at('CAR-1', 'PATROL_CAR', 500), at('CAR-2', 'PATROL_CAR', 800), at('WALK', 'FOOT_PATROL', 600), at('TP-1', 'TRAFFIC_POLICE', 3000), at('NG-1', 'NATIONAL_GUARD', 4000)];

  it('without need: by travel time, as before (the walker is slow)', () => {
    const r = rankUnits({ lon: 0, lat: 0 }, units, null, o);
    expect(order(r)).toEqual(['CAR-1', 'CAR-2', 'TP-1', 'NG-1', 'WALK']);
    expect(r.items.every((x) => x.fills === null)).toBe(true);
    expect(r.items.map((x) => x.rank)).toEqual([1, 2, 3, 4, 5]);
  });

  it('a traffic accident with nothing assigned: the nearest car, then the nearest traffic police, then the rest', () => {
    const need = evaluateRunCard(runCardFor('traffic-accident'), []).missing;
    const r = rankUnits({ lon: 0, lat: 0 }, units, null, { ...o, need });
    expect(r.items.map((x) => [x.callSign, x.fills, x.rank])).toEqual([
      ['CAR-1', 'PATROL_CAR', 1],
      ['TP-1', 'TRAFFIC_POLICE', 2],
      ['CAR-2', null, 3],
      ['NG-1', null, 4],
      ['WALK', null, 5],
    ]);
  });

  it('the car already there: the traffic police unit comes first', () => {
    const need = evaluateRunCard(runCardFor('traffic-accident'), ['PATROL_CAR']).missing;
    expect(order(rankUnits({ lon: 0, lat: 0 }, units, null, { ...o, need }))).toEqual(['TP-1', 'CAR-1', 'CAR-2', 'NG-1', 'WALK']);
  });

  it('a filler beyond the limit is still offered', () => {
    const need = evaluateRunCard(runCardFor('suspicious-object'), ['PATROL_CAR']).missing;
    const r = rankUnits({ lon: 0, lat: 0 }, units, null, { ...o, limit: 2, need });
    expect(order(r)).toEqual(['NG-1', 'CAR-1']);
  });

  it('a missing type with no candidate changes nothing', () => {
    const r = rankUnits({ lon: 0, lat: 0 }, units.filter((u) => u.type !== 'NATIONAL_GUARD'), null, { ...o, need: [{ unitType: 'NATIONAL_GUARD', count: 1 }] });
    expect(order(r)).toEqual(['CAR-1', 'CAR-2', 'TP-1', 'WALK']);
  });
});
