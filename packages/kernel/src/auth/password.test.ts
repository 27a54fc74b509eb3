import { describe, expect, it } from 'vitest';
import { DUMMY_HASH_PROMISE, hashPassword, verifyPassword } from './password.ts';

describe('password hashing (scrypt)', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('Qazaqstan-2026!');
    expect(await verifyPassword('Qazaqstan-2026!', hash)).toBe(true);
    expect(await verifyPassword('qazaqstan-2026!', hash)).toBe(false);
    expect(await verifyPassword('Qazaqstan-2026', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('stores parameters and a random salt, never the password', async () => {
    const a = await hashPassword('құпиясөз');
    const b = await hashPassword('құпиясөз');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('құпиясөз');
    expect(await verifyPassword('құпиясөз', b)).toBe(true);
  });

  it('normalises Unicode, so the same Kazakh password typed on two keyboards matches', async () => {
    const composed = 'Ғалым'; // U+0492
    const hash = await hashPassword(composed);
    expect(await verifyPassword(composed.normalize('NFD'), hash)).toBe(true);
  });

  it('refuses tampered hashes: changed key, salt or parameters', async () => {
    const hash = await hashPassword('correct horse');
    const [algo, n, r, p, salt, key] = hash.split('$');
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const tampered = {
      key: [algo, n, r, p, salt, flip(key)],
      salt: [algo, n, r, p, flip(salt), key],
      cost: [algo, '16384', r, p, salt, key],
      algorithm: ['bcrypt', n, r, p, salt, key],
    };
    for (const [what, parts] of Object.entries(tampered)) {
      expect(await verifyPassword('correct horse', parts.join('$')), what).toBe(false);
    }
  });

  it('fails closed on damaged hashes instead of accepting any password or throwing', async () => {
    const hash = await hashPassword('correct horse');
    const [algo, n, r, p, salt, key] = hash.split('$');
    const damaged = [
      [algo, n, r, p, salt, '!!!'].join('$'), // key decodes to zero bytes: would compare equal to anything
      [algo, n, r, p, salt, key.slice(0, 4)].join('$'), // truncated key: a 3-byte comparison
      [algo, 'abc', r, p, salt, key].join('$'), // unusable cost: scrypt throws
      [algo, '1048576', r, p, salt, key].join('$'), // cost beyond the memory cap: scrypt throws
      [algo, n, r, p, '', key].join('$'),
      'scrypt',
      '',
      'garbage',
    ];
    for (const stored of damaged) {
      await expect(verifyPassword('anything at all', stored), stored).resolves.toBe(false);
      await expect(verifyPassword('correct horse', stored), stored).resolves.toBe(false);
    }
  });

  it('has a dummy hash for unknown users that no password matches', async () => {
    const dummy = await DUMMY_HASH_PROMISE;
    expect(dummy).toMatch(/^scrypt\$/);
    expect(await verifyPassword('demo', dummy)).toBe(false);
    expect(await verifyPassword('', dummy)).toBe(false);
  });
});
