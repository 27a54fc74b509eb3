import { z } from 'zod';
import { KINDS } from './domain/identifiers.ts';
import { EFFECTS, SOURCES } from './domain/indicator-set.ts';
import { CALL_RISKS } from './domain/streams.ts';

/**
 * Events the `fraud` module publishes. Other modules (and the module's own in-memory sets in every process) depend
 * on these shapes, never on the module's tables.
 */

/**
 * `fraud.indicators.changed` — indicators were created, changed or revoked (one, or a chunk of a bulk import). Each
 * item carries the indicator's whole state (never the identifier in the clear: kind and hash only), so applying it
 * is idempotent and the latest `updatedAt` wins.
 */
export const IndicatorState = z.object({
  id: z.string(),
  kind: z.enum(KINDS),
  hash: z.string(),
  source: z.enum(SOURCES),
  confidence: z.number(),
  effect: z.enum(EFFECTS),
  overridable: z.boolean(),
  validFrom: z.string(),
  validUntil: z.string().nullable(),
  revoked: z.boolean(),
  updatedAt: z.string(),
});
export const IndicatorsChanged = z.object({ items: z.array(IndicatorState) });
export type IndicatorsChanged = z.infer<typeof IndicatorsChanged>;
export const INDICATORS_CHANGED = 'fraud.indicators.changed';

/** `fraud.roaming.changed` — an operator told us which of its numbers are roaming abroad (and until when). */
export const RoamingChanged = z.object({
  items: z.array(z.object({ msisdn: z.string(), roaming: z.boolean(), until: z.string().nullable(), updatedAt: z.string() })),
});
export type RoamingChanged = z.infer<typeof RoamingChanged>;
export const ROAMING_CHANGED = 'fraud.roaming.changed';

/** `fraud.decision.confirmed` — a bank or an analyst said whether a screened transaction or call was fraud. */
export const DecisionConfirmed = z.object({ decisionId: z.string(), kind: z.enum(['call', 'transaction']), outcome: z.string(), fraud: z.boolean(), at: z.string() });
export type DecisionConfirmed = z.infer<typeof DecisionConfirmed>;
export const DECISION_CONFIRMED = 'fraud.decision.confirmed';

/**
 * `fraud.calls.risky` — broadcast (`Bus.broadcast`: not through the outbox, not stored: it is a stream of observations,
 * not a state change) with the calls a process screened in the last few milliseconds that are risky for
 * call-then-transfer, so every process's call stream holds them.
 */
export const RiskyCalls = z.object({
  origin: z.string(),
  items: z.array(z.object({ called: z.string(), caller: z.string(), risk: z.enum(CALL_RISKS), at: z.number() })),
});
export type RiskyCalls = z.infer<typeof RiskyCalls>;
export const CALLS_RISKY = 'fraud.calls.risky';

/**
 * `fraud.transfers.committed` — broadcast like `fraud.calls.risky`, with the transfers a process
 * let through (allowed or held) in the last few milliseconds: the accounts by their keys (the first 53 bits of their
 * keyed hashes, `accountKey`), the amount in tenge, the
 * time decided. Every other process adds them to its payment stream, so a payer's velocity, usual amount and first
 * transfers are the same whichever process screens the next one.
 */
export const TransfersCommitted = z.object({
  origin: z.string(),
  items: z.array(z.object({ payer: z.number(), payee: z.number(), amount: z.number(), at: z.number() })),
});
export type TransfersCommitted = z.infer<typeof TransfersCommitted>;
export const TRANSFERS_COMMITTED = 'fraud.transfers.committed';

/** `fraud.sim_limit.changed` — a person (IIN) went over the SIM-card limit, changed count while over it, or came back under it. */
export const SimLimitChanged = z.object({ iin: z.string(), active: z.number().int(), exceeded: z.boolean(), limit: z.number().int(), at: z.string() });
export type SimLimitChanged = z.infer<typeof SimLimitChanged>;
export const SIM_LIMIT_CHANGED = 'fraud.sim_limit.changed';

/** `fraud.case.opened` — a citizen's fraud report opened a case; its identifiers (kind and hash) became indicators. */
export const CaseOpened = z.object({ caseId: z.string(), channel: z.string(), identifiers: z.array(z.object({ kind: z.enum(KINDS), hash: z.string() })), at: z.string() });
export type CaseOpened = z.infer<typeof CaseOpened>;
export const CASE_OPENED = 'fraud.case.opened';

/**
 * `fraud.policy.changed` — an analyst saved a new version of the decision policy. Carries the whole policy, so every
 * process applies it live (a higher version replaces a lower one; a late or repeated event is ignored).
 */
export const PolicyChanged = z.object({ version: z.number().int().min(1), policy: z.unknown(), comment: z.string(), createdBy: z.string(), createdAt: z.string() });
export type PolicyChanged = z.infer<typeof PolicyChanged>;
export const POLICY_CHANGED = 'fraud.policy.changed';
