import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { HttpCertificateFetcher, isPrivateAddress } from './cert-fetcher.ts';
import { verifyIdentity } from './domain/passport.ts';
import { identityHeader, pem } from './testing/passport.ts';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('HttpCertificateFetcher', () => {
  let server: Server;
  let base: string;
  const hits: Record<string, number> = {};
  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '/';
      hits[path] = (hits[path] ?? 0) + 1;
      if (path === '/chain.pem') return void setTimeout(() => res.end(PEM), 30);
      if (path === '/missing.pem') return void res.writeHead(404).end();
      // 100 KiB without a content-length (chunked): refused while it arrives.
      if (path === '/huge.pem') {
        res.writeHead(200);
        for (let i = 0; i < 100; i++) res.write('x'.repeat(1024));
        return void res.end();
      }
      if (path === '/declared.pem') return void res.writeHead(200, { 'content-length': String(1 << 20) }).end();
      // Never answers.
      if (path === '/hangs.pem') return;
      res.writeHead(500).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('refuses an x5u on a private, loopback or link-local address unless allowed', async () => {
    const guarded = new HttpCertificateFetcher(60_000, 1000);
    await expect(guarded.fetch(`${base}/chain.pem`)).rejects.toThrow(/private address/);
    await expect(guarded.fetch('http://169.254.169.254/latest/meta-data/')).rejects.toThrow(/private address/);
    await expect(guarded.fetch('http://[::1]:9/x.pem')).rejects.toThrow(/private address/);
    // A name that resolves to loopback is refused too (checked when it is resolved, before connecting).
    await expect(guarded.fetch(`http://localhost:${new URL(base).port}/chain.pem`)).rejects.toThrow(/private address/);
    expect(hits['/chain.pem'] ?? 0).toBe(0);
    expect(await new HttpCertificateFetcher(60_000, 1000, { allowPrivate: true }).fetch(`${base}/chain.pem`)).toBe(PEM);
  });

  it('keeps a chain for its time, and shares a fetch in flight', async () => {
    const f = new HttpCertificateFetcher(60_000, 1000, { allowPrivate: true });
    const before = hits['/chain.pem'] ?? 0;
    const all = await Promise.all(Array.from({ length: 20 }, () => f.fetch(`${base}/chain.pem`)));
    expect(all.every((p) => p === PEM)).toBe(true);
    expect(await f.fetch(`${base}/chain.pem`)).toBe(PEM);
    expect(hits['/chain.pem'] - before).toBe(1);
    expect(f.requests).toBe(1);
  });

  it('reads at most 64 KiB, declared or not', async () => {
    const f = new HttpCertificateFetcher(60_000, 1000, { allowPrivate: true });
    await expect(f.fetch(`${base}/huge.pem`)).rejects.toThrow(/larger than 65536 bytes/);
    await expect(f.fetch(`${base}/declared.pem`)).rejects.toThrow(/larger than 65536 bytes/);
    await expect(f.fetch(`${base}/missing.pem`)).rejects.toThrow(/HTTP 404/);
  });

  it('an x5u that does not answer costs one timeout; the calls after it fail at once until the failure is forgotten', async () => {
    let now = 0;
    const f = new HttpCertificateFetcher(60_000, 150, { allowPrivate: true, failureMs: 30_000, now: () => now });
    const t0 = performance.now();
    await expect(f.fetch(`${base}/hangs.pem`)).rejects.toThrow(/no answer within 150 ms/);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    const t1 = performance.now();
    await expect(f.fetch(`${base}/hangs.pem`)).rejects.toThrow(/no answer/);
    expect(performance.now() - t1).toBeLessThan(50);
    expect(f.requests).toBe(1);
    now = 30_001;
    await expect(f.fetch(`${base}/hangs.pem`)).rejects.toThrow(/no answer/);
    expect(f.requests).toBe(2);
  });

  it('209 unresponsive link: the call’s PASSporT fails as cert_unavailable (SIP 436) after the timeout, not later', async () => {
    const f = new HttpCertificateFetcher(60_000, 150, { allowPrivate: true });
    const call = { caller: '+77011234567', called: '+77273334455' };
    const header = identityHeader({ x5u: `${base}/hangs.pem`, orig: call.caller, dest: [call.called], iat: Math.floor(Date.now() / 1000) });
    const t0 = performance.now();
    const r = await verifyIdentity(header, call, Date.now(), f, { anchors: [new X509Certificate(pem('sti-ca.pem'))], freshnessS: 60, allowHttp: true });
    expect(r).toEqual({ ok: false, reason: 'cert_unavailable', sipCode: 436 });
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('knows the private ranges', () => {
    for (const a of ['10.1.2.3', '172.20.0.1', '192.168.1.1', '127.0.0.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:10.0.0.1']) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['8.8.8.8', '172.32.0.1', '2a00:1450::1', '::ffff:8.8.8.8']) expect(isPrivateAddress(a), a).toBe(false);
  });
});
