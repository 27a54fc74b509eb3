import { X509Certificate, verify as verifySignature } from 'node:crypto';

/**
 * STIR/SHAKEN verification (RFC 8224 Identity header, RFC 8225 PASSporT, RFC 8588 SHAKEN, RFC 8226 certificates):
 * parse the header, check the PASSporT's header and claims, fetch the signing certificate from `x5u`, check its
 * validity and chain to the configured trust anchors (the STI-CA list), then the ES256 signature.
 *
 * Failure reasons follow the negative cases of agranig/stirshaken-scenarios; RFC 8224's response codes are
 * 428 (no identity), 436 (bad identity info: x5u unusable), 437 (unsupported credential: untrusted/expired
 * certificate) and 438 (invalid identity header: bad signature, stale iat, orig/dest mismatch).
 */
export const ATTESTATIONS = ['A', 'B', 'C'] as const;
export type Attestation = (typeof ATTESTATIONS)[number];

export const SHAKEN_FAILURES = [
  'malformed_header',
  'wrong_alg',
  'wrong_ppt',
  'missing_fields',
  'stale_iat',
  'orig_mismatch',
  'dest_mismatch',
  'x5u_invalid',
  'cert_unavailable',
  'cert_invalid',
  'cert_expired',
  'cert_not_yet_valid',
  'cert_untrusted',
  'bad_signature',
] as const;
export type ShakenFailure = (typeof SHAKEN_FAILURES)[number];

export type ShakenResult = { ok: true; attest: Attestation; origid: string; x5u: string } | { ok: false; reason: ShakenFailure; sipCode: 436 | 437 | 438 };

/** Where certificates come from: `x5u` → PEM text (leaf first, then any intermediates). */
export interface CertificateFetcher {
  fetch(url: string): Promise<string>;
}

export interface VerifyOptions {
  /** The STI-CA certificates we trust. */
  anchors: readonly X509Certificate[];
  /** Largest |now − iat| accepted, seconds (RFC 8224 recommends 60). */
  freshnessS: number;
  /** Accept `http:` x5u (tests, closed networks); RFC 8226 wants https. */
  allowHttp: boolean;
}

export interface ParsedIdentity {
  token: string;
  params: Record<string, string>;
}

/** `Identity: <header.payload.signature>;info=<https://…/cert.pem>;alg=ES256;ppt=shaken`. */
export function parseIdentityHeader(value: string): ParsedIdentity | null {
  const parts = value.trim().split(';');
  const token = parts[0]?.trim() ?? '';
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) return null;
  const params: Record<string, string> = {};
  for (const p of parts.slice(1)) {
    const i = p.indexOf('=');
    if (i <= 0) continue;
    params[p.slice(0, i).trim().toLowerCase()] = p
      .slice(i + 1)
      .trim()
      .replace(/^<(.*)>$/, '$1');
  }
  return { token, params };
}

function json(part: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Telephone numbers in PASSporTs are digits only (RFC 8225 §8.3); the call's numbers are E.164 with `+`. */
const tnOf = (e164: string) => e164.replace(/^\+/, '');

const failure = (reason: ShakenFailure): ShakenResult => ({
  ok: false,
  reason,
  sipCode: reason === 'x5u_invalid' || reason === 'cert_unavailable' || reason === 'cert_invalid' ? 436 : reason.startsWith('cert_') ? 437 : 438,
});

/** Splits a PEM bundle into certificates; throws when a block is not a certificate. */
export function parseChain(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

function within(cert: X509Certificate, now: number): 'ok' | 'expired' | 'future' {
  if (now < Date.parse(cert.validFrom)) return 'future';
  if (now > Date.parse(cert.validTo)) return 'expired';
  return 'ok';
}

/** True when `cert` chains to one of `anchors` through `intermediates`, every link signed and in its validity period. */
export function chainsTo(cert: X509Certificate, intermediates: readonly X509Certificate[], anchors: readonly X509Certificate[], now: number, depth = 0): boolean {
  if (depth > 4) return false;
  for (const a of anchors) {
    if (cert.checkIssued(a) && cert.verify(a.publicKey) && within(a, now) === 'ok') return true;
  }
  for (const i of intermediates) {
    if (i === cert || !i.ca || !cert.checkIssued(i) || !cert.verify(i.publicKey) || within(i, now) !== 'ok') continue;
    if (chainsTo(i, intermediates, anchors, now, depth + 1)) return true;
  }
  return false;
}

/** Verifies a call's Identity header against the call's numbers at `now` (ms since the epoch). */
export async function verifyIdentity(
  header: string,
  call: { caller: string; called: string },
  now: number,
  fetcher: CertificateFetcher,
  options: VerifyOptions,
): Promise<ShakenResult> {
  const parsed = parseIdentityHeader(header);
  if (!parsed) return failure('malformed_header');
  const [h, p, s] = parsed.token.split('.');
  const head = json(h);
  const claims = json(p);
  if (!head || !claims) return failure('malformed_header');
  if (head.alg !== 'ES256' || (parsed.params.alg !== undefined && parsed.params.alg !== 'ES256')) return failure('wrong_alg');
  if (head.ppt !== 'shaken' || (parsed.params.ppt !== undefined && parsed.params.ppt !== 'shaken')) return failure('wrong_ppt');

  const orig = claims.orig as { tn?: unknown } | undefined;
  const dest = claims.dest as { tn?: unknown } | undefined;
  const attest = claims.attest;
  const iat = claims.iat;
  const origid = claims.origid;
  const x5u = head.x5u;
  if (
    typeof orig?.tn !== 'string' ||
    !Array.isArray(dest?.tn) ||
    !dest.tn.every((t) => typeof t === 'string') ||
    typeof iat !== 'number' ||
    !Number.isInteger(iat) ||
    typeof origid !== 'string' ||
    !ATTESTATIONS.includes(attest as Attestation) ||
    typeof x5u !== 'string'
  ) {
    return failure('missing_fields');
  }
  if (iat <= 0 || Math.abs(now / 1000 - iat) > options.freshnessS) return failure('stale_iat');
  if (orig.tn !== tnOf(call.caller)) return failure('orig_mismatch');
  if (!(dest.tn as string[]).includes(tnOf(call.called))) return failure('dest_mismatch');

  let url: URL;
  try {
    url = new URL(x5u);
  } catch {
    return failure('x5u_invalid');
  }
  if (url.protocol !== 'https:' && !(options.allowHttp && url.protocol === 'http:')) return failure('x5u_invalid');
  if (parsed.params.info !== undefined && parsed.params.info !== x5u) return failure('x5u_invalid');

  let pem: string;
  try {
    pem = await fetcher.fetch(url.toString());
  } catch {
    return failure('cert_unavailable');
  }
  let chain: X509Certificate[];
  try {
    chain = parseChain(pem);
  } catch {
    return failure('cert_invalid');
  }
  const leaf = chain[0];
  if (leaf?.publicKey.asymmetricKeyType !== 'ec' || leaf.publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return failure('cert_invalid');
  const validity = within(leaf, now);
  if (validity === 'expired') return failure('cert_expired');
  if (validity === 'future') return failure('cert_not_yet_valid');
  if (!chainsTo(leaf, chain.slice(1), options.anchors, now)) return failure('cert_untrusted');

  const signature = Buffer.from(s, 'base64url');
  const good = signature.length === 64 && verifySignature('sha256', Buffer.from(`${h}.${p}`), { key: leaf.publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  if (!good) return failure('bad_signature');
  return { ok: true, attest: attest as Attestation, origid, x5u };
}
