/**
 * Versioned rules of the vehicles part, reviewed like code. A change bumps the version; every score and every
 * filed violation records the version it was computed under.
 *
 * «Қорғау» (Qorgau) flags cars with fake plates, no insurance, wanted status, violations and unpaid fines without
 * stopping every car (MVD; aktobeinfo.kz). Kazakhstan has no demerit-point system (only fines, the repeat-within-a-
 * year aggravation and licence deprivation), so the weights below are the programme's: a violation weighs its
 * КоАП fine in МРП ÷ 5 (the smallest camera fine, 5 МРП, is 1 point), offences punished by arrest or licence
 * deprivation weigh more than any fine, and the operational flags weigh what an ops centre wants to act on.
 * Decay (half-life) and the flag threshold are deployment settings (`settings.ts`).
 */
export const KORGAU_RULES_VERSION = '2026-11-25.1';

/** What a score is made of; each code has a localised explanation `traffic.korgau.<code>`. */
export const SCORE_ITEM_CODES = [
  'speeding',
  'speeding_pattern',
  'drunk_driving',
  'red_light',
  'other_violation',
  'no_insurance',
  'unpaid_fines',
  'wanted',
  'cloned_plate',
] as const;
export type ScoreItemCode = (typeof SCORE_ITEM_CODES)[number];

export interface SpeedBand {
  /** Excess over the limit (km/h) from which the band applies. */
  fromExcessKmh: number;
  weight: number;
  /** The КоАП article part of the band. */
  article: string;
}

export interface ScoreRules {
  version: string;
  /** Violation kind (as the violation path files it) → score item. Kinds not listed count as `other_violation`. */
  kinds: Record<string, { code: ScoreItemCode; weight: number; source: string }>;
  /** Speeding weight by excess; the highest band whose `fromExcessKmh` ≤ the excess applies. */
  speedBands: SpeedBand[];
  /** Weight of a speeding violation whose speeds are unknown. */
  speedingUnknownWeight: number;
  otherViolationWeight: number;
  /** `count` or more speeding violations within `windowDays` form a pattern worth `weight` more. */
  speedingPattern: { count: number; windowDays: number; weight: number; source: string };
  /** Operational flags: they do not decay; they last while the flag does. */
  wantedWeight: number;
  noInsuranceWeight: number;
  unpaidFineWeight: number;
  unpaidFinesCap: number;
  /** Each cloned-plate finding (decays like a violation). */
  clonedPlateWeight: number;
}

export const SCORE_RULES: ScoreRules = {
  version: KORGAU_RULES_VERSION,
  kinds: {
    // КоАП 592 (speeding; average speed since 4 Dec 2024 fined the same): weight by excess, `speedBands`.
    'average-speed': { code: 'speeding', weight: 0, source: 'КоАП РК ст. 592' },
    'spot-speed': { code: 'speeding', weight: 0, source: 'КоАП РК ст. 592' },
    speeding: { code: 'speeding', weight: 0, source: 'КоАП РК ст. 592' },
    // КоАП 599 ч.1: 10 МРП.
    'red-light': { code: 'red_light', weight: 2, source: 'КоАП РК ст. 599 ч.1 (10 МРП)' },
    // КоАП 608 ч.1: arrest 15 days and licence revoked for 7 years — heavier than any fine.
    'drunk-driving': { code: 'drunk_driving', weight: 10, source: 'КоАП РК ст. 608 ч.1 (арест 15 суток, лишение на 7 лет)' },
    // A filed no-insurance violation (ERAP links, «Цифровой кодекс»); the register's own insurance date is the
    // `no_insurance` flag below.
    'no-insurance': { code: 'other_violation', weight: 1, source: 'ОГПО ВТС; автофиксация через ЕРАП' },
    // КоАП 591 ч.1 (phone), seat belt: 5 МРП.
    phone: { code: 'other_violation', weight: 1, source: 'КоАП РК ст. 591 ч.1 (5 МРП)' },
    'seat-belt': { code: 'other_violation', weight: 1, source: 'КоАП РК (ремень безопасности, 5 МРП)' },
    // КоАП 590 ч.2: 10 МРП, but not a sign of dangerous driving.
    'unregistered-moped': { code: 'other_violation', weight: 1, source: 'КоАП РК ст. 590 ч.2' },
  },
  speedBands: [
    { fromExcessKmh: 0, weight: 1, article: '592 ч.1' },
    { fromExcessKmh: 20, weight: 2, article: '592 ч.2' },
    { fromExcessKmh: 40, weight: 4, article: '592 ч.3' },
    { fromExcessKmh: 60, weight: 8, article: '592 ч.3-1' },
  ],
  speedingUnknownWeight: 1,
  otherViolationWeight: 1,
  // California's negligent-operator rule counts 4 points in 12 months (IIHS Advisory No. 6): repetition within a
  // short window predicts crashes better than any single violation.
  speedingPattern: { count: 3, windowDays: 90, weight: 3, source: 'California DMV negligent operator (4 points / 12 months), IIHS Advisory No. 6' },
  wantedWeight: 20,
  noInsuranceWeight: 2,
  unpaidFineWeight: 1,
  unpaidFinesCap: 5,
  clonedPlateWeight: 5,
};

/**
 * Mopeds (including under 50 cc and e-mopeds up to 50 km/h) must be registered from 5 April 2025; an unregistered
 * moped is fined 10 МРП under КоАП 590 ч.2 (en.tengrinews.kz; nurtoday.com).
 */
export const MOPED_RULE = {
  version: '2025-04-05.1',
  kind: 'unregistered-moped',
  inForceFrom: '2025-04-05T00:00:00+05:00',
  article: 'КоАП РК ст. 590 ч.2',
  fineMrp: 10,
} as const;
