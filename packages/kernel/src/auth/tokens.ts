import { webcrypto } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';

export interface AccessClaims {
  sub: string;
  username: string;
  roles: string[];
  jurisdictions: string[];
}

/** Short-lived HS256 access tokens. */
export class TokenIssuer {
  private readonly key: Uint8Array<ArrayBuffer>;
  /** The key imported once: given raw bytes, jose imports a WebCrypto key on every call (most of a verify's time). */
  private cryptoKey: Promise<webcrypto.CryptoKey> | null = null;
  constructor(
    secret: string,
    readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  private imported(): Promise<webcrypto.CryptoKey> {
    this.cryptoKey ??= webcrypto.subtle.importKey('raw', this.key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    return this.cryptoKey;
  }

  async issue(claims: AccessClaims, now: Date): Promise<string> {
    const iat = Math.floor(now.getTime() / 1000);
    return new SignJWT({ username: claims.username, roles: claims.roles, jur: claims.jurisdictions })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuer('tartip')
      .setAudience('tartip-api')
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.ttlSeconds)
      .sign(await this.imported());
  }

  /** The claims of a valid token, or null for a forged, expired or malformed one. */
  async verify(token: string, now: Date): Promise<AccessClaims | null> {
    try {
      const { payload } = await jwtVerify(token, await this.imported(), {
        issuer: 'tartip',
        audience: 'tartip-api',
        algorithms: ['HS256'],
        currentDate: now,
      });
      if (typeof payload.sub !== 'string' || typeof payload.username !== 'string') return null;
      if (!Array.isArray(payload.roles) || !Array.isArray(payload.jur)) return null;
      return { sub: payload.sub, username: payload.username, roles: payload.roles as string[], jurisdictions: payload.jur as string[] };
    } catch {
      return null;
    }
  }
}
