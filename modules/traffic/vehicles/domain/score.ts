/**
 * The «Қорғау» dangerous-driver score. Pure: plain data in, a score with its explanation out.
 *
 * score = Σ weight × 2^(−age / half-life) over dated items (violations, cloned-plate findings, a speeding pattern)
 *       + Σ weight of operational flags that hold now (wanted, no insurance, unpaid fines — they do not decay).
 *
 * Items older than the horizon are left out. Every item is returned with its weight, decay factor, points and the
 * parameters its localised explanation needs, so an officer can see why a car is on the list.
 */
import type { ScoreItemCode, ScoreRules } from '../config/rules.ts';

/** Something that happened: a confirmed violation or a cloned-plate finding. */
export interface ScoreEvent {
  /** Violation kind as filed (`average-speed`, `red-light`, `drunk-driving`, …) or `cloned-plate`. */
  kind: string;
  /** ISO-8601 UTC. */
  at: string;
  /** Id of the violation or finding. */
  ref: string;
  plate: string;
  speedKmh?: number | null;
  limitKmh?: number | null;
  /** Cloned-plate findings: the two places' distance and the speed it would take. */
  distanceKm?: number | null;
  impliedSpeedKmh?: number | null;
}

/** What the register says about a vehicle now. */
export interface VehicleState {
  plate: string;
  wanted: boolean;
  wantedReason: string | null;
  /** Date (YYYY-MM-DD) the compulsory insurance runs to; null = no policy on record. */
  insuranceValidUntil: string | null;
}

export interface ScoreInput {
  events: readonly ScoreEvent[];
  /** Registered vehicles the score covers (one for a plate; every vehicle of an owner for a person). */
  vehicles: readonly VehicleState[];
  /** Fines issued and not paid in time. */
  unpaidFines: number;
}

export interface ScoreSettings {
  halfLifeDays: number;
  horizonDays: number;
}

export interface ScoreItem {
  code: ScoreItemCode;
  /** When it happened (dated items) or null (a flag that holds now). */
  at: string | null;
  ref: string | null;
  plate: string | null;
  weight: number;
  /** 2^(−age / half-life); 1 for flags. */
  factor: number;
  points: number;
  /** What the explanation text shows. */
  params: Record<string, string | number>;
}

export interface Score {
  score: number;
  items: ScoreItem[];
  rulesVersion: string;
  computedAt: string;
}

const DAY_MS = 86_400_000;
const round2 = (x: number) => Math.round(x * 100) / 100;

function speedingWeight(e: ScoreEvent, rules: ScoreRules): { weight: number; params: Record<string, string | number> } {
  if (e.speedKmh == null || e.limitKmh == null) return { weight: rules.speedingUnknownWeight, params: {} };
  const excess = Math.max(0, e.speedKmh - e.limitKmh);
  let band = rules.speedBands[0];
  for (const b of rules.speedBands) if (excess >= b.fromExcessKmh) band = b;
  return {
    weight: band.weight,
    params: { speedKmh: Math.round(e.speedKmh), limitKmh: Math.round(e.limitKmh), excessKmh: Math.round(excess), article: band.article },
  };
}

/** Computes the score of one vehicle or one person at `now`. */
export function computeScore(input: ScoreInput, now: Date, rules: ScoreRules, settings: ScoreSettings): Score {
  const nowMs = now.getTime();
  const horizonStart = nowMs - settings.horizonDays * DAY_MS;
  const decay = (atMs: number) => 2 ** (-Math.max(0, nowMs - atMs) / (settings.halfLifeDays * DAY_MS));
  const items: ScoreItem[] = [];
  const dated = (code: ScoreItemCode, e: ScoreEvent, weight: number, params: Record<string, string | number>) => {
    const factor = decay(Date.parse(e.at));
    items.push({ code, at: new Date(e.at).toISOString(), ref: e.ref, plate: e.plate, weight, factor: round2(factor), points: weight * factor, params });
  };

  const seen = new Set<string>();
  const speeding: number[] = [];
  for (const e of input.events) {
    const atMs = Date.parse(e.at);
    if (Number.isNaN(atMs) || atMs < horizonStart || seen.has(e.ref)) continue;
    seen.add(e.ref);
    if (e.kind === 'cloned-plate') {
      const params: Record<string, string | number> = {};
      if (e.distanceKm != null) params.distanceKm = Math.round(e.distanceKm * 10) / 10;
      if (e.impliedSpeedKmh != null) params.speedKmh = Math.round(e.impliedSpeedKmh);
      dated('cloned_plate', e, rules.clonedPlateWeight, params);
      continue;
    }
    const rule = rules.kinds[e.kind];
    if (rule?.code === 'speeding') {
      const { weight, params } = speedingWeight(e, rules);
      dated('speeding', e, weight, params);
      speeding.push(atMs);
    } else if (rule) {
      dated(rule.code, e, rule.weight, { kind: e.kind });
    } else {
      dated('other_violation', e, rules.otherViolationWeight, { kind: e.kind });
    }
  }

  // A pattern: the latest moment at which `count` speeding violations fell within `windowDays`.
  const p = rules.speedingPattern;
  speeding.sort((a, b) => a - b);
  for (let i = speeding.length - 1; i >= p.count - 1; i--) {
    const first = speeding[i - p.count + 1];
    if (speeding[i] - first <= p.windowDays * DAY_MS) {
      let count = 0;
      for (const t of speeding) if (t <= speeding[i] && speeding[i] - t <= p.windowDays * DAY_MS) count++;
      const at = new Date(speeding[i]).toISOString();
      const factor = decay(speeding[i]);
      items.push({ code: 'speeding_pattern', at, ref: null, plate: null, weight: p.weight, factor: round2(factor), points: p.weight * factor, params: { count, days: p.windowDays } });
      break;
    }
  }

  for (const v of input.vehicles) {
    if (v.wanted) {
      items.push({ code: 'wanted', at: null, ref: null, plate: v.plate, weight: rules.wantedWeight, factor: 1, points: rules.wantedWeight, params: { reason: v.wantedReason ?? '' } });
    }
    const today = now.toISOString().slice(0, 10);
    if (v.insuranceValidUntil === null || v.insuranceValidUntil < today) {
      items.push({
        code: 'no_insurance',
        at: null,
        ref: null,
        plate: v.plate,
        weight: rules.noInsuranceWeight,
        factor: 1,
        points: rules.noInsuranceWeight,
        params: { until: v.insuranceValidUntil ?? '—' },
      });
    }
  }
  if (input.unpaidFines > 0) {
    const weight = Math.min(input.unpaidFines, rules.unpaidFinesCap) * rules.unpaidFineWeight;
    items.push({ code: 'unpaid_fines', at: null, ref: null, plate: null, weight, factor: 1, points: weight, params: { count: input.unpaidFines } });
  }

  items.sort((a, b) => b.points - a.points || (b.at ?? '').localeCompare(a.at ?? ''));
  const total = items.reduce((s, i) => s + i.points, 0);
  return {
    score: round2(total),
    items: items.map((i) => ({ ...i, points: round2(i.points) })),
    rulesVersion: rules.version,
    computedAt: now.toISOString(),
  };
}
