import { INCIDENT_TYPE_CODES, type UnitType } from './catalogue.ts';

/**
 * Run cards: which units an incident type needs, by unit type and count. Versioned configuration beside the
 * incident catalogue, reviewed like code; a change bumps `RUN_CARDS_VERSION`, which every run card in the API
 * carries, so a recommendation can be explained with the rules of its day.
 *
 * The recommendation puts the units that fill a missing requirement first (`domain/runcard.ts`); an incident type
 * without a card asks for nothing in particular, and the nearest unit of any type comes first (plain travel-time
 * order). Commercial CADs also match cards on a zone polygon and a time window (ops-center.md §3 "Unit
 * recommendation": Vadim PS.Pro run cards, SOMA dispatch plans; §5 item 5); here a card depends on the incident
 * type only.
 *
 * The cards below are the programme's defaults, not taken from a published regulation; to be confirmed with each
 * ЦОУ:
 * - `traffic-accident`: a patrol car secures the scene, the traffic police document the collision (ДТП
 *   paperwork is the traffic police's).
 * - `robbery`: two patrol cars — one to the scene, one to cut off the way out.
 * - `suspicious-object`: a patrol car to cordon off, and the National Guard (explosives and cordon support).
 */
export const RUN_CARDS_VERSION = '2026-12-01.1';

export interface UnitRequirement {
  unitType: UnitType;
  count: number;
}

export const RUN_CARDS: Readonly<Record<string, readonly UnitRequirement[]>> = {
  'traffic-accident': [
    { unitType: 'PATROL_CAR', count: 1 },
    { unitType: 'TRAFFIC_POLICE', count: 1 },
  ],
  robbery: [{ unitType: 'PATROL_CAR', count: 2 }],
  'suspicious-object': [
    { unitType: 'PATROL_CAR', count: 1 },
    { unitType: 'NATIONAL_GUARD', count: 1 },
  ],
};

/** The requirements of an incident category; none when it has no card. */
export function runCardFor(category: string): readonly UnitRequirement[] {
  return Object.hasOwn(RUN_CARDS, category) ? RUN_CARDS[category] : [];
}

/** Every card names a known incident type, each unit type at most once, with a count of 1 to 10. */
export function checkRunCards(cards: Readonly<Record<string, readonly UnitRequirement[]>> = RUN_CARDS): string[] {
  const problems: string[] = [];
  for (const [category, reqs] of Object.entries(cards)) {
    if (!INCIDENT_TYPE_CODES.includes(category)) problems.push(`${category}: not an incident type`);
    const seen = new Set<string>();
    for (const r of reqs) {
      if (seen.has(r.unitType)) problems.push(`${category}: ${r.unitType} twice`);
      seen.add(r.unitType);
      if (!Number.isInteger(r.count) || r.count < 1 || r.count > 10) problems.push(`${category}: ${r.unitType} count ${r.count}`);
    }
  }
  return problems;
}
