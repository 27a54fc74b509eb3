import type { Band, RuleId, TransactionPolicy } from '../config/policy.ts';

export const TX_OUTCOMES = ['allow', 'hold', 'block'] as const;
export type TxOutcome = (typeof TX_OUTCOMES)[number];

export interface RuleResult {
  rule: RuleId;
  version: string;
  value: number;
  ref: string;
}

export interface TypologyResult {
  id: string;
  version: string;
  score: number;
  alert: number;
  interdiction: number;
  /** Rules that contributed a weight, with it. */
  contributions: { rule: RuleId; ref: string; value: number; weight: number }[];
}

/** A condition on the payer's or payee's identifiers (a shared indicator with effect `block`). */
export interface Condition {
  party: 'payer' | 'payee';
  overridable: boolean;
}

export interface TxDecision {
  outcome: TxOutcome;
  /** Highest typology score. */
  score: number;
  reasons: string[];
  rules: RuleResult[];
  typologies: TypologyResult[];
}

/** The band `value` falls in (`lower <= v < upper`); values below every band take the first. */
export function bandOf(bands: readonly Band[], value: number): string {
  for (const band of bands) if (value >= band.lower && (band.upper === null || value < band.upper)) return band.ref;
  return bands[0].ref;
}

export function evaluateRules(values: Record<RuleId, number>, policy: TransactionPolicy): RuleResult[] {
  return Object.values(policy.rules).map((r) => ({ rule: r.id, version: r.version, value: values[r.id], ref: bandOf(r.bands, values[r.id]) }));
}

export function scoreTypologies(results: readonly RuleResult[], policy: TransactionPolicy): TypologyResult[] {
  const byRule = new Map(results.map((r) => [r.rule, r]));
  return policy.typologies.map((t) => {
    const contributions: TypologyResult['contributions'] = [];
    let score = 0;
    for (const [rule, weights] of Object.entries(t.rules) as [RuleId, Record<string, number>][]) {
      const r = byRule.get(rule);
      const weight = r ? (weights[r.ref] ?? 0) : 0;
      if (r && weight !== 0) contributions.push({ rule, ref: r.ref, value: r.value, weight });
      score += weight;
    }
    return { id: t.id, version: t.version, score, alert: t.alert, interdiction: t.interdiction, contributions };
  });
}

const RANK: Record<TxOutcome, number> = { allow: 0, hold: 1, block: 2 };
const worst = (a: TxOutcome, b: TxOutcome): TxOutcome => (RANK[a] >= RANK[b] ? a : b);

/**
 * The decision, in Tazama's order (block > interdict > alert > proceed):
 * 1. conditions: a non-overridable block on either party blocks; an overridable one blocks unless the bank asserts
 *    an override, and then holds;
 * 2. typologies: a score at or over `interdiction` blocks, at or over `alert` holds;
 * 3. degraded mode (no database): a transfer that would be allowed is held when it is at or above the amount given.
 */
export function decideTransaction(input: {
  values: Record<RuleId, number>;
  conditions: readonly Condition[];
  override: boolean;
  amount: number;
  degradedHoldAmount: number | null;
  policy: TransactionPolicy;
}): TxDecision {
  const rules = evaluateRules(input.values, input.policy);
  const typologies = scoreTypologies(rules, input.policy);
  let outcome: TxOutcome = 'allow';
  const reasons: string[] = [];
  for (const c of input.conditions) {
    if (!c.overridable) {
      outcome = 'block';
      reasons.push(`${c.party}_listed_block`);
    } else if (input.override) {
      outcome = worst(outcome, 'hold');
      reasons.push(`${c.party}_listed_block_overridden`);
    } else {
      outcome = 'block';
      reasons.push(`${c.party}_listed_block`);
    }
  }
  for (const t of typologies) {
    if (t.score >= t.interdiction) {
      outcome = 'block';
      reasons.push(`typology_${t.id}_interdiction`);
    } else if (t.score >= t.alert) {
      outcome = worst(outcome, 'hold');
      reasons.push(`typology_${t.id}_alert`);
    }
  }
  if (outcome === 'allow' && input.degradedHoldAmount !== null && input.amount >= input.degradedHoldAmount) {
    outcome = 'hold';
    reasons.push('degraded_default');
  }
  const score = typologies.reduce((m, t) => Math.max(m, t.score), 0);
  return { outcome, score, reasons, rules, typologies };
}
