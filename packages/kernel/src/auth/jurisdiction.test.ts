import { describe, expect, it } from 'vitest';
import { covers, jurisdictionFilter, KATO_PATTERN, NATIONAL, scopePrefix } from './jurisdiction.ts';

// Real KATO codes (geokz 2024): regions end in seven zeros, districts in three.
const ALMATY = '750000000'; // Almaty (city of republican significance)
const ALMALY = '751110000'; // Almaly district of Almaty
const ASTANA = '710000000'; // Astana
const ASTANA_ALMATY_DISTRICT = '711110000'; // Astana's district that is *named* Almaty
const ALMATY_REGION = '190000000'; // Almaty region (oblast) — not the city
const ABAY = '100000000'; // Abay region
const SEMEY = '101000000'; // Semey (city district of Abay region)
const ZHANASEMEY = '101010000'; // the district next to it, same region, code differs only in CDEF
const VILLAGE_IN_ALMALY = '751110123'; // anything finer than a district matches itself

describe('scopePrefix', () => {
  it.each([
    [ALMATY, '75'],
    [ASTANA, '71'],
    [ABAY, '10'],
    [ALMALY, '751110'],
    [SEMEY, '101000'],
    [ZHANASEMEY, '101010'],
    [VILLAGE_IN_ALMALY, VILLAGE_IN_ALMALY],
  ])('%s → %s', (kato, prefix) => {
    expect(scopePrefix(kato)).toBe(prefix);
  });
});

describe('covers', () => {
  it('a city covers its districts and places inside them', () => {
    expect(covers([ALMATY], ALMALY)).toBe(true);
    expect(covers([ALMATY], VILLAGE_IN_ALMALY)).toBe(true);
    expect(covers([ALMATY], ALMATY)).toBe(true);
  });

  it('a city does not cover another city, nor the region of the same name, nor a district of the same name elsewhere', () => {
    expect(covers([ALMATY], ASTANA)).toBe(false);
    expect(covers([ALMATY], ASTANA_ALMATY_DISTRICT)).toBe(false);
    expect(covers([ALMATY], ALMATY_REGION)).toBe(false);
    expect(covers([ASTANA], ALMALY)).toBe(false);
  });

  it('a district covers itself and below, but not its region nor a neighbouring district', () => {
    expect(covers([ALMALY], ALMALY)).toBe(true);
    expect(covers([ALMALY], VILLAGE_IN_ALMALY)).toBe(true);
    expect(covers([ALMALY], ALMATY)).toBe(false);
    expect(covers([SEMEY], SEMEY)).toBe(true);
    expect(covers([SEMEY], ZHANASEMEY)).toBe(false);
    expect(covers([ZHANASEMEY], SEMEY)).toBe(false);
    expect(covers([ABAY], SEMEY)).toBe(true);
    expect(covers([ABAY], ZHANASEMEY)).toBe(true);
  });

  it('national (`*`) covers everything, including national records; nobody else sees national records', () => {
    for (const kato of [ALMATY, ALMALY, ASTANA, SEMEY, null, undefined]) expect(covers([NATIONAL], kato)).toBe(true);
    expect(covers([ALMATY], null)).toBe(false);
    expect(covers([ALMATY], undefined)).toBe(false);
    expect(covers([ALMATY], '')).toBe(false);
  });

  it('several jurisdictions cover the union; none covers nothing', () => {
    expect(covers([ASTANA, ALMALY], ASTANA_ALMATY_DISTRICT)).toBe(true);
    expect(covers([ASTANA, ALMALY], ALMALY)).toBe(true);
    expect(covers([ASTANA, ALMALY], '751210000')).toBe(false); // another Almaty district
    expect(covers([], ALMATY)).toBe(false);
  });
});

describe('jurisdictionFilter', () => {
  it('is `true` for national holders', () => {
    expect(jurisdictionFilter('kato', [NATIONAL, ALMATY], 3)).toEqual(['true', []]);
  });

  it('matches the same prefixes as `covers`, with numbered placeholders', () => {
    const [sql, params] = jurisdictionFilter('r.kato', [ALMATY, SEMEY], 4);
    expect(sql).toBe('r.kato like any($4::text[])');
    expect(params).toEqual([['75%', '101000%']]);
    // The LIKE patterns agree with covers() on real codes.
    const likes = (kato: string) => (params[0] as string[]).some((p) => kato.startsWith(p.slice(0, -1)));
    for (const kato of [ALMALY, ASTANA, SEMEY, ZHANASEMEY, ALMATY_REGION, VILLAGE_IN_ALMALY]) {
      expect(likes(kato), kato).toBe(covers([ALMATY, SEMEY], kato));
    }
  });
});

describe('KATO_PATTERN', () => {
  it('accepts nine digits only', () => {
    expect(KATO_PATTERN.test(ALMATY)).toBe(true);
    for (const bad of ['75', '7500000000', '75000000a', ' 750000000', '750000000\n', '']) expect(KATO_PATTERN.test(bad), JSON.stringify(bad)).toBe(false);
  });
});
