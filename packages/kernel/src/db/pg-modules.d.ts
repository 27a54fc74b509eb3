// node-postgres's parameter conversion (lib/utils.js), which it does not declare for TypeScript.
declare module 'pg/lib/utils.js' {
  const utils: { prepareValue(value: unknown): unknown };
  export default utils;
}

declare module '*/pglite-session.mjs' {
  export function simpleQuery(text: string): Buffer;
  export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer>;
  export function hasError(bytes: Uint8Array): boolean;
  export class WireSession {
    constructor(pg: unknown, turnEveryMs?: number);
    run(bytes: Uint8Array): Promise<Uint8Array>;
    begin(tx: number): Promise<Uint8Array>;
    inTransaction(tx: number, bytes: Uint8Array): Promise<Uint8Array>;
    end(tx: number, commit: boolean): Promise<Uint8Array>;
  }
}

declare module '*/postgis-bundle.mjs' {
  import type { Extension } from '@electric-sql/pglite';
  export function keepsFile(path: string, version: string): boolean;
  export function filterTar(tar: Buffer, keep: (path: string) => boolean): Buffer;
  export function slimBundle(bundle: string): string;
  export const slimPostgis: Extension;
}
