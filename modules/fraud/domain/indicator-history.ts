/**
 * An indicator's history: each change stores the indicator's whole state after it; what changed is the difference
 * between a state and the one before it. Pure: no I/O.
 */

/** The fields of an indicator a change can touch, as stored in `fraud_indicator_history.state`. */
export const TRACKED = ['effect', 'confidence', 'overridable', 'validFrom', 'validUntil', 'note', 'source', 'sourceRef', 'revoked'] as const;
export type Tracked = (typeof TRACKED)[number];

export interface HistoryState {
  effect: string;
  confidence: number;
  overridable: boolean;
  validFrom: string;
  validUntil: string | null;
  note: string | null;
  source: string;
  sourceRef: string | null;
  revoked: boolean;
}

export interface FieldChange {
  field: Tracked;
  from: unknown;
  to: unknown;
}

/** Timestamps compared as instants (the database may spell one instant several ways). */
function same(field: Tracked, a: unknown, b: unknown): boolean {
  if ((field === 'validFrom' || field === 'validUntil') && typeof a === 'string' && typeof b === 'string') return Date.parse(a) === Date.parse(b);
  if (field === 'confidence' && a !== null && b !== null) return Number(a) === Number(b);
  return (a ?? null) === (b ?? null);
}

/** The fields that differ between two states (all of them, from nothing, for the first). */
export function changesBetween(before: HistoryState | null, after: HistoryState): FieldChange[] {
  const out: FieldChange[] = [];
  for (const f of TRACKED) {
    const to = after[f] ?? null;
    const from = before ? (before[f] ?? null) : null;
    if (before && same(f, from, to)) continue;
    if (!before && (to === null || (f === 'revoked' && to === false))) continue;
    out.push({ field: f, from, to });
  }
  return out;
}

/** A stored state in a canonical form (instants as ISO-8601 UTC, confidence a number). */
export function canonicalState(raw: Record<string, unknown>): HistoryState {
  const iso = (v: unknown) => (typeof v === 'string' && v !== '' ? new Date(v).toISOString() : null);
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    effect: String(raw.effect ?? ''),
    confidence: Number(raw.confidence ?? 0),
    overridable: raw.overridable === true,
    validFrom: iso(raw.validFrom) ?? '',
    validUntil: iso(raw.validUntil),
    note: text(raw.note),
    source: String(raw.source ?? ''),
    sourceRef: text(raw.sourceRef),
    revoked: raw.revoked === true,
  };
}
