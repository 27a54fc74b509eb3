import { describe, expect, it } from 'vitest';
import { type IndicatorState, IndicatorSet } from './indicator-set.ts';

const H = 'a'.repeat(64);
const state = (o: Partial<IndicatorState> = {}): IndicatorState => ({
  id: 'i1',
  kind: 'phone',
  hash: H,
  source: 'bank',
  confidence: 0.6,
  effect: 'warn',
  overridable: true,
  validFrom: '2026-01-01T00:00:00Z',
  validUntil: null,
  revoked: false,
  updatedAt: '2026-11-01T00:00:00Z',
  ...o,
});
const AT = Date.parse('2026-11-24T00:00:00Z');

describe('IndicatorSet', () => {
  it('finds an indicator by kind and hash, only within its validity period', () => {
    const s = new IndicatorSet();
    s.apply(state({ validUntil: '2026-12-01T00:00:00Z' }));
    expect(s.lookup('phone', H, AT)).toEqual({ effect: 'warn', overridable: true, confidence: 0.6, sources: ['bank'], ids: ['i1'] });
    expect(s.lookup('imei', H, AT)).toBeNull();
    expect(s.lookup('phone', H, Date.parse('2025-12-31T23:59:59Z'))).toBeNull();
    expect(s.lookup('phone', H, Date.parse('2026-12-01T00:00:00Z'))).toBeNull();
  });

  it('merges several contributors: any block blocks, a non-overridable block is final, the highest confidence counts', () => {
    const s = new IndicatorSet();
    s.apply(state());
    s.apply(state({ id: 'i2', source: 'police_case', effect: 'block', overridable: true, confidence: 0.9 }));
    expect(s.lookup('phone', H, AT)).toMatchObject({ effect: 'block', overridable: true, confidence: 0.9, sources: ['bank', 'police_case'] });
    s.apply(state({ id: 'i3', source: 'operator', effect: 'block', overridable: false, confidence: 0.5 }));
    expect(s.lookup('phone', H, AT)).toMatchObject({ effect: 'block', overridable: false, confidence: 0.9 });
    expect(s.size).toBe(3);
  });

  it('applies states by version: a revocation removes, a late older state is ignored', () => {
    const s = new IndicatorSet();
    s.apply(state({ updatedAt: '2026-11-02T00:00:00Z', effect: 'block' }));
    expect(s.apply(state({ updatedAt: '2026-11-01T00:00:00Z', effect: 'warn' }))).toBe(false);
    expect(s.lookup('phone', H, AT)?.effect).toBe('block');
    s.apply(state({ updatedAt: '2026-11-03T00:00:00Z', revoked: true }));
    expect(s.lookup('phone', H, AT)).toBeNull();
    expect(s.apply(state({ updatedAt: '2026-11-02T00:00:00Z' }))).toBe(false);
    expect(s.lookup('phone', H, AT)).toBeNull();
    expect(s.size).toBe(0);
  });

  it('tells apart identifiers whose slot hashes are equal: same first bytes, or the same hash of another kind', () => {
    const s = new IndicatorSet();
    // The table compares a 32-bit slot hash before the identifier itself; these three share their first 4 bytes.
    const h1 = `${'c'.repeat(8)}${'1'.repeat(56)}`;
    const h2 = `${'c'.repeat(8)}${'2'.repeat(56)}`;
    s.apply(state({ id: 'p1', hash: h1 }));
    s.apply(state({ id: 'p2', hash: h2, effect: 'block' }));
    s.apply(state({ id: 'c1', kind: 'card', hash: h1, confidence: 0.9 }));
    expect(s.lookup('phone', h1, AT)).toMatchObject({ effect: 'warn', ids: ['p1'] });
    expect(s.lookup('phone', h2, AT)).toMatchObject({ effect: 'block', ids: ['p2'] });
    expect(s.lookup('card', h1, AT)).toMatchObject({ confidence: 0.9, ids: ['c1'] });
    expect(s.lookup('phone', `${'c'.repeat(8)}${'3'.repeat(56)}`, AT)).toBeNull();
    // Removing the first of the run leaves the others findable.
    s.apply(state({ id: 'p1', hash: h1, revoked: true, updatedAt: '2026-11-02T00:00:00Z' }));
    expect(s.lookup('phone', h1, AT)).toBeNull();
    expect(s.lookup('phone', h2, AT)?.ids).toEqual(['p2']);
    expect(s.lookup('card', h1, AT)?.ids).toEqual(['c1']);
  });

  it('moves an indicator whose hash changed', () => {
    const s = new IndicatorSet();
    s.apply(state());
    s.apply(state({ hash: 'b'.repeat(64), updatedAt: '2026-11-05T00:00:00Z' }));
    expect(s.lookup('phone', H, AT)).toBeNull();
    expect(s.lookup('phone', 'b'.repeat(64), AT)).not.toBeNull();
  });
});

