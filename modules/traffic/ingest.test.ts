import { describe, expect, it } from 'vitest';
import { UUID_PATTERN } from '../../packages/kernel/src/ids.ts';
import { splitNdjson, uuidv7Batch } from './ingest.ts';

describe('splitNdjson', () => {
  it('parses every line, numbering lines from 1 and skipping blank ones', () => {
    expect(splitNdjson('{"a":1}\n{"a":2}\r\n{"a":3}\n')).toEqual({ items: [1, 2, 3].map((a, i) => ({ line: i + 1, value: { a } })), errors: [], lines: 3 });
    expect(splitNdjson('\n\n{"a":1}\n\n  \n{"a":2}\n')).toEqual({ items: [{ line: 3, value: { a: 1 } }, { line: 6, value: { a: 2 } }], errors: [], lines: 2 });
    expect(splitNdjson('   \n\t\n')).toEqual({ items: [], errors: [], lines: 0 });
  });

  it('names each bad line, and does not let two values on one line shift the numbering', () => {
    expect(splitNdjson('{"a":1}\n{"a":\n{"a":3}')).toEqual({
      items: [{ line: 1, value: { a: 1 } }, { line: 3, value: { a: 3 } }],
      errors: [{ path: 'line.2', code: 'invalid_json' }],
      lines: 3,
    });
    const two = splitNdjson('1, 2\n{"a":3}');
    expect(two.errors).toEqual([{ path: 'line.1', code: 'invalid_json' }]);
    expect(two.items).toEqual([{ line: 2, value: { a: 3 } }]);
  });
});

describe('uuidv7Batch', () => {
  it('makes distinct RFC 9562 version-7 ids carrying the time', () => {
    const t = Date.parse('2026-03-01T10:00:00.123Z');
    const ids = uuidv7Batch(10_000, t);
    expect(new Set(ids).size).toBe(10_000);
    for (const id of ids.slice(0, 100)) {
      expect(id).toMatch(UUID_PATTERN);
      expect(id[14]).toBe('7');
      expect('89ab').toContain(id[19]);
      expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(t);
    }
  });
});
