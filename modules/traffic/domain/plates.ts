/**
 * Licence-plate normalisation (pure). Cameras read the same plate in different alphabets and spellings —
 * «123 АВС 01» from one gantry, «123-ABC-01» from the next — and section control pairs reads by plate text,
 * so every read is brought to one form before anything else looks at it:
 *
 * 1. Cyrillic letters that look like Latin ones become Latin (А→A, В→B, Е→E, К→K, М→M, Н→H, О→O, Р→P, С→C,
 *    Т→T, У→Y, Х→X, in both cases) — Kazakhstan's plates use Latin letters only, and a Russian plate's
 *    twelve letters are exactly these look-alikes, so one mapping serves both;
 * 2. upper case; spaces, dashes, dots and underscores removed;
 * 3. what remains must be Latin letters and digits (2–12 of them), else the read is refused;
 * 4. a Kazakhstan format (since 2012: private `NNN LLL RR`, legal entities `NNN LL RR`, region 01–20) makes
 *    the country 'KZ'; any other plate is kept — foreign or unknown — with the country the camera gave, or null.
 *
 * Source of the formats and the mapping: ../../../../shared/reference/kazakhstan.md §5.
 */

const LOOKALIKES: Record<string, string> = {
  А: 'A',
  В: 'B',
  Е: 'E',
  К: 'K',
  М: 'M',
  Н: 'H',
  О: 'O',
  Р: 'P',
  С: 'C',
  Т: 'T',
  У: 'Y',
  Х: 'X',
};

/** Region codes of Kazakhstan's plates (01 Astana … 20 Ulytau). */
export const KZ_REGIONS: Record<string, string> = {
  '01': 'Astana',
  '02': 'Almaty',
  '03': 'Akmola',
  '04': 'Aktobe',
  '05': 'Almaty Region',
  '06': 'Atyrau',
  '07': 'West Kazakhstan',
  '08': 'Zhambyl',
  '09': 'Karaganda',
  '10': 'Kostanay',
  '11': 'Kyzylorda',
  '12': 'Mangystau',
  '13': 'Turkistan',
  '14': 'Pavlodar',
  '15': 'North Kazakhstan',
  '16': 'East Kazakhstan',
  '17': 'Shymkent',
  '18': 'Abai',
  '19': 'Jetisu',
  '20': 'Ulytau',
};

/** `NNN LLL RR` (private) or `NNN LL RR` (legal entity), region 01–20. */
export const KZ_PLATE = /^\d{3}[A-Z]{2,3}(0[1-9]|1\d|20)$/;
const SEPARATORS = /[\s\-._·]+/g;
const ALLOWED = /^[A-Z0-9]{2,12}$/;
const COUNTRY = /^[A-Z]{2}$/;

export type KzPlateKind = 'private' | 'legal-entity';

export interface NormalisedPlate {
  /** Upper-case Latin letters and digits only. */
  plate: string;
  /** 'KZ' for a valid Kazakhstan plate, else the camera's country (ISO 3166-1 alpha-2) or null. */
  country: string | null;
  /** Kazakhstan plates: private (3 letters) or legal entity (2 letters), and the region code. */
  kz: { kind: KzPlateKind; region: string } | null;
}

export type PlateResult = { ok: true; value: NormalisedPlate } | { ok: false; reason: 'empty' | 'invalid_characters' | 'length' };

/** Normalises a plate as read by a camera; `country` is what the camera said, if anything (any case). */
export function normalisePlate(raw: string, country?: string | null): PlateResult {
  let s = '';
  for (const ch of raw.normalize('NFC').replace(SEPARATORS, '').toUpperCase()) s += LOOKALIKES[ch] ?? ch;
  if (s.length === 0) return { ok: false, reason: 'empty' };
  if (!/^[A-Z0-9]*$/.test(s)) return { ok: false, reason: 'invalid_characters' };
  if (!ALLOWED.test(s)) return { ok: false, reason: 'length' };
  const m = KZ_PLATE.exec(s);
  if (m) return { ok: true, value: { plate: s, country: 'KZ', kz: { kind: s.length === 8 ? 'private' : 'legal-entity', region: m[1] } } };
  const given = country?.trim().toUpperCase() ?? '';
  // A camera that says "KZ" for a plate that is not in a Kazakhstan format misread one or the other: unknown.
  const c = COUNTRY.test(given) && given !== 'KZ' ? given : null;
  return { ok: true, value: { plate: s, country: c, kz: null } };
}

/** True for a valid Kazakhstan plate in normalised form. */
export const isKzPlate = (plate: string): boolean => KZ_PLATE.test(plate);
