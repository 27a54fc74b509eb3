import { createHmac } from 'node:crypto';
import { HmacSha256 } from './hmac.ts';

/**
 * The identifiers fraud indicators are kept for, their normal forms and check digits, and the shared hash.
 * Pure functions: no I/O, no clock.
 */
export const KINDS = ['phone', 'iccid', 'imsi', 'imei', 'iban', 'card'] as const;
export type IdentifierKind = (typeof KINDS)[number];

export type Normalised = { ok: true; value: string } | { ok: false; code: string };

const fail = (code: string): Normalised => ({ ok: false, code });
const ok = (value: string): Normalised => ({ ok: true, value });

/** Luhn (ISO/IEC 7812-1) over a digit string that ends with its check digit. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** ISO 13616 check: move the first four characters to the end, letters → 10..35, the number mod 97 must be 1. */
export function ibanValid(iban: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const ch of moved) {
    const c = ch.charCodeAt(0);
    const v = c >= 65 ? String(c - 55) : ch;
    for (const digit of v) rest = (rest * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return rest === 1;
}

/**
 * Telephone numbers to E.164. Kazakhstan's national forms are accepted: `8 701 123 45 67`, `7011234567`,
 * `77011234567`, `+7 (701) 123-45-67`. Any other country must be written with `+` (or `00`).
 */
export function normalisePhone(raw: string): Normalised {
  const s = raw.trim();
  if (!/^[+\d][\d\s().-]*$/.test(s)) return fail('fraud.invalid_phone');
  let digits = s.replace(/[\s().-]/g, '');
  if (digits.startsWith('00')) digits = `+${digits.slice(2)}`;
  if (digits.startsWith('+')) {
    const n = digits.slice(1);
    if (!/^[1-9]\d{7,14}$/.test(n)) return fail('fraud.invalid_phone');
    if (n.startsWith('7') && n.length !== 11) return fail('fraud.invalid_phone');
    return ok(`+${n}`);
  }
  if (/^8[67]\d{9}$/.test(digits)) return ok(`+7${digits.slice(1)}`);
  if (/^7[67]\d{9}$/.test(digits)) return ok(`+${digits}`);
  if (/^[67]\d{9}$/.test(digits)) return ok(`+7${digits}`);
  return fail('fraud.invalid_phone');
}

/**
 * A Kazakhstan number: +7 followed by a 6xx/7xx code (Kazakhstan shares country code 7 with Russia, whose
 * numbers start with 3, 4, 8 or 9 after it).
 */
export function isKazakhstanNumber(e164: string): boolean {
  return /^\+7[67]\d{9}$/.test(e164);
}

const digitsOnly = (raw: string) => raw.trim().replace(/[\s-]/g, '');

/** Normal form of `raw` as an identifier of `kind`, or the reason it is not one. A card's normal form is its PAN. */
export function normalise(kind: IdentifierKind, raw: string): Normalised {
  switch (kind) {
    case 'phone':
      return normalisePhone(raw);
    case 'iccid': {
      // ITU-T E.118: 89 (telecom) + country + issuer + serial + Luhn digit; 19 or 20 digits.
      const d = digitsOnly(raw);
      if (!/^89\d{17,18}$/.test(d)) return fail('fraud.invalid_iccid');
      return luhnValid(d) ? ok(d) : fail('fraud.bad_check_digit');
    }
    case 'imsi': {
      // ITU-T E.212: MCC (3) + MNC (2–3) + MSIN, at most 15 digits; no check digit.
      const d = digitsOnly(raw);
      return /^\d{14,15}$/.test(d) ? ok(d) : fail('fraud.invalid_imsi');
    }
    case 'imei': {
      // 3GPP TS 23.003: TAC (8) + serial (6) + Luhn check digit.
      const d = digitsOnly(raw);
      if (!/^\d{15}$/.test(d)) return fail('fraud.invalid_imei');
      return luhnValid(d) ? ok(d) : fail('fraud.bad_check_digit');
    }
    case 'iban': {
      const v = raw.replace(/\s/g, '').toUpperCase();
      if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(v)) return fail('fraud.invalid_iban');
      // Kazakhstan: KZ + 2 check digits + 3-digit bank code + 13-character account = 20 characters.
      if (v.startsWith('KZ') && !/^KZ\d{5}[A-Z0-9]{13}$/.test(v)) return fail('fraud.invalid_iban');
      return ibanValid(v) ? ok(v) : fail('fraud.bad_check_digit');
    }
    case 'card': {
      const d = digitsOnly(raw);
      if (!/^\d{12,19}$/.test(d)) return fail('fraud.invalid_card');
      return luhnValid(d) ? ok(d) : fail('fraud.bad_check_digit');
    }
  }
}

/**
 * The shared hash partners exchange instead of the identifier: HMAC-SHA256 keyed with the shared key, over
 * `<kind>:<normal form>` (UTF-8), lower-case hex. E.g. `phone:+77011234567`, `iban:KZ86125KZT5004100100`.
 */
export function identifierHash(key: string, kind: IdentifierKind, normalForm: string): string {
  return createHmac('sha256', key).update(`${kind}:${normalForm}`).digest('hex');
}

/** The same HMAC as its 32 bytes, the form the in-memory indicator set looks up (no hex on the hot path). */
export function identifierDigest(key: string, kind: IdentifierKind, normalForm: string): Buffer {
  return createHmac('sha256', key).update(`${kind}:${normalForm}`).digest();
}

/**
 * `identifierDigest` under one key, for the screening path: the key's pads are compressed once (`HmacSha256`), so
 * each identifier costs two SHA-256 blocks in JavaScript instead of a key object, an HMAC object and native calls —
 * the same bytes. One thread.
 */
export class IdentifierDigests {
  private readonly hmac: HmacSha256;
  private readonly prefixes: Record<IdentifierKind, string>;
  constructor(key: string) {
    this.hmac = new HmacSha256(key);
    this.prefixes = Object.fromEntries(KINDS.map((k) => [k, `${k}:`])) as Record<IdentifierKind, string>;
  }
  /** `identifierHash` as bytes, into `out` when given (a new Buffer otherwise). */
  digest(kind: IdentifierKind, normalForm: string, out?: Uint8Array): Uint8Array {
    return this.hmac.digest(normalForm, out, this.prefixes[kind]);
  }
}

export const HASH_PATTERN = /^[0-9a-f]{64}$/;
