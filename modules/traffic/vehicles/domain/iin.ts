/**
 * ИИН (individual identification number) and БИН (business identification number): 12 digits with a check digit.
 * Pure.
 *
 * Check digit K (Government Decree 11.06.2003 № 565; algorithm P070000406): s = Σ d[i]·(i+1) mod 11 over the first
 * 11 digits; when s = 10, again with weights 3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2; when it is still 10 the number is
 * invalid; otherwise K = s. A person's ИИН starts with the birth date YYMMDD; a БИН starts with YYMM of registration
 * and has 4, 5 or 6 (resident / non-resident / IE joint) in the fifth position.
 */

const W1 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const W2 = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

/** The check digit of the first 11 digits, or null when the number cannot have one. */
export function checkDigit(first11: string): number | null {
  if (!/^\d{11}$/.test(first11)) return null;
  const d = [...first11].map(Number);
  const sum = (w: number[]) => d.reduce((s, x, i) => s + x * w[i], 0) % 11;
  let s = sum(W1);
  if (s === 10) s = sum(W2);
  return s === 10 ? null : s;
}

/** Why a number is refused, or null when it is valid. */
export type IdNumberProblem = 'format' | 'checksum' | 'date';

/**
 * Validates an ИИН (`kind: 'person'`, birth date checked too) or a БИН (`kind: 'organisation'`, month and type digit
 * checked). Returns null when valid.
 */
export function idNumberProblem(value: string, kind: 'person' | 'organisation' = 'person'): IdNumberProblem | null {
  if (!/^\d{12}$/.test(value)) return 'format';
  const k = checkDigit(value.slice(0, 11));
  if (k === null || k !== Number(value[11])) return 'checksum';
  const mm = Number(value.slice(2, 4));
  if (mm < 1 || mm > 12) return 'date';
  if (kind === 'person') {
    const dd = Number(value.slice(4, 6));
    const yy = Number(value.slice(0, 2));
    // The seventh digit gives century and sex (1/2 1800s, 3/4 1900s, 5/6 2000s); it only matters here for 29 February.
    const c = value[6];
    const year = (c === '1' || c === '2' ? 1800 : c === '5' || c === '6' ? 2000 : 1900) + yy;
    const days = new Date(Date.UTC(year, mm, 0)).getUTCDate();
    if (dd < 1 || dd > days) return 'date';
  } else if (!['4', '5', '6'].includes(value[4])) {
    return 'format';
  }
  return null;
}

export const isValidIin = (value: string) => idNumberProblem(value, 'person') === null;
