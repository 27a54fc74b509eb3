/**
 * Run cards against the units an incident has (ops-center.md §5.5). Pure: the caller passes the card's
 * requirements (`config/runcards.ts`) and the types of the units actively assigned.
 */
export interface Requirement {
  unitType: string;
  count: number;
}

export interface RequirementStatus {
  unitType: string;
  required: number;
  /** Units of this type assigned, counted up to `required` (a third car does not fill anything else). */
  assigned: number;
  missing: number;
}

export interface RunCardStatus {
  requirements: RequirementStatus[];
  /** Every requirement met (true for a card with none). */
  complete: boolean;
  /** What is still missing, in the card's order. */
  missing: Requirement[];
}

/** Which requirements the assigned units meet: a unit fills a requirement of its own type only. */
export function evaluateRunCard(requirements: readonly Requirement[], assignedUnitTypes: readonly string[]): RunCardStatus {
  const have = new Map<string, number>();
  for (const t of assignedUnitTypes) have.set(t, (have.get(t) ?? 0) + 1);
  const rows = requirements.map((r) => {
    const assigned = Math.min(r.count, have.get(r.unitType) ?? 0);
    return { unitType: r.unitType, required: r.count, assigned, missing: r.count - assigned };
  });
  const missing = rows.filter((r) => r.missing > 0).map((r) => ({ unitType: r.unitType, count: r.missing }));
  return { requirements: rows, complete: missing.length === 0, missing };
}

/**
 * Reorders candidates already sorted best-first so that the ones filling a missing requirement come first: walking
 * the list, a candidate whose type is still missing takes one of its places. Those fillers keep their order among
 * themselves, and so does everyone else after them; with nothing missing the order is unchanged.
 */
export function fillFirst<T extends { type: string }>(sorted: readonly T[], missing: readonly Requirement[]): (T & { fills: string | null })[] {
  const left = new Map<string, number>();
  for (const m of missing) left.set(m.unitType, (left.get(m.unitType) ?? 0) + m.count);
  const fillers: (T & { fills: string | null })[] = [];
  const rest: (T & { fills: string | null })[] = [];
  for (const x of sorted) {
    const n = left.get(x.type) ?? 0;
    if (n > 0) {
      left.set(x.type, n - 1);
      fillers.push({ ...x, fills: x.type });
    } else {
      rest.push({ ...x, fills: null });
    }
  }
  return [...fillers, ...rest];
}
