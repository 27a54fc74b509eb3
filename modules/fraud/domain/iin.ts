/**
 * Kazakhstan's individual identification number (ЖСН/ИИН): 12 digits, YYMMDD + century/sex digit + 4-digit serial +
 * check digit. The check digit is Σ dᵢ·i (i = 1…11) mod 11; when that is 10, Σ dᵢ·wᵢ with w = 3…11, 1, 2 mod 11; when
 * that is 10 again the number is not issued.
 */
export function iinValid(iin: string): boolean {
  if (!/^\d{12}$/.test(iin)) return false;
  const d = [...iin].map(Number);
  const month = d[2] * 10 + d[3];
  const day = d[4] * 10 + d[5];
  if (month < 1 || month > 12 || day < 1 || day > 31 || d[6] > 6) return false;
  let check = d.slice(0, 11).reduce((s, x, i) => s + x * (i + 1), 0) % 11;
  if (check === 10) {
    const w = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];
    check = d.slice(0, 11).reduce((s, x, i) => s + x * w[i], 0) % 11;
    if (check === 10) return false;
  }
  return check === d[11];
}
