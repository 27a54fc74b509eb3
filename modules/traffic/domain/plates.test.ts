import { describe, expect, it } from 'vitest';
import { isKzPlate, normalisePlate } from './plates.ts';

const ok = (raw: string, country?: string | null) => {
  const r = normalisePlate(raw, country);
  if (!r.ok) throw new Error(`refused ${raw}: ${r.reason}`);
  return r.value;
};

describe('normalisePlate', () => {
  it('maps Cyrillic look-alikes to Latin and strips spaces and dashes', () => {
    expect(ok('123 АВС 01')).toEqual({ plate: '123ABC01', country: 'KZ', kz: { kind: 'private', region: '01' } });
    expect(ok('123-авс-01').plate).toBe('123ABC01');
    expect(ok('453 dxa 12').plate).toBe('453DXA12');
    // every one of the twelve look-alikes
    expect(ok('АВЕКМНОРСТУХ').plate).toBe('ABEKMHOPCTYX');
    expect(ok('авекмнорстух').plate).toBe('ABEKMHOPCTYX');
  });

  it('validates Kazakhstan formats: private NNN LLL RR, legal entity NNN LL RR, regions 01–20', () => {
    expect(ok('389 BK 01')).toEqual({ plate: '389BK01', country: 'KZ', kz: { kind: 'legal-entity', region: '01' } });
    expect(ok('001AAA20').kz).toEqual({ kind: 'private', region: '20' });
    expect(isKzPlate('123ABC02')).toBe(true);
    for (const notKz of ['123ABC21', '123ABC00', '12ABC01', '123A01', '123ABCD01']) {
      expect(isKzPlate(notKz), notKz).toBe(false);
      expect(ok(notKz).country, notKz).toBeNull();
    }
  });

  it('keeps foreign plates with the country the camera gave, or null', () => {
    expect(ok('А 123 ВС 77', 'ru')).toEqual({ plate: 'A123BC77', country: 'RU', kz: null });
    expect(ok('B-MW 1234', 'DE')).toEqual({ plate: 'BMW1234', country: 'DE', kz: null });
    expect(ok('01KG123ABC').country).toBeNull();
    // A camera that says KZ for a plate in no Kazakhstan format misread something: country unknown.
    expect(ok('ABC1234', 'KZ').country).toBeNull();
    // A valid Kazakhstan plate is KZ whatever the camera said.
    expect(ok('123ABC02', 'ru').country).toBe('KZ');
  });

  it('refuses what is not a plate', () => {
    expect(normalisePlate(' - ')).toEqual({ ok: false, reason: 'empty' });
    expect(normalisePlate('12Ж34')).toEqual({ ok: false, reason: 'invalid_characters' });
    expect(normalisePlate('12#34')).toEqual({ ok: false, reason: 'invalid_characters' });
    expect(normalisePlate('A')).toEqual({ ok: false, reason: 'length' });
    expect(normalisePlate('ABCDEFGHJKLMN')).toEqual({ ok: false, reason: 'length' });
  });
});
