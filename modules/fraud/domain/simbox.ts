import type { SimBoxPolicy } from '../config/policy.ts';

/** One call record from an operator, identifiers normalised; `at` and `activatedAt` in ms since the epoch. */
export interface Cdr {
  imsi: string;
  /** The SIM's number (E.164), when the operator's record carries it. */
  msisdn: string | null;
  iccid: string | null;
  imei: string | null;
  direction: 'out' | 'in';
  cell: string;
  durationS: number;
  at: number;
  activatedAt: number | null;
}

export interface SimBoxFinding {
  imsi: string;
  msisdn: string | null;
  iccid: string | null;
  imeis: string[];
  newSim: boolean;
  outgoing: number;
  incoming: number;
  cells: number;
  meanDurationS: number;
}

interface SimState {
  out: { at: number; durationS: number }[];
  in: number[];
  cells: Map<string, number>;
  imeis: Set<string>;
  iccid: string | null;
  msisdn: string | null;
  activatedAt: number | null;
  flaggedAt: number | null;
  last: number;
}

const MAX_EVENTS = 5000;

/**
 * Per-SIM windows over a CDR stream (in memory, per process). `add` returns the SIMs that now match the SIM-box
 * pattern — each once per window. No I/O; bounded per SIM and swept by idleness.
 */
export class SimBoxDetector {
  private readonly sims = new Map<string, SimState>();
  constructor(private readonly policy: SimBoxPolicy) {}

  get size(): number {
    return this.sims.size;
  }

  add(c: Cdr): SimBoxFinding | null {
    const p = this.policy;
    let s = this.sims.get(c.imsi);
    if (!s) {
      s = { out: [], in: [], cells: new Map(), imeis: new Set(), iccid: null, msisdn: null, activatedAt: null, flaggedAt: null, last: c.at };
      this.sims.set(c.imsi, s);
    }
    const from = c.at - p.windowMin * 60_000;
    if (c.direction === 'out') s.out.push({ at: c.at, durationS: c.durationS });
    else s.in.push(c.at);
    s.cells.set(c.cell, Math.max(s.cells.get(c.cell) ?? 0, c.at));
    if (c.imei) s.imeis.add(c.imei);
    if (c.iccid) s.iccid = c.iccid;
    if (c.msisdn) s.msisdn = c.msisdn;
    if (c.activatedAt !== null) s.activatedAt = c.activatedAt;
    s.last = Math.max(s.last, c.at);
    s.out = s.out.filter((x) => x.at >= from).slice(-MAX_EVENTS);
    s.in = s.in.filter((x) => x >= from).slice(-MAX_EVENTS);
    for (const [cell, at] of s.cells) if (at < from) s.cells.delete(cell);

    if (s.flaggedAt !== null && c.at - s.flaggedAt < p.windowMin * 60_000) return null;
    const outgoing = s.out.length;
    const incoming = s.in.length;
    const meanDurationS = outgoing ? s.out.reduce((sum, x) => sum + x.durationS, 0) / outgoing : 0;
    const matches = outgoing >= p.minOutgoing && incoming <= p.maxIncomingRatio * outgoing && s.cells.size <= p.maxCells && meanDurationS <= p.maxMeanDurationS;
    if (!matches) return null;
    s.flaggedAt = c.at;
    return {
      imsi: c.imsi,
      msisdn: s.msisdn,
      iccid: s.iccid,
      imeis: [...s.imeis],
      newSim: s.activatedAt !== null && c.at - s.activatedAt <= p.newSimDays * 86_400_000,
      outgoing,
      incoming,
      cells: s.cells.size,
      meanDurationS: Math.round(meanDurationS),
    };
  }

  /** Forgets that a SIM was flagged (its indicators could not be stored), so that its next record can flag it again. */
  unflag(imsi: string): void {
    const s = this.sims.get(imsi);
    if (s) s.flaggedAt = null;
  }

  sweep(now: number): void {
    const idle = this.policy.windowMin * 60_000;
    for (const [k, s] of this.sims) if (now - s.last > idle) this.sims.delete(k);
  }
}
