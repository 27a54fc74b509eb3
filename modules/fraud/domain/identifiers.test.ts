import { describe, expect, it } from 'vitest';
import { ibanValid, identifierHash, isKazakhstanNumber, luhnValid, normalise, normalisePhone } from './identifiers.ts';

describe('identifiers', () => {
  it('normalises Kazakhstan numbers in their usual forms to E.164', () => {
    for (const raw of ['+7 (701) 123-45-67', '8 701 123 45 67', '87011234567', '77011234567', '7011234567', '+77011234567', '0077011234567']) {
      expect(normalisePhone(raw), raw).toEqual({ ok: true, value: '+77011234567' });
    }
    expect(normalisePhone('8 727 333 44 55')).toEqual({ ok: true, value: '+77273334455' });
    expect(normalisePhone('+44 20 7946 0958')).toEqual({ ok: true, value: '+442079460958' });
  });

  it('refuses what is not a telephone number', () => {
    for (const raw of ['', 'abc', '+0123456789', '12345', '+7701123456', '+770112345678', '8 495 123 45 67', '+7701123456a']) {
      expect(normalisePhone(raw), raw).toEqual({ ok: false, code: 'fraud.invalid_phone' });
    }
  });

  it('tells Kazakhstan numbers from Russian ones sharing +7', () => {
    expect(isKazakhstanNumber('+77011234567')).toBe(true);
    expect(isKazakhstanNumber('+76001234567')).toBe(true);
    expect(isKazakhstanNumber('+74951234567')).toBe(false);
    expect(isKazakhstanNumber('+79161234567')).toBe(false);
  });

  it('checks Luhn digits (IMEI, ICCID, cards)', () => {
    expect(luhnValid('490154203237518')).toBe(true);
    expect(luhnValid('490154203237517')).toBe(false);
    expect(normalise('imei', '49-015420-323751-8')).toEqual({ ok: true, value: '490154203237518' });
    expect(normalise('imei', '490154203237519')).toEqual({ ok: false, code: 'fraud.bad_check_digit' });
    expect(normalise('imei', '4901542032375')).toEqual({ ok: false, code: 'fraud.invalid_imei' });
    expect(normalise('card', '4111 1111 1111 1111')).toEqual({ ok: true, value: '4111111111111111' });
    expect(normalise('card', '4111 1111 1111 1112')).toEqual({ ok: false, code: 'fraud.bad_check_digit' });
    expect(normalise('iccid', '8970101234567890123')).toEqual({ ok: true, value: '8970101234567890123' });
    expect(normalise('iccid', '8970101234567890124')).toEqual({ ok: false, code: 'fraud.bad_check_digit' });
    expect(normalise('iccid', '1234567890123456789')).toEqual({ ok: false, code: 'fraud.invalid_iccid' });
    expect(normalise('imsi', '401011234567890')).toEqual({ ok: true, value: '401011234567890' });
    expect(normalise('imsi', '4010112')).toEqual({ ok: false, code: 'fraud.invalid_imsi' });
  });

  it('checks IBAN check digits (ISO 13616), Kazakhstan’s 20 characters', () => {
    expect(ibanValid('KZ86125KZT5004100100')).toBe(true);
    expect(ibanValid('KZ87125KZT5004100100')).toBe(false);
    expect(normalise('iban', 'kz86 125k zt50 0410 0100')).toEqual({ ok: true, value: 'KZ86125KZT5004100100' });
    expect(normalise('iban', 'KZ87125KZT5004100100')).toEqual({ ok: false, code: 'fraud.bad_check_digit' });
    expect(normalise('iban', 'KZ86125KZT500410010')).toEqual({ ok: false, code: 'fraud.invalid_iban' });
    expect(normalise('iban', 'GB82WEST12345698765432')).toEqual({ ok: true, value: 'GB82WEST12345698765432' });
    expect(normalise('iban', 'hello')).toEqual({ ok: false, code: 'fraud.invalid_iban' });
  });

  it('hashes `<kind>:<normal form>` with HMAC-SHA256 under the shared key', () => {
    // Reference value: printf 'phone:+77011234567' | openssl dgst -sha256 -hmac 'k…k' (32 × k)
    const key = 'k'.repeat(32);
    const h = identifierHash(key, 'phone', '+77011234567');
    expect(h).toBe('c5e7fae4c6505204ceb0998cff709dcd6ae556b22cc9910d2544b86767ee1403');
    expect(h).toBe(identifierHash(key, 'phone', '+77011234567'));
    expect(h).not.toBe(identifierHash(key, 'imsi', '+77011234567'));
    expect(h).not.toBe(identifierHash('j'.repeat(32), 'phone', '+77011234567'));
  });
});