describe('IndicatorSet against a plain model', () => {
  // A seeded generator, so that a failure can be replayed.
  function random(seed: number) {
    let x = seed >>> 0;
    return () => {
      x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
      x ^= x + Math.imul(x ^ (x >>> 7), 61);
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
  }
  const hex = (rnd: () => number, n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('');
  const uuid = (rnd: () => number) => {
    const h = hex(rnd, 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };

  it('gives the same answers as a map of lists through 20,000 random adds, changes, moves and revocations (tables grow and shrink)', () => {
    const rnd = random(20261125);
    const kinds = ['phone', 'iban', 'card'] as const;
    const hashes = Array.from({ length: 400 }, () => hex(rnd, 64));
    const ids = Array.from({ length: 3000 }, (_, i) => (i % 50 === 0 ? `import-${i}` : uuid(rnd)));
    const model = new Map<string, IndicatorState>();
    const set = new IndicatorSet();
    let clock = Date.parse('2026-01-01T00:00:00Z');
    for (let step = 0; step < 20_000; step++) {
      const id = ids[Math.floor(rnd() * ids.length)];
      const held = model.get(id);
      clock += 1000;
      const late = held && rnd() < 0.05;
      const s = state({
        id,
        kind: kinds[Math.floor(rnd() * kinds.length)],
        hash: hashes[Math.floor(rnd() * hashes.length)],
        source: (['bank', 'operator', 'police_case', 'citizen_report'] as const)[Math.floor(rnd() * 4)],
        confidence: Math.round(rnd() * 100) / 100,
        effect: rnd() < 0.5 ? 'block' : 'warn',
        overridable: rnd() < 0.7,
        validFrom: new Date(AT - (rnd() < 0.9 ? 1 : -1) * 86_400_000).toISOString(),
        revoked: rnd() < 0.3,
        updatedAt: new Date(late ? Date.parse(held.updatedAt) - 500 : clock).toISOString(),
      });
      const applied = set.apply(s);
      expect(applied).toBe(!late);
      if (applied) model.set(id, s);
    }
    const live = [...model.values()].filter((s) => !s.revoked);
    expect(set.size).toBe(live.length);
    for (const kind of kinds) {
      for (const hash of hashes) {
        const inForce = live.filter((s) => s.kind === kind && s.hash === hash && Date.parse(s.validFrom) <= AT);
        const got = set.lookup(kind, hash, AT);
        if (inForce.length === 0) {
          expect(got).toBeNull();
          continue;
        }
        const blocks = inForce.filter((s) => s.effect === 'block');
        expect(got?.effect).toBe(blocks.length > 0 ? 'block' : 'warn');
        expect(got?.overridable).toBe(blocks.every((s) => s.overridable));
        expect(got?.confidence).toBe(Math.max(...inForce.map((s) => s.confidence)));
        expect(new Set(got?.sources)).toEqual(new Set(inForce.map((s) => s.source)));
        expect([...(got?.ids ?? [])].sort()).toEqual(inForce.map((s) => s.id).sort());
      }
    }
  });

  it('refuses a state whose hash is not 64 hex digits instead of storing garbage', () => {
    expect(() => new IndicatorSet().apply(state({ hash: 'zz' }))).toThrow(/64 hex/);
    expect(new IndicatorSet().lookup('phone', 'not-a-hash', AT)).toBeNull();
  });
});
