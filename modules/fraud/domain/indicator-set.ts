import type { IdentifierKind } from './identifiers.ts';

export const SOURCES = ['police_case', 'bank', 'operator', 'citizen_report'] as const;
export type IndicatorSource = (typeof SOURCES)[number];
export const EFFECTS = ['block', 'warn'] as const;
export type Effect = (typeof EFFECTS)[number];

/** What the screening paths need of one indicator (the state carried by `fraud.indicator.changed`). */
export interface IndicatorState {
  id: string;
  kind: IdentifierKind;
  /** HMAC-SHA256 of `<kind>:<normal form>` under the shared key (see identifiers.ts). */
  hash: string;
  source: IndicatorSource;
  confidence: number;
  effect: Effect;
  overridable: boolean;
  validFrom: string;
  validUntil: string | null;
  revoked: boolean;
  /** Version: a later state replaces an earlier one, an earlier one arriving late is ignored. */
  updatedAt: string;
}

/** What a lookup found for one identifier: the strongest indicator in force, and all of them. */
export interface Match {
  effect: Effect;
  /** False when any block in force may not be overridden. */
  overridable: boolean;
  confidence: number;
  sources: IndicatorSource[];
  ids: string[];
}

interface Entry {
  id: string;
  source: IndicatorSource;
  confidence: number;
  block: boolean;
  overridable: boolean;
  from: number;
  until: number;
  updatedAt: number;
}

/**
 * The indicators in force, in memory, keyed by `<kind>:<hash>`: the screening hot paths look identifiers up here
 * and never in the database. Kept current by `apply` (at start from the table, then from the module's events).
 * One identifier may carry several indicators (different contributors); the lookup merges those in force.
 */
export class IndicatorSet {
  private readonly byKey = new Map<string, Entry[]>();
  private readonly keyOf = new Map<string, string>();
  private readonly versions = new Map<string, number>();

  get size(): number {
    return this.keyOf.size;
  }

  /** Applies a state; returns false when it is older than what is held (a late or repeated event). */
  apply(s: IndicatorState): boolean {
    const version = Date.parse(s.updatedAt);
    const held = this.versions.get(s.id);
    if (held !== undefined && held > version) return false;
    this.versions.set(s.id, version);
    this.remove(s.id);
    if (s.revoked) return true;
    const key = `${s.kind}:${s.hash}`;
    const entry: Entry = {
      id: s.id,
      source: s.source,
      confidence: s.confidence,
      block: s.effect === 'block',
      overridable: s.overridable,
      from: Date.parse(s.validFrom),
      until: s.validUntil ? Date.parse(s.validUntil) : Number.POSITIVE_INFINITY,
      updatedAt: version,
    };
    const list = this.byKey.get(key);
    if (list) list.push(entry);
    else this.byKey.set(key, [entry]);
    this.keyOf.set(s.id, key);
    return true;
  }

  private remove(id: string): void {
    const key = this.keyOf.get(id);
    if (!key) return;
    this.keyOf.delete(id);
    const list = this.byKey.get(key);
    if (!list) return;
    const rest = list.filter((e) => e.id !== id);
    if (rest.length === 0) this.byKey.delete(key);
    else this.byKey.set(key, rest);
  }

  /** Indicators in force for the identifier at `at` (ms since the epoch), merged; null when none. */
  lookup(kind: IdentifierKind, hash: string, at: number): Match | null {
    const list = this.byKey.get(`${kind}:${hash}`);
    if (!list) return null;
    let match: Match | null = null;
    for (const e of list) {
      if (at < e.from || at >= e.until) continue;
      if (!match) match = { effect: 'warn', overridable: true, confidence: 0, sources: [], ids: [] };
      if (e.block) {
        match.effect = 'block';
        if (!e.overridable) match.overridable = false;
      }
      match.confidence = Math.max(match.confidence, e.confidence);
      if (!match.sources.includes(e.source)) match.sources.push(e.source);
      match.ids.push(e.id);
    }
    return match;
  }
}
