// Types of decision-log.mjs (plain JavaScript, so that the writer thread needs no TypeScript loader).

/** Where a record is written: a buffer, a view of the same bytes, and how much of it is used. */
export interface LogSegment {
  buf: Buffer;
  view: DataView;
  used: number;
}

/** What every decision has, as the screening thread hands it over. */
export interface DecisionCommon {
  id: string;
  outcome: string;
  reasons: readonly string[];
  latencyUs: number;
  degraded: boolean;
  policyVersion: string;
  partner: string;
  channel: string | null;
  area: string | null;
  region: string | null;
  /** Epoch milliseconds. */
  decidedAt: number;
}

/** A call's decision. */
export interface CallDecision extends DecisionCommon {
  score?: null;
  amount?: null;
  currency?: null;
  caller: string;
  called: string;
  ingress: string;
  trunk: string | null;
  attestation: string | null;
  /**
   * The call's risk for call-then-transfer (`flagged`, `international`, `unknown`); absent or null for a call that
   * carries none. In the subject only when there is one: the start of a process reads risky calls back by it.
   */
  risk?: string | null;
  /** The indicators that matched (their ids): what an analyst reviews or revokes. Absent or empty: none. */
  indicators?: readonly string[];
}

/** A transfer's decision. */
export interface TransactionDecision extends DecisionCommon {
  score: number;
  amount: number;
  currency: string;
  transactionId: string;
  /** The accounts' 32-byte identifier hashes. */
  payerHash: Uint8Array;
  payeeHash: Uint8Array;
  typologies: readonly { id: string; score: number }[];
  /** The indicators that matched (their ids). Absent or empty: none. */
  indicators?: readonly string[];
}

export const CALL: 0;
export const TRANSACTION: 1;
export const MAX_INTERNED: number;

export class StringTable {
  constructor(max?: number);
  /** Index = number; 0 is null. */
  readonly strings: (string | null)[];
  ref(s: string | null | undefined): number;
}

export function callBound(r: CallDecision): number;
export function transactionBound(r: TransactionDecision): number;
export function encodeCall(seg: LogSegment, table: StringTable, r: CallDecision): number;
export function encodeTransaction(seg: LogSegment, table: StringTable, r: TransactionDecision): number;

export class DecisionDecoder {
  define(first: number, strings: readonly (string | null)[]): void;
  /** The rows as text. */
  decode(bytes: Uint8Array): string;
  /** The rows as UTF-8 bytes in a buffer of their own. */
  decodeBytes(bytes: Uint8Array): Uint8Array;
}

/** The columns `DecisionCopyDecoder` writes, in its order. */
export const COPY_COLUMNS: string;

/** The same records as rows in COPY's text format (one line each) for `COPY fraud_decision (COPY_COLUMNS) FROM STDIN`. */
export class DecisionCopyDecoder extends DecisionDecoder {}
