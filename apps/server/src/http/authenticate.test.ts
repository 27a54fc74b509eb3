import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../../packages/kernel/src/auth/principal.ts';
import { ApiKeyCache } from './authenticate.ts';

const partner = { kind: 'partner', id: 'k1', name: 'bank', channel: 'bank', scopes: new Set(), jurisdictions: ['*'] } as unknown as Principal;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ApiKeyCache', () => {
  it('reuses a lookup within its time, looks up again after it, and forgets everything on clear', async () => {
    const cache = new ApiKeyCache(80);
    let lookups = 0;
    const lookup = async () => {
      lookups++;
      return partner;
    };
    expect(await cache.get('tk_bank_secret_1', lookup)).toBe(partner);
    expect(await cache.get('tk_bank_secret_1', lookup)).toBe(partner);
    expect(lookups).toBe(1);
    await sleep(100);
    await cache.get('tk_bank_secret_1', lookup);
    expect(lookups).toBe(2);
    cache.clear();
    await cache.get('tk_bank_secret_1', lookup);
    expect(lookups).toBe(3);
  });

  it('caches unknown keys too (a flood of wrong keys is not a flood of queries), each key on its own', async () => {
    const cache = new ApiKeyCache(10_000);
    let lookups = 0;
    const unknown = async () => {
      lookups++;
      return null;
    };
    expect(await cache.get('tk_bank_wrong_1', unknown)).toBeNull();
    expect(await cache.get('tk_bank_wrong_1', unknown)).toBeNull();
    expect(await cache.get('tk_bank_wrong_2', unknown)).toBeNull();
    expect(lookups).toBe(2);
  });

  it('requests that arrive together with a new key share one lookup; a failed lookup is not remembered', async () => {
    const cache = new ApiKeyCache(10_000);
    let lookups = 0;
    const slow = async () => {
      lookups++;
      await sleep(20);
      return partner;
    };
    const all = await Promise.all(Array.from({ length: 50 }, () => cache.get('tk_bank_secret_9', slow)));
    expect(all.every((p) => p === partner)).toBe(true);
    expect(lookups).toBe(1);
    await expect(cache.get('tk_bank_down', async () => Promise.reject(new Error('database down')))).rejects.toThrow('database down');
    await sleep(0);
    expect(await cache.get('tk_bank_down', async () => partner)).toBe(partner);
  });

  it('once a lookup has finished, its answer comes as a value (the request goes on without waiting a turn)', async () => {
    const cache = new ApiKeyCache(10_000);
    const first = cache.get('tk_bank_secret_3', async () => partner);
    expect(first).toBeInstanceOf(Promise);
    await first;
    expect(cache.get('tk_bank_secret_3', async () => partner)).toBe(partner);
    const unknown = cache.get('tk_bank_wrong_3', async () => null);
    await unknown;
    expect(cache.get('tk_bank_wrong_3', async () => partner)).toBeNull();
  });

  it('when its time is up and the database cannot answer, a known key keeps its last answer; a revocation counts once it can', async () => {
    const cache = new ApiKeyCache(50, 40);
    let lookups = 0;
    let answer: () => Promise<Principal | null> = async () => partner;
    const lookup = () => {
      lookups++;
      return answer();
    };
    expect(await cache.get('tk_bank_secret_5', lookup)).toBe(partner);
    expect(await cache.get('tk_bank_wrong_5', async () => null)).toBeNull();
    answer = async () => Promise.reject(new Error('database down'));
    await sleep(60);
    // The lookup fails: the request is still served, with the answer the key had.
    expect(await cache.get('tk_bank_secret_5', lookup)).toBe(partner);
    expect(await cache.get('tk_bank_wrong_5', lookup)).toBeNull();
    expect(lookups).toBe(3);
    // Until the retry, served as a value without asking the database again.
    expect(cache.get('tk_bank_secret_5', lookup)).toBe(partner);
    expect(lookups).toBe(3);
    await sleep(50);
    expect(await cache.get('tk_bank_secret_5', lookup)).toBe(partner);
    expect(lookups).toBe(4);
    // The database is back and the key was revoked meanwhile: the next lookup's answer counts.
    answer = async () => null;
    await sleep(50);
    expect(await cache.get('tk_bank_secret_5', lookup)).toBeNull();
    // A key never answered is refused while the database is down (the error reaches the request).
    answer = async () => Promise.reject(new Error('database down'));
    await expect(cache.get('tk_bank_never_seen', lookup)).rejects.toThrow('database down');
  });

  it('with a time of 0, looks up every time', async () => {
    const cache = new ApiKeyCache(0);
    let lookups = 0;
    for (let i = 0; i < 3; i++)
      await cache.get('tk_bank_secret_1', async () => {
        lookups++;
        return partner;
      });
    expect(lookups).toBe(3);
  });
});
