import type { z } from 'zod';
import { Problem } from './errors.ts';

/**
 * Keyset pagination cursors: the sort key of a page's last row, as base64url JSON. Opaque to clients; a cursor
 * that does not decode to the expected shape is a 400 on `query.cursor`.
 */
export const encodeCursor = (key: unknown): string => Buffer.from(JSON.stringify(key)).toString('base64url');

export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T {
  try {
    return schema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString()));
  } catch {
    throw Problem.validation([{ path: 'query.cursor', code: 'invalid_format', params: { format: 'cursor' } }]);
  }
}
