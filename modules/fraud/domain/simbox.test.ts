import { describe, expect, it } from 'vitest';
import { SIMBOX_POLICY as P } from '../config/policy.ts';
import { type Cdr, SimBoxDetector } from './simbox.ts';

const T0 = Date.parse('2026-11-24T00:00:00Z');
const MIN = 60_000;
const cdr = (o: Partial<Cdr>): Cdr => ({ imsi: '401011234567890', msisdn: null, iccid: null, imei: '490154203237518', direction: 'out', cell: 'C1', durationS: 30, at: T0, activatedAt: null, ...o });

/** Feeds `n` outgoing calls a minute apart; returns the findings. */
function feed(d: SimBoxDetector, n: number, o: Partial<Cdr> = {}, start = T0) {
  const found = [];
  for (let i = 0; i < n; i++) {
    const f = d.add(cdr({ at: start + i * MIN, ...o }));
    if (f) found.push({ i, f });
  }
  return found;
}

describe('SIM-box detection from CDRs', () => {
  it('flags a new SIM placing many short calls from one cell with no incoming calls — once, at the threshold', () => {
    const d = new SimBoxDetector(P);
    const found = feed(d, 150, { iccid: '8970101234567890123', msisdn: '+77071234567', activatedAt: T0 - 2 * 86_400_000 });
    expect(found).toEqual([
      {
        i: P.minOutgoing - 1,
        f: { imsi: '401011234567890', msisdn: '+77071234567', iccid: '8970101234567890123', imeis: ['490154203237518'], newSim: true, outgoing: 100, incoming: 0, cells: 1, meanDurationS: 30 },
      },
    ]);
  });

  it('a SIM whose finding could not be stored (unflag) is flagged again by its next call', () => {
    const d = new SimBoxDetector(P);
    expect(feed(d, P.minOutgoing).length).toBe(1);
    expect(d.add(cdr({ at: T0 + P.minOutgoing * MIN }))).toBeNull();
    d.unflag('401011234567890');
    expect(d.add(cdr({ at: T0 + (P.minOutgoing + 1) * MIN }))).toMatchObject({ imsi: '401011234567890' });
  });

  it('does not flag an ordinary busy subscriber: incoming calls, movement, longer calls, or too few calls', () => {
    const withIncoming = new SimBoxDetector(P);
    for (let i = 0; i < 10; i++) withIncoming.add(cdr({ direction: 'in', at: T0 + i }));
    expect(feed(withIncoming, 150)).toEqual([]);

    const moving = new SimBoxDetector(P);
    for (const cell of ['C2', 'C3']) moving.add(cdr({ cell, at: T0 }));
    expect(feed(moving, 150)).toEqual([]);

    expect(feed(new SimBoxDetector(P), 150, { durationS: 240 })).toEqual([]);
    expect(feed(new SimBoxDetector(P), P.minOutgoing - 1)).toEqual([]);
  });

  it('counts only the window; an old SIM is flagged with newSim false', () => {
    const d = new SimBoxDetector(P);
    // 60 calls, then a day later 60 more: never 100 within 24 h.
    expect(feed(d, 60)).toEqual([]);
    expect(feed(d, 60, {}, T0 + 2 * P.windowMin * MIN)).toEqual([]);
    const old = new SimBoxDetector(P);
    expect(feed(old, 100, { activatedAt: T0 - 400 * 86_400_000 })[0].f.newSim).toBe(false);
  });

  it('sweep forgets idle SIMs', () => {
    const d = new SimBoxDetector(P);
    feed(d, 3);
    d.sweep(T0 + 3 * P.windowMin * MIN);
    expect(d.size).toBe(0);
  });
});
