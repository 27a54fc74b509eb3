import { describe, expect, it } from 'vitest';
import { CALL_POLICY } from '../config/policy.ts';
import { type CallFacts, decideCall } from './calls.ts';

const facts = (o: Partial<CallFacts> = {}): CallFacts => ({
  caller: '+77011234567',
  called: '+77273334455',
  ingress: 'domestic',
  callerIsKazakhstan: true,
  callerRoaming: false,
  callerListed: null,
  deviceListed: null,
  callerKnown: false,
  shaken: null,
  degraded: false,
  ...o,
});
const listed = (effect: 'block' | 'warn') => ({ effect, overridable: true, confidence: 0.9, sources: ['police_case' as const], ids: ['x'] });

describe('call rules', () => {
  it('allows an ordinary domestic call', () => {
    expect(decideCall(facts(), CALL_POLICY)).toEqual({ outcome: 'allow', reasons: ['shaken_absent'], risk: 'unknown' });
    expect(decideCall(facts({ callerKnown: true }), CALL_POLICY).risk).toBeNull();
  });

  it('blocks a Kazakhstan number arriving on an international ingress unless it is roaming', () => {
    expect(decideCall(facts({ ingress: 'international' }), CALL_POLICY)).toMatchObject({ outcome: 'block', reasons: ['domestic_cli_international_ingress', 'shaken_absent'], risk: 'international' });
    expect(decideCall(facts({ ingress: 'international', callerRoaming: true }), CALL_POLICY)).toMatchObject({ outcome: 'allow', reasons: ['roaming_confirmed', 'shaken_absent'] });
    // A foreign number from abroad is normal.
    expect(decideCall(facts({ ingress: 'international', callerIsKazakhstan: false, caller: '+74951234567' }), CALL_POLICY).outcome).toBe('allow');
  });

  it('blocks or labels a listed caller by the indicator’s effect', () => {
    expect(decideCall(facts({ callerListed: listed('block') }), CALL_POLICY)).toMatchObject({ outcome: 'block', reasons: ['caller_listed_block', 'shaken_absent'], risk: 'flagged' });
    expect(decideCall(facts({ callerListed: listed('warn'), callerKnown: true }), CALL_POLICY)).toMatchObject({ outcome: 'label', reasons: ['caller_listed_warn', 'shaken_absent'], risk: 'flagged' });
    // The calling SIM or handset on a list (a SIM-box), whatever number it shows.
    expect(decideCall(facts({ deviceListed: listed('warn'), callerKnown: true }), CALL_POLICY)).toMatchObject({ outcome: 'label', reasons: ['caller_device_listed_warn', 'shaken_absent'], risk: 'flagged' });
    expect(decideCall(facts({ deviceListed: listed('block') }), CALL_POLICY)).toMatchObject({ outcome: 'block', reasons: ['caller_device_listed_block', 'shaken_absent'], risk: 'flagged' });
  });

  it('maps SHAKEN attestation and failures through the policy', () => {
    const ok = (attest: 'A' | 'B' | 'C') => ({ ok: true as const, attest, origid: 'o', x5u: 'u' });
    expect(decideCall(facts({ shaken: ok('A') }), CALL_POLICY)).toEqual({ outcome: 'allow', reasons: ['shaken_a'], risk: null });
    expect(decideCall(facts({ shaken: ok('B') }), CALL_POLICY).outcome).toBe('label');
    expect(decideCall(facts({ shaken: ok('C') }), CALL_POLICY).outcome).toBe('label');
    const bad = { ok: false as const, reason: 'bad_signature' as const, sipCode: 438 as const };
    expect(decideCall(facts({ shaken: bad }), CALL_POLICY)).toMatchObject({ outcome: 'label', reasons: ['shaken_invalid_bad_signature'] });
    expect(decideCall(facts({ shaken: bad }), { ...CALL_POLICY, shaken: { ...CALL_POLICY.shaken, invalid: 'block' } }).outcome).toBe('block');
  });

  it('a valid A attestation does not lift a block', () => {
    const ok = { ok: true as const, attest: 'A' as const, origid: 'o', x5u: 'u' };
    expect(decideCall(facts({ shaken: ok, callerListed: listed('block') }), CALL_POLICY).outcome).toBe('block');
  });

  it('labels calls that would be allowed when degraded, and never lifts a block', () => {
    expect(decideCall(facts({ degraded: true }), CALL_POLICY)).toMatchObject({ outcome: 'label', reasons: ['shaken_absent', 'degraded_default'] });
    expect(decideCall(facts({ degraded: true }), { ...CALL_POLICY, degraded: 'allow' }).outcome).toBe('allow');
    expect(decideCall(facts({ degraded: true, ingress: 'international' }), CALL_POLICY)).toMatchObject({ outcome: 'block', reasons: ['domestic_cli_international_ingress', 'shaken_absent'] });
  });
});
