import { z } from 'zod';
import { type FieldError, fieldErrorsFromZod, parseReporting } from '../../../packages/kernel/src/errors.ts';
import { type CallOutcomeSetting, type CallPolicy, RULE_IDS, type RuleId, type TransactionPolicy } from '../config/policy.ts';

/**
 * The decision policy as analysts edit it (`PUT /api/v1/fraud/policy`) and as each version is stored: the transaction
 * policy (windows, rules' bands, typologies' weights and thresholds) and the call policy's outcomes. The shape is
 * checked by the zod schema; what a schema cannot say (bands ordered and non-overlapping, alert below interdiction,
 * weights only for rules and bands that exist) by `checkPolicy`, whose errors name the field. Pure: no I/O.
 */

const Setting = z.enum(['allow', 'label', 'block']);
/** Finite: zod 4 refuses NaN and ±Infinity. */
const Num = z.number();

export const BandDoc = z.strictObject({
  ref: z.string().regex(/^\.\d{2}$/),
  lower: Num,
  upper: Num.nullable(),
});

export const RuleDoc = z.strictObject({
  /** The rule's id, if given, must be its key. */
  id: z.string().optional(),
  version: z.string().trim().min(1).max(20),
  description: z.string().trim().min(1).max(500),
  bands: z.array(BandDoc).min(1).max(20),
});

export const TypologyDoc = z.strictObject({
  id: z.string().regex(/^[A-Z][A-Z0-9-]{1,31}$/),
  version: z.string().trim().min(1).max(20),
  name: z.string().trim().min(1).max(200),
  /** Weight of each band reference, per rule. */
  rules: z.record(z.string(), z.record(z.string(), Num)),
  alert: z.number().positive(),
  interdiction: z.number().positive(),
});

export const TransactionPolicyDoc = z.strictObject({
  callWindowMin: z.number().int().min(1).max(24 * 60),
  largeAmount: z.number().positive().max(1e13),
  newAccountDays: z.number().int().min(1).max(365),
  muleWindowMin: z.number().int().min(1).max(7 * 24 * 60),
  velocityWindowMin: z.number().int().min(1).max(24 * 60),
  minHistory: z.number().int().min(1).max(50),
  rules: z.record(z.string(), RuleDoc),
  typologies: z.array(TypologyDoc).min(1).max(50),
});

/** The call policy's outcomes (the degraded default stays a process setting, `TARTIP_FRAUD_DEGRADED_CALL`). */
export const CallPolicyDoc = z.strictObject({
  domesticCliOnInternational: Setting,
  shaken: z.strictObject({
    attestation: z.strictObject({ A: Setting, B: Setting, C: Setting }),
    invalid: Setting,
    absent: Setting,
  }),
});

export const PolicyDoc = z.strictObject({ transactions: TransactionPolicyDoc, calls: CallPolicyDoc });
export type PolicyDoc = z.infer<typeof PolicyDoc>;
export type CallOutcomes = Omit<CallPolicy, 'degraded'>;

/** The policy in force: what decides, under which version. */
export interface Policy {
  transactions: TransactionPolicy;
  calls: CallOutcomes;
}

/**
 * Checks a policy that passed the schema; errors are at `<prefix>.transactions.rules.<rule>.bands.<i>.lower` and so
 * on. Returns the policy in its decision form (rule ids from their keys, rules in the order of RULE_IDS).
 */
export function checkPolicy(doc: PolicyDoc, prefix: string): { ok: true; value: Policy } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const tp = `${prefix}.transactions`;
  const refs = new Map<string, Set<string>>();
  for (const [id, rule] of Object.entries(doc.transactions.rules)) {
    const rp = `${tp}.rules.${id}`;
    if (!(RULE_IDS as readonly string[]).includes(id)) {
      errors.push({ path: rp, code: 'fraud.unknown_rule', params: { rule: id } });
      continue;
    }
    if (rule.id !== undefined && rule.id !== id) errors.push({ path: `${rp}.id`, code: 'invalid_value' });
    const seen = new Set<string>();
    rule.bands.forEach((b, i) => {
      const bp = `${rp}.bands.${i}`;
      if (seen.has(b.ref)) errors.push({ path: `${bp}.ref`, code: 'fraud.duplicate_band', params: { ref: b.ref } });
      seen.add(b.ref);
      if (b.upper !== null && b.upper <= b.lower) errors.push({ path: `${bp}.upper`, code: 'fraud.band_empty' });
      const prev = rule.bands[i - 1];
      if (prev && (prev.upper === null || b.lower < prev.upper)) errors.push({ path: `${bp}.lower`, code: 'fraud.bands_overlap', params: { ref: prev.ref } });
    });
    refs.set(id, seen);
  }
  for (const id of RULE_IDS) if (!(id in doc.transactions.rules)) errors.push({ path: `${tp}.rules.${id}`, code: 'required' });
  const ids = new Set<string>();
  doc.transactions.typologies.forEach((t, i) => {
    const p = `${tp}.typologies.${i}`;
    if (ids.has(t.id)) errors.push({ path: `${p}.id`, code: 'fraud.duplicate_typology', params: { id: t.id } });
    ids.add(t.id);
    if (!(t.alert < t.interdiction)) errors.push({ path: `${p}.interdiction`, code: 'fraud.thresholds_order' });
    for (const [rule, weights] of Object.entries(t.rules)) {
      const bands = refs.get(rule);
      if (!(RULE_IDS as readonly string[]).includes(rule)) {
        errors.push({ path: `${p}.rules.${rule}`, code: 'fraud.unknown_rule', params: { rule } });
        continue;
      }
      for (const ref of Object.keys(weights)) {
        if (bands && !bands.has(ref)) errors.push({ path: `${p}.rules.${rule}.${ref}`, code: 'fraud.unknown_band', params: { rule, ref } });
      }
    }
  });
  if (errors.length > 0) return { ok: false, errors };
  const rules = Object.fromEntries(
    RULE_IDS.map((id) => {
      const r = doc.transactions.rules[id];
      return [id, { id, version: r.version, description: r.description, bands: r.bands.map((b) => ({ ...b })) }];
    }),
  ) as TransactionPolicy['rules'];
  return {
    ok: true,
    value: {
      transactions: {
        ...doc.transactions,
        rules,
        typologies: doc.transactions.typologies.map((t) => ({ ...t, rules: t.rules as Partial<Record<RuleId, Record<string, number>>> })),
      },
      calls: {
        domesticCliOnInternational: doc.calls.domesticCliOnInternational as CallOutcomeSetting,
        shaken: { ...doc.calls.shaken, attestation: { ...doc.calls.shaken.attestation } },
      },
    },
  };
}

/** Schema and checks together, for a stored version or a request body; errors at `prefix.…`. */
export function parsePolicy(raw: unknown, prefix: string): { ok: true; value: Policy } | { ok: false; errors: FieldError[] } {
  const parsed = parseReporting(PolicyDoc, raw);
  if (!parsed.success) return { ok: false, errors: fieldErrorsFromZod(parsed.error.issues, prefix) };
  return checkPolicy(parsed.data, prefix);
}
