/**
 * Jurisdictions are KATO codes (9 digits: AB region, CDEF district, GHI below). A person assigned to a code
 * sees records whose KATO code lies inside it; `*` is the whole country.
 *
 * Region codes end in seven zeros (750000000 Almaty → prefix `75`); district codes end in three zeros
 * (751110000 Almaly → prefix `751110`, matching geokz's ADM2_PCODE); anything finer matches itself.
 */
export const NATIONAL = '*';
export const KATO_PATTERN = /^\d{9}$/;

export function scopePrefix(kato: string): string {
  if (kato.endsWith('0000000')) return kato.slice(0, 2);
  if (kato.endsWith('000')) return kato.slice(0, 6);
  return kato;
}

/** True when a person holding `jurisdictions` may see a record placed at `kato` (null = national record). */
export function covers(jurisdictions: readonly string[], kato: string | null | undefined): boolean {
  if (jurisdictions.includes(NATIONAL)) return true;
  if (!kato) return false;
  return jurisdictions.some((j) => kato.startsWith(scopePrefix(j)));
}

/**
 * SQL condition restricting `column` (a KATO text column) to `jurisdictions`, as `[sql, params]` with
 * placeholders starting at `$start`. National holders get `true`.
 */
export function jurisdictionFilter(column: string, jurisdictions: readonly string[], start: number): [string, unknown[]] {
  if (jurisdictions.includes(NATIONAL)) return ['true', []];
  const prefixes = jurisdictions.map((j) => `${scopePrefix(j)}%`);
  return [`${column} like any($${start}::text[])`, [prefixes]];
}
