import pg from 'pg';

// int8 (bigserial sequences, counts) as numbers, on both backends.
pg.types.setTypeParser(20, (v: string) => Number(v));

/** How a column of type `oid` in text format becomes a value: node-postgres's parsers, for both backends. */
export function typeParser(oid: number): (text: string) => unknown {
  return pg.types.getTypeParser(oid, 'text');
}
