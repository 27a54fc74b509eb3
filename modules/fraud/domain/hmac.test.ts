import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HmacSha256 } from './hmac.ts';
import { IdentifierDigests, identifierDigest } from './identifiers.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('HmacSha256', () => {
  it('equals node:crypto HMAC-SHA256 for every message length across block boundaries, UTF-8 and key sizes', () => {
    for (const key of ['', 'tk-demo-key', 'ключ', 'k'.repeat(64), 'k'.repeat(65), randomBytes(100).toString('hex')]) {
      const h = new HmacSha256(key);
      for (let len = 0; len < 200; len++) {
        const ascii = randomBytes(len).toString('base64').slice(0, len);
        expect(hex(h.digest(ascii))).toBe(createHmac('sha256', key).update(ascii).digest('hex'));
        const utf = 'ж€😀'.repeat(len).slice(0, len);
        expect(hex(h.digest(utf))).toBe(createHmac('sha256', key).update(utf).digest('hex'));
      }
    }
  });

  it('a prefix and a message are the MAC of the two together, ASCII or not, whatever the lengths', () => {
    const h = new HmacSha256('tk-demo-key');
    for (const prefix of ['', 'phone:', 'ключ:', 'p'.repeat(70)]) {
      for (let len = 0; len < 140; len += 7) {
        for (const message of [randomBytes(len).toString('base64').slice(0, len), 'ж€😀'.repeat(len).slice(0, len)]) {
          expect(hex(h.digest(message, undefined, prefix))).toBe(createHmac('sha256', 'tk-demo-key').update(prefix + message).digest('hex'));
        }
      }
    }
  });

  it('writes into the buffer given, and IdentifierDigests gives the shared hash', () => {
    const out = new Uint8Array(32);
    const d = new IdentifierDigests('shared-key');
    expect(d.digest('phone', '+77011234567', out)).toBe(out);
    expect(hex(out)).toBe(hex(identifierDigest('shared-key', 'phone', '+77011234567')));
    expect(hex(d.digest('iban', 'KZ86125KZT5004100100'))).toBe(hex(identifierDigest('shared-key', 'iban', 'KZ86125KZT5004100100')));
  });
});
