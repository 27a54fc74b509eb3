import type { CallPolicy } from '../config/policy.ts';
import type { Match } from './indicator-set.ts';
import type { ShakenResult } from './passport.ts';
import type { CallRisk } from './streams.ts';

export const CALL_OUTCOMES = ['allow', 'label', 'block'] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];
export type Ingress = 'international' | 'domestic';

/** What the call rules are given: everything already looked up in memory, nothing left to fetch. */
export interface CallFacts {
  caller: string;
  called: string;
  ingress: Ingress;
  callerIsKazakhstan: boolean;
  /** Whether the operator has told us the caller's number is roaming abroad now. */
  callerRoaming: boolean;
  callerListed: Match | null;
  /** The calling SIM (IMSI) or handset (IMEI), when the switch sent them, on an indicator list (the worse of the two). */
  deviceListed: Match | null;
  /** The caller has called this number before (within the call stream's memory). */
  callerKnown: boolean;
  /** Absent when the call carried no Identity header. */
  shaken: ShakenResult | null;
  /** The platform cannot reach its database: apply the degraded-mode default. */
  degraded: boolean;
}

export interface CallDecision {
  outcome: CallOutcome;
  reasons: string[];
  /** Risk for call-then-transfer: a flagged caller, a call from abroad, or a first call from a number not attested A. */
  risk: CallRisk | null;
}

const RANK: Record<CallOutcome, number> = { allow: 0, label: 1, block: 2 };
const worst = (a: CallOutcome, b: CallOutcome): CallOutcome => (RANK[a] >= RANK[b] ? a : b);

/**
 * The call rules, in the order reasons are reported:
 * 1. a listed caller: `block` indicators block, `warn` ones label; the same for the calling SIM or handset (a SIM-box
 *    found in the operators' call records), when the switch sent its IMSI or IMEI;
 * 2. a Kazakhstan number on an international ingress is blocked unless the operator confirms it is roaming;
 * 3. STIR/SHAKEN: a verified PASSporT maps its attestation (A/B/C) to an outcome, a failed one maps to the policy's
 *    `invalid` outcome, none at all to `absent` — each by the versioned call policy;
 * 4. in degraded mode an allowed call is labelled (the policy's safe default).
 * The outcome is the most severe of the rules'.
 */
export function decideCall(f: CallFacts, policy: CallPolicy): CallDecision {
  let outcome: CallOutcome = 'allow';
  const reasons: string[] = [];
  if (f.callerListed) {
    const blocked = f.callerListed.effect === 'block';
    outcome = worst(outcome, blocked ? 'block' : 'label');
    reasons.push(blocked ? 'caller_listed_block' : 'caller_listed_warn');
  }
  if (f.deviceListed) {
    const blocked = f.deviceListed.effect === 'block';
    outcome = worst(outcome, blocked ? 'block' : 'label');
    reasons.push(blocked ? 'caller_device_listed_block' : 'caller_device_listed_warn');
  }
  if (f.ingress === 'international' && f.callerIsKazakhstan) {
    if (f.callerRoaming) reasons.push('roaming_confirmed');
    else {
      outcome = worst(outcome, policy.domesticCliOnInternational);
      reasons.push('domestic_cli_international_ingress');
    }
  }
  if (f.shaken === null) {
    outcome = worst(outcome, policy.shaken.absent);
    reasons.push('shaken_absent');
  } else if (f.shaken.ok) {
    outcome = worst(outcome, policy.shaken.attestation[f.shaken.attest]);
    reasons.push(`shaken_${f.shaken.attest.toLowerCase()}`);
  } else {
    outcome = worst(outcome, policy.shaken.invalid);
    reasons.push(`shaken_invalid_${f.shaken.reason}`);
  }
  if (f.degraded && outcome === 'allow') {
    outcome = policy.degraded;
    reasons.push('degraded_default');
  }
  const attestedA = f.shaken?.ok === true && f.shaken.attest === 'A';
  const risk = f.callerListed || f.deviceListed ? 'flagged' : f.ingress === 'international' ? 'international' : attestedA || f.callerKnown ? null : 'unknown';
  return { outcome, reasons, risk };
}
