import { serialize } from 'pg-protocol';
import type { BackendMessage, DatabaseError, DataRowMessage, RowDescriptionMessage } from 'pg-protocol/dist/messages.js';
import { Parser } from 'pg-protocol/dist/parser.js';
import pgUtils from 'pg/lib/utils.js';
import { concatBytes, simpleQuery } from './pglite-session.mjs';
import { typeParser } from './values.ts';

/**
 * The embedded database's statements as node-postgres sends them to a PostgreSQL server, and its answers as
 * node-postgres reads them: the same encoder, parameter conversion (`prepareValue`: dates, arrays, JSON, buffers),
 * parser and type parsers. So a statement means the same thing and returns the same values in both modes, and the
 * work of encoding and decoding happens on the server's thread, not on the one that runs SQL.
 */

/** A parameter as node-postgres sends it; a function or a symbol is refused here rather than sent as its text. */
function paramOf(value: unknown): unknown {
  if (typeof value === 'function' || typeof value === 'symbol') throw new TypeError(`a ${typeof value} cannot be sent to the database as a parameter`);
  return pgUtils.prepareValue(value);
}

/**
 * One statement with its parameters, by the extended protocol, unnamed: Parse, Bind, Describe, Execute, Sync. In a
 * buffer of its own (not a slice of Node's shared pool), so that it can be handed to the database's thread without
 * a copy.
 */
export function encodeQuery(text: string, params: readonly unknown[] = []): Uint8Array<ArrayBuffer> {
  return concatBytes([
    serialize.parse({ text }),
    serialize.bind({ values: params as unknown[], valueMapper: paramOf }),
    serialize.describe({ type: 'P' }),
    serialize.execute({}),
    serialize.sync(),
  ]);
}

/** A script of one or more statements, by the simple protocol (migrations). */
export function encodeScript(script: string): Uint8Array<ArrayBuffer> {
  return concatBytes([simpleQuery(script)]);
}

interface Column {
  name: string;
  parse: (text: string) => unknown;
}

/** The rows of an answer (of its last result), or the database's error (code, constraint, detail…) thrown. */
export function decodeRows<T>(bytes: Uint8Array): T[] {
  let columns: Column[] = [];
  let rows: T[] = [];
  let error: DatabaseError | null = null;
  new Parser().parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), (msg: BackendMessage) => {
    switch (msg.name) {
      case 'rowDescription':
        columns = (msg as RowDescriptionMessage).fields.map((f) => ({ name: f.name, parse: typeParser(f.dataTypeID) }));
        rows = [];
        break;
      case 'dataRow': {
        const fields = (msg as DataRowMessage).fields;
        const row: Record<string, unknown> = {};
        for (let i = 0; i < columns.length; i++) {
          const v = fields[i];
          row[columns[i].name] = v === null ? null : columns[i].parse(v);
        }
        rows.push(row as T);
        break;
      }
      case 'error':
        error ??= msg as DatabaseError;
        break;
    }
  });
  if (error) throw error;
  return rows;
}
