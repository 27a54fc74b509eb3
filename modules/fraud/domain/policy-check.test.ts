import { describe, expect, it } from 'vitest';
import { CALL_POLICY, TRANSACTION_POLICY } from '../config/policy.ts';
import { checkPolicy, parsePolicy, type PolicyDoc } from './policy-check.ts';

const { degraded: _, ...calls } = CALL_POLICY;
const doc = (): PolicyDoc => structuredClone({ transactions: TRANSACTION_POLICY, calls }) as PolicyDoc;
const codes = (r: ReturnType<typeof checkPolicy>) => (r.ok ? [] : r.errors.map((e) => [e.path, e.code]));

describe('policy validation', () => {
  it('the built-in policy passes, in decision form', () => {
    const r = parsePolicy(doc(), 'p');
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.transactions).toEqual(TRANSACTION_POLICY);
  });

  it('bands must be ordered, non-overlapping, non-empty, with unique references; only the last may be open-ended', () => {
    const d = doc();
    d.transactions.rules.velocity.bands = [
      { ref: '.00', lower: 0, upper: 5 },
      { ref: '.01', lower: 4, upper: 10 },
      { ref: '.01', lower: 10, upper: 10 },
      { ref: '.03', lower: 20, upper: null },
    ];
    d.transactions.rules.amount_unusual.bands = [
      { ref: '.00', lower: 0, upper: null },
      { ref: '.01', lower: 3, upper: null },
    ];
    expect(codes(checkPolicy(d, 'p'))).toEqual([
      ['p.transactions.rules.velocity.bands.1.lower', 'fraud.bands_overlap'],
      ['p.transactions.rules.velocity.bands.2.ref', 'fraud.duplicate_band'],
      ['p.transactions.rules.velocity.bands.2.upper', 'fraud.band_empty'],
      ['p.transactions.rules.amount_unusual.bands.1.lower', 'fraud.bands_overlap'],
      // T-BEHAVIOUR weighs bands the edit removed.
      ['p.transactions.typologies.3.rules.velocity..02', 'fraud.unknown_band'],
      ['p.transactions.typologies.3.rules.amount_unusual..02', 'fraud.unknown_band'],
      ['p.transactions.typologies.3.rules.amount_unusual..03', 'fraud.unknown_band'],
    ]);
  });

  it('gaps between bands are allowed (a value in a gap takes the first band)', () => {
    const d = doc();
    d.transactions.rules.velocity.bands = [
      { ref: '.00', lower: 0, upper: 5 },
      { ref: '.01', lower: 6, upper: 10 },
      { ref: '.02', lower: 10, upper: 20 },
      { ref: '.03', lower: 20, upper: null },
    ];
    expect(checkPolicy(d, 'p').ok).toBe(true);
  });

  it('alert must be below interdiction; typology ids unique; weights only for known rules and bands', () => {
    const d = doc();
    d.transactions.typologies[0].alert = 700;
    d.transactions.typologies[1].id = 'T-LIST';
    d.transactions.typologies[2].rules = { ...d.transactions.typologies[2].rules, nope: { '.01': 1 }, mule_inbound: { '.09': 5 } };
    expect(codes(checkPolicy(d, 'p'))).toEqual([
      ['p.transactions.typologies.0.interdiction', 'fraud.thresholds_order'],
      ['p.transactions.typologies.1.id', 'fraud.duplicate_typology'],
      ['p.transactions.typologies.2.rules.mule_inbound..09', 'fraud.unknown_band'],
      ['p.transactions.typologies.2.rules.nope', 'fraud.unknown_rule'],
    ]);
  });

  it('every rule must be configured, and only those the engine computes', () => {
    const d = doc() as unknown as { transactions: { rules: Record<string, unknown> } };
    const { velocity, ...rest } = d.transactions.rules;
    d.transactions.rules = { ...rest, speed: velocity };
    expect(codes(checkPolicy(d as unknown as PolicyDoc, 'p'))).toEqual([
      ['p.transactions.rules.speed', 'fraud.unknown_rule'],
      ['p.transactions.rules.velocity', 'required'],
    ]);
  });

  it('the schema refuses what is not a number, unknown fields and unknown call outcomes, naming them', () => {
    const d = doc() as unknown as Record<string, Record<string, unknown>>;
    (d.transactions.typologies as Record<string, unknown>[])[0].alert = 'high';
    (d.transactions.rules as Record<string, Record<string, unknown>>).velocity.extra = true;
    d.calls.domesticCliOnInternational = 'drop';
    const r = parsePolicy(d, 'body.policy');
    expect(r.ok ? [] : r.errors.map((e) => e.path).sort()).toEqual([
      'body.policy.calls.domesticCliOnInternational',
      'body.policy.transactions.rules.velocity.extra',
      'body.policy.transactions.typologies.0.alert',
    ]);
  });

  it('a weight that is not finite is refused', () => {
    const d = doc() as unknown as { transactions: { typologies: { rules: Record<string, Record<string, number>> }[] } };
    d.transactions.typologies[0].rules.listed_payee['.01'] = Number.POSITIVE_INFINITY;
    const r = parsePolicy(d, 'p');
    expect(r.ok ? [] : r.errors.map((e) => e.path)).toEqual(['p.transactions.typologies.0.rules.listed_payee..01']);
  });
});
