import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { backoffMs, signBody, verifySignature, webhookBody } from './webhook.ts';

describe('webhook signature', () => {
  it('is sha256= and the hex HMAC-SHA256 of the raw body (RFC 4231-style known value)', () => {
    expect(signBody('key', 'The quick brown fox jumps over the lazy dog')).toBe(
      'sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
  });

  it('signs the exact bytes, UTF-8 included', () => {
    const body = webhookBody({ reportId: 'r1', status: 'closed', statusNote: 'Задержан', at: '2026-01-01T00:00:00.000Z' });
    expect(JSON.parse(body)).toEqual({ event: 'report.status_changed', reportId: 'r1', status: 'closed', statusNote: 'Задержан', at: '2026-01-01T00:00:00.000Z' });
    const secret = 's'.repeat(40);
    expect(signBody(secret, body)).toBe(`sha256=${createHmac('sha256', secret).update(Buffer.from(body, 'utf8')).digest('hex')}`);
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
