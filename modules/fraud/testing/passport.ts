import { createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Test PKI made once by `make-pki.sh`: a trusted STI-CA, its SP certificates (valid, expired, future) and a rogue CA's. */
export const PKI_DIR = join(dirname(fileURLToPath(import.meta.url)), 'pki');
export const pem = (name: string) => readFileSync(join(PKI_DIR, name), 'utf8');

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

export interface PassportOptions {
  key?: string;
  x5u: string;
  orig: string;
  dest: string[];
  iat: number;
  attest?: string;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  /** Drop these claim names. */
  without?: string[];
}

/** A signed SHAKEN PASSporT as an Identity header value: `<jws>;info=<x5u>;alg=ES256;ppt=shaken`. */
export function identityHeader(o: PassportOptions): string {
  const header = { alg: 'ES256', ppt: 'shaken', typ: 'passport', x5u: o.x5u, ...o.header };
  const claims: Record<string, unknown> = {
    attest: o.attest ?? 'A',
    dest: { tn: o.dest.map((d) => d.replace(/^\+/, '')) },
    iat: o.iat,
    orig: { tn: o.orig.replace(/^\+/, '') },
    origid: '123e4567-e89b-12d3-a456-426655440000',
    ...o.claims,
  };
  for (const k of o.without ?? []) delete claims[k];
  const input = `${b64(header)}.${b64(claims)}`;
  const key = createPrivateKey(pem(o.key ?? 'sp.key'));
  const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  return `${input}.${sig};info=<${o.x5u}>;alg=ES256;ppt=shaken`;
}
