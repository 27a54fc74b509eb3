import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedLoop, fixedRate, parseHead } from './load.ts';

describe('parseHead', () => {
  it('reads the status and content-length, in any case; refuses what it cannot follow', () => {
    expect(parseHead('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 42')).toEqual({ status: 200, length: 42 });
    expect(parseHead('HTTP/1.1 429 Too Many Requests\r\ncontent-length: 0')).toEqual({ status: 429, length: 0 });
    expect(parseHead('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked')).toBeNull();
    expect(parseHead('SSH-2.0-OpenSSH')).toBeNull();
  });
});

/** A server that hands each request's whole body to `answer`. */
const listening = (answer: (body: string, res: http.ServerResponse) => void) =>
  http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => answer(body, res));
  });

describe('closedLoop against a real server', () => {
  let server: http.Server;
  let port: number;
  const seen: string[] = [];
  beforeAll(async () => {
    server = listening((body, res) => {
      seen.push(body);
      const n = Number(JSON.parse(body).n);
      const answer = JSON.stringify({ echo: n, pad: 'я'.repeat(n % 50) });
      // Every 7th is refused; every 5th answer comes in two writes, its head before its body.
      res.writeHead(n % 7 === 0 ? 429 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
      if (n % 5 === 0) {
        res.flushHeaders();
        setTimeout(() => res.end(answer), 2);
      } else res.end(answer);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sends each request once, counts every answer by status, and hands over each body whole', async () => {
    let n = 0;
    const answers: { status: number; body: string }[] = [];
    const r = await closedLoop({
      targets: [{ host: '127.0.0.1', port }],
      method: 'POST',
      path: '/x',
      headers: { 'content-type': 'application/json' },
      connections: 4,
      durationMs: 300,
      body: () => JSON.stringify({ n: n++ }),
      onResponse: (status, body) => answers.push({ status, body }),
    });
    expect(r.errors).toBe(0);
    expect(r.ok + r.non2xx).toBe(n);
    expect(seen.length).toBe(n);
    expect(answers.length).toBe(n);
    for (const a of answers) {
      const { echo, pad } = JSON.parse(a.body);
      expect(pad).toBe('я'.repeat(echo % 50));
      expect(a.status).toBe(echo % 7 === 0 ? 429 : 200);
    }
    expect(r.statusCodes['429']).toBe(r.non2xx);
    expect(r.latency.p50).toBeGreaterThan(0);
    expect(r.latency.max).toBeGreaterThanOrEqual(r.latency.p99);
  });

  it('counts a connection that cannot be made as an error, and still ends', async () => {
    const r = await closedLoop({ targets: [{ host: '127.0.0.1', port: 1 }], method: 'GET', path: '/', headers: {}, connections: 2, durationMs: 100, body: () => '' });
    expect(r.errors).toBe(2);
    expect(r.ok).toBe(0);
  });
});

describe('fixedRate against a real server', () => {
  let server: http.Server;
  let port: number;
  let delayMs = 0;
  const seen: number[] = [];
  beforeAll(async () => {
    server = listening((body, res) => {
      seen.push(Number(JSON.parse(body).n));
      setTimeout(() => res.end(JSON.stringify({ ok: true })), delayMs);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const load = (ratePerSecond: number, connections: number, durationMs: number, graceMs = 5000) => {
    let n = 0;
    return fixedRate({ targets: [{ host: '127.0.0.1', port }], method: 'POST', path: '/x', headers: {}, connections, durationMs, ratePerSecond, graceMs, body: () => JSON.stringify({ n: n++ }) });
  };

  it('sends exactly the scheduled requests, each once, whatever the answers', async () => {
    seen.length = 0;
    delayMs = 0;
    const r = await load(500, 4, 400);
    expect(r.offered).toBe(200);
    expect(r.ok).toBe(200);
    expect(r.unanswered).toBe(0);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    // It took the schedule's time, not less: an open loop does not run ahead of its rate.
    expect(r.elapsedMs).toBeGreaterThanOrEqual(390);
  });

  it('charges a slow server for every request that arrived while it was busy, counted from when each was due', async () => {
    // One connection, answers after 20 ms, 200 requests/s offered for 200 ms: 40 requests, served one per 20 ms, so
    // the last waits some 600 ms. A closed loop would report 20 ms for each.
    seen.length = 0;
    delayMs = 20;
    const r = await load(200, 1, 200);
    expect(r.ok).toBe(40);
    expect(r.latency.p50).toBeGreaterThan(150);
    expect(r.latency.max).toBeGreaterThan(500);
    // In order, one at a time.
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('stops after the grace period and counts what was never answered', async () => {
    delayMs = 300;
    const r = await load(100, 1, 100, 200);
    expect(r.offered).toBe(10);
    expect(r.ok).toBeLessThan(10);
    expect(r.unanswered).toBe(10 - r.ok);
    delayMs = 0;
  });
});
