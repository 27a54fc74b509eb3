/**
 * Versioned configuration of the fraud decisions, reviewed like code. Every decision records POLICY_VERSION.
 *
 * Calls — sources: Ofcom (2025) blocks calls from abroad presenting a UK CLI unless roaming is verified; Russia's
 * "Antifraud" platform drops calls whose number's operator did not originate them; Kazakhstan's Rules for
 * communication services (MDAI, in force 18 Nov 2025) oblige operators to run anti-fraud systems. Attestation
 * levels follow ATIS-1000074 / RFC 8588.
 *
 * Transactions — Tazama's model: each rule reduces a transaction to a number, the number falls into a band
 * (`lower <= v < upper`) named by a sub-rule reference; each typology gives every band a weight; the typology's
 * score is the sum of its rules' weights; a score at or over `alert` holds the payment for review, at or over
 * `interdiction` blocks it. The thresholds and weights below are starting values to be tuned by backtests.
 */
export const POLICY_VERSION = '2026-11-24.1';

export type CallOutcomeSetting = 'allow' | 'label' | 'block';

export interface CallPolicy {
  domesticCliOnInternational: CallOutcomeSetting;
  shaken: {
    attestation: { A: CallOutcomeSetting; B: CallOutcomeSetting; C: CallOutcomeSetting };
    /** A PASSporT that fails verification. */
    invalid: CallOutcomeSetting;
    /** No Identity header (most domestic traffic today). */
    absent: CallOutcomeSetting;
  };
  /** Outcome of a call that would be allowed while the database is unreachable. */
  degraded: 'allow' | 'label';
}

export const CALL_POLICY: CallPolicy = {
  domesticCliOnInternational: 'block',
  shaken: { attestation: { A: 'allow', B: 'label', C: 'label' }, invalid: 'label', absent: 'allow' },
  degraded: 'label',
};

export const RULE_IDS = ['listed_payee', 'call_then_transfer', 'first_or_large', 'mule_inbound', 'mule_fast_out', 'velocity', 'amount_unusual'] as const;
export type RuleId = (typeof RULE_IDS)[number];

export interface Band {
  /** Sub-rule reference, e.g. `.01`. `.00` means the rule found nothing. */
  ref: string;
  lower: number;
  /** Exclusive; null = no upper limit. */
  upper: number | null;
}

export interface RuleConfig {
  id: RuleId;
  version: string;
  description: string;
  bands: Band[];
}

export interface Typology {
  id: string;
  version: string;
  name: string;
  /** Weight of each sub-rule reference, per rule; missing = 0. */
  rules: Partial<Record<RuleId, Record<string, number>>>;
  alert: number;
  interdiction: number;
}

export interface TransactionPolicy {
  /** Minutes before a transfer in which a risky call to the payer's phone counts. */
  callWindowMin: number;
  /** A transfer at or above this amount (KZT) is "large" for call-then-transfer. */
  largeAmount: number;
  /** A payee account opened (or first seen) this many days ago or less is "new" for mule detection. */
  newAccountDays: number;
  /** Window for counting a new account's distinct payers and its in/out flow, minutes. */
  muleWindowMin: number;
  /** Window for velocity, minutes. */
  velocityWindowMin: number;
  /** Past transfers a payer needs before an amount can be called unusual. */
  minHistory: number;
  rules: Record<RuleId, RuleConfig>;
  typologies: Typology[];
}

const b = (ref: string, lower: number, upper: number | null): Band => ({ ref, lower, upper });

