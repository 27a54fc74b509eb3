/**
 * A closed-loop HTTP/1.1 load generator for benchmarks whose server answers faster than autocannon can ask.
 *
 * autocannon costs ~50 µs of CPU per request on the bench machine (its request builder, its response parser and
 * its per-request objects), and in these benchmarks it shares the server's two cores. This one does the least a
 * keep-alive client must: each connection writes one request (head and body as one string, one write), reads the
 * answer's status and `content-length`, waits for that many body bytes, and sends the next. No chunked answers
 * (the server under test sends `content-length`; anything else is counted as an error and the connection dropped).
 * Every request's latency is kept; percentiles are nearest-rank over all of them (`percentile` in lib.ts).
 */
import net from 'node:net';
import { percentile, round } from './lib.ts';

export interface Target {
  host: string;
  port: number;
}

export interface LoadOptions {
  /** Servers to spread the connections over, in turn (as a load balancer would). */
  targets: Target[];
  method: 'POST' | 'GET';
  path: string;
  /** Header lines besides host and content-length, e.g. `{ 'content-type': 'application/json' }`. */
  headers: Record<string, string>;
  connections: number;
  durationMs: number;
  /** Each request's body (ASCII). */
  body: () => string;
  /** Called with every answer's status and body text, when given (decoding a body costs; skip it when not needed). */
  onResponse?: (status: number, body: string) => void;
}

export interface LoadResult {
  /** Answers by status code. */
  statusCodes: Record<string, number>;
  ok: number;
  non2xx: number;
  /** Connections that failed (refused, reset, a malformed answer). */
  errors: number;
  elapsedMs: number;
  latency: { p50: number; p90: number; p99: number; max: number; mean: number };
}

/** p50/p90/p99/max/mean of latencies in ms, to two decimals (autocannon gives whole ms; finer is no harm). */
function summary(ms: number[]): LoadResult['latency'] {
  if (ms.length === 0) return { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
  const sorted = Float64Array.from(ms).sort();
  const at = (p: number) => round(percentile(sorted, p), 2);
  return { p50: at(50), p90: at(90), p99: at(99), max: at(100), mean: round(ms.reduce((a, b) => a + b, 0) / ms.length, 2) };
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** The status and body length of an answer's head (latin1 text up to the blank line), or null when it is not one we read. */
export function parseHead(head: string): { status: number; length: number } | null {
  if (!head.startsWith('HTTP/1.1 ') && !head.startsWith('HTTP/1.0 ')) return null;
  const status = Number(head.slice(9, 12));
  const lower = head.toLowerCase();
  const at = lower.indexOf('\r\ncontent-length:');
  if (!Number.isInteger(status) || at === -1) return null;
  const end = lower.indexOf('\r\n', at + 2);
  const length = Number(lower.slice(at + 17, end === -1 ? undefined : end).trim());
  return Number.isInteger(length) && length >= 0 ? { status, length } : null;
}

/** Runs `connections` keep-alive connections, each sending its next request when the last is answered, for `durationMs`. */
export function closedLoop(o: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  const headerLines = Object.entries(o.headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const started = performance.now();
  const until = started + o.durationMs;
  let open = 0;

  return new Promise((resolve) => {
    const finish = () => {
      if (--open > 0) return;
      resolve({ statusCodes, ok, non2xx, errors, elapsedMs: performance.now() - started, latency: summary(latencies) });
    };
    for (let c = 0; c < o.connections; c++) {
      const target = o.targets[c % o.targets.length];
      const hostLine = `host: ${target.host}:${target.port}\r\n`;
      const socket = net.connect({ host: target.host, port: target.port, noDelay: true });
      open++;
      let sentAt = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      let head: { status: number; length: number } | null = null;
      let headBytes = 0;
      let closed = false;
      const close = (failed: boolean) => {
        if (closed) return;
        closed = true;
        if (failed) errors++;
        socket.destroy();
        finish();
      };
      const send = () => {
        if (performance.now() >= until) return close(false);
        const body = o.method === 'GET' ? '' : o.body();
        sentAt = performance.now();
        socket.write(`${o.method} ${o.path} HTTP/1.1\r\n${hostLine}${headerLines}content-length: ${body.length}\r\n\r\n${body}`, 'latin1');
      };
      socket.on('connect', send);
      socket.on('error', () => close(true));
      socket.on('close', () => close(true));
      socket.on('data', (chunk: Buffer) => {
        pending.push(chunk);
        pendingBytes += chunk.length;
        for (;;) {
          if (head === null) {
            const all = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
            const end = all.indexOf(HEAD_END);
            if (end === -1) {
              pending = [all];
              return;
            }
            head = parseHead(all.toString('latin1', 0, end));
            if (head === null) return close(true);
            headBytes = end + 4;
            pending = [all];
          }
          if (pendingBytes < headBytes + head.length) return;
          const all = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
          latencies.push(performance.now() - sentAt);
          const { status, length } = head;
          statusCodes[status] = (statusCodes[status] ?? 0) + 1;
          if (status >= 200 && status < 300) ok++;
          else non2xx++;
          o.onResponse?.(status, all.toString('utf8', headBytes, headBytes + length));
          const rest = all.subarray(headBytes + length);
          pending = rest.length > 0 ? [rest] : [];
          pendingBytes = rest.length;
          head = null;
          send();
          if (closed || pendingBytes === 0) return;
        }
      });
    }
  });
}
