import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { type AccessClaims, TokenIssuer } from './tokens.ts';

const SECRET = 'x'.repeat(48);
const NOW = new Date('2026-03-22T08:00:00Z'); // Nauryz morning shift
const claims: AccessClaims = { sub: '01a20f1b-4e94-7e58-b347-65ca0099aa40', username: 'operator', roles: ['operator'], jurisdictions: ['750000000'] };
const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

describe('TokenIssuer', () => {
  const issuer = new TokenIssuer(SECRET, 900);

  it('issues a token that verifies back to the same claims', async () => {
    const token = await issuer.issue(claims, NOW);
    expect(token.split('.')).toHaveLength(3);
    expect(await issuer.verify(token, NOW)).toEqual(claims);
    expect(await issuer.verify(token, later(899))).toEqual(claims);
  });

  it('refuses an expired token (time injected, no waiting)', async () => {
    const token = await issuer.issue(claims, NOW);
    expect(await issuer.verify(token, later(900))).toBeNull();
    expect(await issuer.verify(token, later(3600))).toBeNull();
  });

  it('honours its ttl', async () => {
    const short = new TokenIssuer(SECRET, 60);
    const token = await short.issue(claims, NOW);
    expect(await short.verify(token, later(59))).toEqual(claims);
    expect(await short.verify(token, later(61))).toBeNull();
  });

  it('refuses a token signed with another secret (another deployment)', async () => {
    const foreign = await new TokenIssuer('y'.repeat(48), 900).issue(claims, NOW);
    expect(await issuer.verify(foreign, NOW)).toBeNull();
  });

  it('refuses a token whose payload was changed (escalating roles or jurisdiction)', async () => {
    const token = await issuer.issue(claims, NOW);
    const [header, payload, signature] = token.split('.');
    const body = JSON.parse(Buffer.from(payload, 'base64url').toString());
    for (const change of [{ roles: ['admin'] }, { jur: ['*'] }, { username: 'admin' }]) {
      const forged = Buffer.from(JSON.stringify({ ...body, ...change })).toString('base64url');
      expect(await issuer.verify(`${header}.${forged}.${signature}`, NOW), JSON.stringify(change)).toBeNull();
    }
    const flipped = signature[0] === 'A' ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
    expect(await issuer.verify(`${header}.${payload}.${flipped}`, NOW)).toBeNull();
  });

  it('refuses an unsigned (`alg: none`) token', async () => {
    const token = await issuer.issue(claims, NOW);
    const [, payload] = token.split('.');
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    expect(await issuer.verify(`${none}.${payload}.`, NOW)).toBeNull();
  });

  it('refuses tokens for another audience or issuer, and ones missing claims, even when signed with our secret', async () => {
    const key = new TextEncoder().encode(SECRET);
    const iat = Math.floor(NOW.getTime() / 1000);
    const sign = (payload: Record<string, unknown>, iss = 'tartip', aud = 'tartip-api') =>
      new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).setSubject(claims.sub).setIssuer(iss).setAudience(aud).setIssuedAt(iat).setExpirationTime(iat + 900).sign(key);
    const full = { username: 'operator', roles: ['operator'], jur: ['750000000'] };
    expect(await issuer.verify(await sign(full), NOW)).toEqual(claims); // control
    expect(await issuer.verify(await sign(full, 'someone-else'), NOW)).toBeNull();
    expect(await issuer.verify(await sign(full, 'tartip', 'another-api'), NOW)).toBeNull();
    expect(await issuer.verify(await sign({ username: 'operator', roles: ['operator'] }), NOW)).toBeNull();
    expect(await issuer.verify(await sign({ username: 'operator', roles: 'admin', jur: ['*'] }), NOW)).toBeNull();
    expect(await issuer.verify(await sign({ roles: ['operator'], jur: ['750000000'] }), NOW)).toBeNull();
  });

  it('refuses garbage', async () => {
    for (const bad of ['', 'abc', 'a.b.c', 'Bearer x']) expect(await issuer.verify(bad, NOW)).toBeNull();
  });
});
