import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { identityHeader, pem } from '../testing/passport.ts';
import { type CertificateFetcher, parseIdentityHeader, type ShakenResult, verifyIdentity } from './passport.ts';

const NOW = Date.parse('2027-06-01T12:00:00Z');
const IAT = NOW / 1000 - 5;
const CALL = { caller: '+77011234567', called: '+77273334455' };
const BASE = 'https://sti.example.kz';

/** Serves the fixture certificates by URL, as an x5u server would; unknown URLs fail like an unreachable link. */
const fetcher: CertificateFetcher = {
  async fetch(url) {
    const files: Record<string, string> = {
      [`${BASE}/sp.pem`]: pem('sp.pem'),
      [`${BASE}/expired.pem`]: pem('sp-expired.pem'),
      [`${BASE}/future.pem`]: pem('sp-future.pem'),
      [`${BASE}/rogue.pem`]: pem('sp-rogue.pem'),
      [`${BASE}/garbage.pem`]: '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
      [`${BASE}/empty.pem`]: '',
    };
    if (!(url in files)) throw new Error('404');
    return files[url];
  },
};

const options = { anchors: [new X509Certificate(pem('sti-ca.pem'))], freshnessS: 60, allowHttp: false };

const verify = (header: string, call = CALL, now = NOW): Promise<ShakenResult> => verifyIdentity(header, call, now, fetcher, options);
const passport = (o: Partial<Parameters<typeof identityHeader>[0]> = {}) =>
  identityHeader({ x5u: `${BASE}/sp.pem`, orig: CALL.caller, dest: [CALL.called], iat: IAT, ...o });

describe('STIR/SHAKEN PASSporT verification', () => {
  it('accepts a valid PASSporT and reports its attestation (000-valid-identity)', async () => {
    for (const attest of ['A', 'B', 'C'] as const) {
      expect(await verify(passport({ attest }))).toEqual({ ok: true, attest, origid: '123e4567-e89b-12d3-a456-426655440000', x5u: `${BASE}/sp.pem` });
    }
  });

  it('parses the Identity header parameters', () => {
    const p = parseIdentityHeader('aaa.bbb.ccc;info=<https://x/c.pem>;alg=ES256;ppt=shaken');
    expect(p).toEqual({ token: 'aaa.bbb.ccc', params: { info: 'https://x/c.pem', alg: 'ES256', ppt: 'shaken' } });
    expect(parseIdentityHeader('not a jws')).toBeNull();
  });

  const cases: [string, () => string, Partial<typeof CALL> | null, string, number][] = [
    ['bad signature (payload altered after signing)', () => {
      const h = passport();
      const [jws, ...rest] = h.split(';');
      const [a, , c] = jws.split('.');
      const forged = Buffer.from(JSON.stringify({ attest: 'A', dest: { tn: ['77273334455'] }, iat: IAT, orig: { tn: '77011234567' }, origid: 'x' })).toString('base64url');
      return [`${a}.${forged}.${c}`, ...rest].join(';');
    }, null, 'bad_signature', 438],
    ['signed with another key than the certificate’s', () => passport({ key: 'sp-rogue.key' }), null, 'bad_signature', 438],
    ['100 iat zero', () => passport({ iat: 0 }), null, 'stale_iat', 438],
    ['102 iat in the past', () => passport({ iat: IAT - 120 }), null, 'stale_iat', 438],
    ['103 iat one second past the window', () => passport({ iat: NOW / 1000 - 61 }), null, 'stale_iat', 438],
    ['104 iat in the future', () => passport({ iat: NOW / 1000 + 120 }), null, 'stale_iat', 438],
    ['200 certificate expired', () => passport({ x5u: `${BASE}/expired.pem`, key: 'sp-expired.key' }), null, 'cert_expired', 437],
    ['201 certificate not yet valid', () => passport({ x5u: `${BASE}/future.pem`, key: 'sp-future.key' }), null, 'cert_not_yet_valid', 437],
    ['204 untrusted CA', () => passport({ x5u: `${BASE}/rogue.pem`, key: 'sp-rogue.key' }), null, 'cert_untrusted', 437],
    ['205 garbage certificate', () => passport({ x5u: `${BASE}/garbage.pem` }), null, 'cert_invalid', 436],
    ['206 empty certificate', () => passport({ x5u: `${BASE}/empty.pem` }), null, 'cert_invalid', 436],
    ['207 certificate not found', () => passport({ x5u: `${BASE}/missing.pem` }), null, 'cert_unavailable', 436],
    ['303 orig TN mismatch', () => passport(), { caller: '+77019998877' }, 'orig_mismatch', 438],
    ['304 dest TN mismatch', () => passport(), { called: '+77170000000' }, 'dest_mismatch', 438],
    ['501 x5u empty', () => passport({ x5u: '' }), null, 'x5u_invalid', 436],
    ['502 x5u garbage', () => passport({ x5u: 'not a url' }), null, 'x5u_invalid', 436],
    ['x5u over plain http', () => passport({ x5u: 'http://sti.example.kz/sp.pem' }), null, 'x5u_invalid', 436],
    ['wrong alg in the JWS header', () => passport({ header: { alg: 'RS256' } }), null, 'wrong_alg', 438],
    ['alg=none', () => passport({ header: { alg: 'none' } }), null, 'wrong_alg', 438],
    ['wrong ppt', () => passport({ header: { ppt: 'div' } }), null, 'wrong_ppt', 438],
    ['missing attest', () => passport({ without: ['attest'] }), null, 'missing_fields', 438],
    ['missing orig', () => passport({ without: ['orig'] }), null, 'missing_fields', 438],
    ['missing origid', () => passport({ without: ['origid'] }), null, 'missing_fields', 438],
    ['attestation outside A/B/C', () => passport({ attest: 'D' }), null, 'missing_fields', 438],
    ['missing x5u', () => passport({ header: { x5u: undefined } }), null, 'missing_fields', 438],
    ['not a JWS at all', () => 'garbage;info=<x>', null, 'malformed_header', 438],
  ];

  for (const [name, header, call, reason, sipCode] of cases) {
    it(`refuses: ${name}`, async () => {
      expect(await verify(header(), { ...CALL, ...call })).toEqual({ ok: false, reason, sipCode });
    });
  }

  it('the freshness window is the configured one', async () => {
    const h = passport({ iat: IAT - 100 });
    expect((await verifyIdentity(h, CALL, NOW, fetcher, { ...options, freshnessS: 300 })).ok).toBe(true);
    expect((await verifyIdentity(h, CALL, NOW, fetcher, options)).ok).toBe(false);
  });

  it('with no trust anchors configured nothing verifies', async () => {
    expect(await verifyIdentity(passport(), CALL, NOW, fetcher, { ...options, anchors: [] })).toMatchObject({ ok: false, reason: 'cert_untrusted' });
  });
});