export const TRANSACTION_POLICY: TransactionPolicy = {
  callWindowMin: 30,
  largeAmount: 500_000,
  newAccountDays: 30,
  muleWindowMin: 24 * 60,
  velocityWindowMin: 60,
  minHistory: 3,
  rules: {
    listed_payee: {
      id: 'listed_payee',
      version: '1.0.0',
      description: 'Highest confidence of a warn indicator on the payee’s account, phone or card (0 = not listed)',
      bands: [b('.00', 0, 0.01), b('.01', 0.01, 0.5), b('.02', 0.5, 0.8), b('.03', 0.8, null)],
    },
    call_then_transfer: {
      id: 'call_then_transfer',
      version: '1.0.0',
      description: 'Riskiest call to the payer’s phone within the window: 0 none, 1 first call from an unattested number, 2 from abroad, 3 from a listed number',
      bands: [b('.00', 0, 1), b('.01', 1, 2), b('.02', 2, 3), b('.03', 3, null)],
    },
    first_or_large: {
      id: 'first_or_large',
      version: '1.0.0',
      description: '1 when this is the payer’s first transfer to the payee or the amount is large, else 0',
      bands: [b('.00', 0, 1), b('.01', 1, null)],
    },
    mule_inbound: {
      id: 'mule_inbound',
      version: '1.0.0',
      description: 'Distinct payers into a new payee account within the mule window, this one included (0 if the account is not new)',
      bands: [b('.00', 0, 3), b('.01', 3, 5), b('.02', 5, 10), b('.03', 10, null)],
    },
    mule_fast_out: {
      id: 'mule_fast_out',
      version: '1.0.0',
      description: 'Share of what a new payer account received within the mule window that it now pays out (0 if not new or received nothing)',
      bands: [b('.00', 0, 0.5), b('.01', 0.5, 0.8), b('.02', 0.8, null)],
    },
    velocity: {
      id: 'velocity',
      version: '1.0.0',
      description: 'Transfers by the payer within the velocity window, this one included',
      bands: [b('.00', 0, 5), b('.01', 5, 10), b('.02', 10, 20), b('.03', 20, null)],
    },
    amount_unusual: {
      id: 'amount_unusual',
      version: '1.0.0',
      description: 'Amount divided by the median of the payer’s past amounts (0 with too little history)',
      bands: [b('.00', 0, 3), b('.01', 3, 5), b('.02', 5, 10), b('.03', 10, null)],
    },
  },
  typologies: [
    { id: 'T-LIST', version: '1.0.0', name: 'Payee on a shared warning list', rules: { listed_payee: { '.01': 200, '.02': 400, '.03': 700 } }, alert: 300, interdiction: 700 },
    {
      id: 'T-CALL',
      version: '1.0.0',
      name: 'Social engineering: a call, then a first or large transfer',
      rules: { call_then_transfer: { '.01': 200, '.02': 300, '.03': 450 }, first_or_large: { '.01': 200 } },
      alert: 400,
      interdiction: 600,
    },
    {
      id: 'T-MULE',
      version: '1.0.0',
      name: 'Money mule: a new account receiving from many payers, then paying out fast',
      rules: { mule_inbound: { '.01': 150, '.02': 350, '.03': 600 }, mule_fast_out: { '.01': 300, '.02': 450 } },
      alert: 300,
      interdiction: 600,
    },
    {
      id: 'T-BEHAVIOUR',
      version: '1.0.0',
      name: 'Unusual behaviour of the payer: velocity and amount',
      rules: { velocity: { '.01': 100, '.02': 250, '.03': 400 }, amount_unusual: { '.01': 150, '.02': 300, '.03': 450 } },
      alert: 400,
      interdiction: 800,
    },
  ],
};

/**
 * SIM-box detection from operators' call records (CDRs). A SIM-box terminates international traffic on local SIMs: a
 * SIM places many short outgoing calls, receives almost none, never moves between cells, and is new. Every
 * threshold below must hold within the window; a SIM activated within `newSimDays` is flagged with the higher
 * confidence. The flagged SIM (IMSI, ICCID) and the device (IMEI) become `warn` indicators from the operator.
 */
export interface SimBoxPolicy {
  windowMin: number;
  minOutgoing: number;
  /** Incoming calls at most this share of outgoing ones. */
  maxIncomingRatio: number;
  maxCells: number;
  maxMeanDurationS: number;
  newSimDays: number;
  confidence: { newSim: number; other: number };
  /** How long the resulting indicators stay in force. */
  validDays: number;
}

export const SIMBOX_POLICY: SimBoxPolicy = {
  windowMin: 24 * 60,
  minOutgoing: 100,
  maxIncomingRatio: 0.05,
  maxCells: 2,
  maxMeanDurationS: 90,
  newSimDays: 30,
  confidence: { newSim: 0.9, other: 0.7 },
  validDays: 30,
};

/**
 * SIM cards per person: the Rules for communication services (MDAI order, in force 18 Nov 2025) allow at most 10
 * SIM cards per individual (IIN) across all operators. More active registrations on one IIN are flagged.
 */
export const SIM_LIMIT = { maxPerIin: 10, legalSource: 'MDAI Rules for communication services, in force 2025-11-18' } as const;

/**
 * Citizens' "I was defrauded" reports (102, eGov, banks' apps): every number, account and card a report names becomes
 * a `warn` indicator at once, one per identifier for all citizens together, whose confidence grows with the number
 * of distinct reports naming it within the window. Citizen reports alone never block (they could be used to harm an
 * innocent number): the top confidence holds a transfer to the payee (T-LIST band .02) and labels calls.
 */
export const CITIZEN_POLICY = {
  contributor: 'citizen-reports',
  windowDays: 30,
  /** Confidence for 1, 2, 3 or more distinct reports. */
  confidence: [0.4, 0.6, 0.7],
  validDays: 90,
} as const;
