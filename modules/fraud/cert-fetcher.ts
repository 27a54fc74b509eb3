import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';
import type { CertificateFetcher } from './domain/passport.ts';

/** A certificate chain is a few kilobytes; anything past this is not one. */
const MAX_BYTES = 64 * 1024;

/** Loopback, private, link-local (cloud metadata), carrier-grade NAT and unspecified addresses, v4 and v6. */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1], 'ipv4');
  const family = isIP(address);
  return family === 4 ? PRIVATE.check(address, 'ipv4') : family === 6 ? PRIVATE.check(address, 'ipv6') : false;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** `dns.lookup` for the HTTP agent, refusing a host that resolves to a private address (the x5u comes from the call). */
function publicOnly(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) return callback(Object.assign(new Error(`x5u host ${hostname} resolves to a private address (${bad.address})`), { code: 'EPRIVATE' }), '', 0);
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
}

/**
 * Fetches the certificate chain a PASSporT's `x5u` names, for call screening. The URL comes from whoever placed the
 * call, so the fetch is guarded:
 * - hosts that are or resolve to private, loopback or link-local addresses are refused (no reaching into the
 *   operator's own network or a cloud's metadata service), unless `allowPrivate` (tests, a lab);
 * - at most 64 KiB is read, counted as it arrives (a declared larger `content-length` is refused at once);
 * - the whole fetch takes at most `timeoutMs`, redirects are not followed;
 * - a chain is kept for `ttlMs`, and a failure for `failureMs`: a dead or slow x5u costs one timeout, not one per
 *   call (the calls in between fail at once, as `cert_unavailable`); fetches of one URL in flight are shared.
 */
export class HttpCertificateFetcher implements CertificateFetcher {
  private readonly cache = new Map<string, { pem: string; until: number } | { error: Error; until: number }>();
  private readonly inFlight = new Map<string, Promise<string>>();
  /** Requests actually sent (the rest were answered from the cache or shared). */
  requests = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly timeoutMs: number,
    private readonly options: { allowPrivate?: boolean; failureMs?: number; now?: () => number } = {},
  ) {}

  private now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }

  fetch(url: string): Promise<string> {
    const hit = this.cache.get(url);
    if (hit && hit.until > this.now()) return 'pem' in hit ? Promise.resolve(hit.pem) : Promise.reject(hit.error);
    const running = this.inFlight.get(url);
    if (running) return running;
    const p = this.get(url).then(
      (pem) => {
        this.remember(url, { pem, until: this.now() + this.ttlMs });
        return pem;
      },
      (e: unknown) => {
        const error = e instanceof Error ? e : new Error(String(e));
        this.remember(url, { error, until: this.now() + (this.options.failureMs ?? Math.min(this.ttlMs, 60_000)) });
        throw error;
      },
    );
    this.inFlight.set(url, p);
    const done = () => this.inFlight.delete(url);
    p.then(done, done);
    return p;
  }

  private remember(url: string, entry: { pem: string; until: number } | { error: Error; until: number }): void {
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(url, entry);
  }

  private get(url: string): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const u = new URL(url);
      const host = u.hostname.replace(/^\[|\]$/g, '');
      if (!this.options.allowPrivate && isIP(host) && isPrivateAddress(host)) {
        reject(new Error(`x5u ${url}: a private address`));
        return;
      }
      this.requests++;
      const get = u.protocol === 'https:' ? https.get : http.get;
      const req = get(u, { lookup: this.options.allowPrivate ? undefined : (publicOnly as never), headers: { accept: 'application/pem-certificate-chain, */*' } }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          req.destroy(new Error(`x5u ${url}: HTTP ${res.statusCode}`));
          return;
        }
        if (Number(res.headers['content-length'] ?? 0) > MAX_BYTES) {
          req.destroy(new Error(`x5u ${url}: larger than ${MAX_BYTES} bytes`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BYTES) req.destroy(new Error(`x5u ${url}: larger than ${MAX_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve(Buffer.concat(chunks).toString('utf8'));
        });
        res.on('error', () => {});
      });
      const timer = setTimeout(() => req.destroy(new Error(`x5u ${url}: no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }
}
