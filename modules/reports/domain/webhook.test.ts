import { describe, expect, it } from 'vitest';
import { backoffMs, signBody, signTimestamped, verifySignature, verifyTimestamped, webhookBody } from './webhook.ts';

describe('webhook signature', () => {
  it('is sha256= and the hex HMAC-SHA256 of the raw body (RFC 4231-style known value)', () => {
    expect(signBody('key', 'The quick brown fox jumps over the lazy dog')).toBe(
      'sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
  });

  // The body and both signatures, checked against values computed independently (Python's hmac, UTF-8 body).
  const body = webhookBody({
    reportId: 'r1',
    trackingToken: 'tok-1',
    status: 'closed',
    statusNote: 'Задержан',
    statusNoteCode: null,
    statusNotes: { ru: 'Задержан', kk: 'Задержан', en: 'Задержан' },
    incidentId: 'i1',
    duplicateOf: null,
    at: '2026-01-01T00:00:00.000Z',
  });
  const secret = 's'.repeat(40);

  it('the body carries the tracking token, the note in each language and the incident, in a fixed order', () => {
    expect(body).toBe(
      '{"event":"report.status_changed","reportId":"r1","trackingToken":"tok-1","status":"closed","statusNote":"Задержан","statusNoteCode":null,"statusNotes":{"ru":"Задержан","kk":"Задержан","en":"Задержан"},"incidentId":"i1","duplicateOf":null,"at":"2026-01-01T00:00:00.000Z"}',
    );
  });

  it('signs the exact bytes, UTF-8 included (known values)', () => {
    expect(signBody(secret, body)).toBe('sha256=2f60509347aa3380ceff522e1b54fb536dc5c59701148ca5ddf8b1c5bc946ecb');
    expect(signTimestamped(secret, body, 1_767_225_600)).toBe('t=1767225600,v1=51dd6df530c614fc0d8349352a86d7aa59b1b574cbd0409c07fa98949ba1a2e8');
  });

  it('a timestamped signature is accepted within five minutes of its time, and not a replay after', () => {
    const t = 1_767_225_600;
    const sig = signTimestamped(secret, body, t);
    expect(verifyTimestamped(secret, body, sig, t + 299)).toBe(true);
    expect(verifyTimestamped(secret, body, sig, t - 299)).toBe(true);
    expect(verifyTimestamped(secret, body, sig, t + 301)).toBe(false);
    expect(verifyTimestamped(secret, `${body} `, sig, t)).toBe(false);
    expect(verifyTimestamped(`${secret}x`, body, sig, t)).toBe(false);
    // Moving the time in the header breaks the signature.
    expect(verifyTimestamped(secret, body, sig.replace(`t=${t}`, `t=${t + 100}`), t + 100)).toBe(false);
    expect(verifyTimestamped(secret, body, undefined, t)).toBe(false);
    expect(verifyTimestamped(secret, body, 't=1,v1=zz', t)).toBe(false);
  });

  it('verifies only the right body with the right secret', () => {
    const secret = 'a-secret-of-at-least-thirty-two-chars!!';
    const body = '{"event":"report.status_changed"}';
    const sig = signBody(secret, body);
    expect(verifySignature(secret, body, sig)).toBe(true);
    expect(verifySignature(secret, `${body} `, sig)).toBe(false);
    expect(verifySignature(`${secret}x`, body, sig)).toBe(false);
    expect(verifySignature(secret, body, sig.toUpperCase())).toBe(false);
    expect(verifySignature(secret, body, undefined)).toBe(false);
    expect(verifySignature(secret, body, 'sha256=')).toBe(false);
  });
});

describe('retry backoff', () => {
  it('doubles from the base and is capped', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 5000))).toEqual([5000, 10_000, 20_000, 40_000]);
    expect(backoffMs(30, 5000)).toBe(3_600_000);
    expect(backoffMs(100, 5000, 60_000)).toBe(60_000);
    expect(backoffMs(0, 100)).toBe(100);
  });
});
