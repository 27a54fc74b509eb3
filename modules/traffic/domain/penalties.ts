import { type ArticlePart, MRP_BY_YEAR, PENALTY_RULES, type PenaltyRules } from '../config/penalties.ts';

/**
 * The sanction for one violation (pure): the edition of the rules in force on the day of the offence, the
 * article part (speed: by the excess over the limit; other kinds: by the kind), escalation when the same
 * vehicle had an offence under the listed parts within the year before, and a warning instead of a fine for a
 * first offence (no offence of any kind in the year before) whose part allows one. Warnings count as
 * offences for later repeats. Tenge = fine in МРП × the МРП of the offence's year.
 */

export interface PriorOffence {
  /** Article part it was decided under. */
  part: string;
  /** When it was committed, ms since the epoch. */
  atMs: number;
}

export interface PenaltyInput {
  kind: string;
  atMs: number;
  /** Speed kinds: measured speed − limit, km/h. */
  excessKmh?: number | null;
}

export type PenaltyType = 'fine' | 'warning' | 'none' | 'manual';

export interface Penalty {
  rulesVersion: string;
  /** Article part, or null: no offence (`none`) or a kind the rules do not cover (`manual`: the officer decides). */
  part: string | null;
  type: PenaltyType;
  fineMrp: number | null;
  mrpYear: number;
  /** One МРП that year, null when the year is not in the table. */
  mrpTenge: number | null;
  fineTenge: number | null;
  /** Escalated as a repeat (the part it would have been otherwise). */
  repeatOf: string | null;
  /** The prior offence that made it a repeat, or that denied the warning. */
  priorAtMs: number | null;
  source: string;
}

const DAY_MS = 86_400_000;

/** The edition in force on the day of `atMs`. */
export function rulesAt(atMs: number, rules: readonly PenaltyRules[] = PENALTY_RULES): PenaltyRules {
  let found: PenaltyRules | undefined;
  for (const r of rules) if (Date.parse(`${r.effectiveFrom}T00:00:00Z`) <= atMs) found = r;
  if (!found) throw new Error(`no penalty rules in force at ${new Date(atMs).toISOString()}`);
  return found;
}

/** The speeding part for an excess, or null when the excess is within the first band's bound. */
export function speedPart(excessKmh: number, rules: PenaltyRules): string | null {
  let part: string | null = null;
  for (const b of rules.speedBands) {
    if ((b.overKmh !== undefined && excessKmh > b.overKmh) || (b.atLeastKmh !== undefined && excessKmh >= b.atLeastKmh)) part = b.part;
  }
  return part;
}

export function mrpOf(year: number): number | null {
  return MRP_BY_YEAR[year]?.tenge ?? null;
}

export function decidePenalty(input: PenaltyInput, priors: readonly PriorOffence[], rules: readonly PenaltyRules[] = PENALTY_RULES): Penalty {
  const r = rulesAt(input.atMs, rules);
  const year = new Date(input.atMs).getUTCFullYear();
  const mrp = mrpOf(year);
  const base = { rulesVersion: r.version, mrpYear: year, mrpTenge: mrp, repeatOf: null, priorAtMs: null };
  let partId: string | null;
  if (r.speedKinds.includes(input.kind)) {
    partId = input.excessKmh == null ? null : speedPart(input.excessKmh, r);
    if (partId === null) return { ...base, part: null, type: input.excessKmh == null ? 'manual' : 'none', fineMrp: null, fineTenge: null, source: r.source };
  } else {
    partId = r.kinds[input.kind] ?? null;
    if (partId === null) return { ...base, part: null, type: 'manual', fineMrp: null, fineTenge: null, source: r.source };
  }
  let part = r.parts[partId] as ArticlePart;
  const yearBefore = priors.filter((p) => p.atMs < input.atMs && input.atMs - p.atMs <= 365 * DAY_MS);
  let repeatOf: string | null = null;
  let priorAtMs: number | null = null;
  if (part.repeat) {
    const rep = part.repeat;
    const prior = latest(yearBefore.filter((p) => rep.after.includes(p.part) && input.atMs - p.atMs <= rep.withinDays * DAY_MS));
    if (prior) {
      repeatOf = part.id;
      priorAtMs = prior.atMs;
      part = r.parts[rep.part] as ArticlePart;
    }
  }
  if (part.warningAllowed && yearBefore.length === 0) {
    return { ...base, part: part.id, type: 'warning', fineMrp: null, fineTenge: null, repeatOf, priorAtMs, source: part.source };
  }
  if (part.warningAllowed && priorAtMs === null) priorAtMs = latest(yearBefore)?.atMs ?? null;
  if (part.fineMrp === null) return { ...base, part: part.id, type: 'manual', fineMrp: null, fineTenge: null, repeatOf, priorAtMs, source: part.source };
  return {
    ...base,
    part: part.id,
    type: 'fine',
    fineMrp: part.fineMrp,
    fineTenge: mrp === null ? null : part.fineMrp * mrp,
    repeatOf,
    priorAtMs,
    source: part.source,
  };
}

function latest(xs: readonly PriorOffence[]): PriorOffence | undefined {
  let best: PriorOffence | undefined;
  for (const x of xs) if (!best || x.atMs > best.atMs) best = x;
  return best;
}

/** The part's description in the edition in force at `atMs`. */
export function partAt(partId: string, atMs: number): ArticlePart | null {
  return rulesAt(atMs).parts[partId] ?? null;
}
