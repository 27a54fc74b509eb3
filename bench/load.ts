/**
 * An HTTP/1.1 load generator for benchmarks whose server answers faster than autocannon can ask: a closed loop
 * (`closedLoop`, throughput at saturation) and an open loop at a fixed rate (`fixedRate`, latency at a given load).
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

/**
 * One keep-alive connection that sends one request at a time: `send` writes it (head and body as one string, one
 * write); `onAnswer` gets each answer's status and its body bytes, after which the connection takes the next.
 */
function connection(
  target: Target,
  o: Pick<LoadOptions, 'method' | 'path' | 'headers'>,
  events: { connect(): void; answer(status: number, all: Buffer, from: number, length: number): void; closed(failed: boolean): void },
) {
  const head0 = `${o.method} ${o.path} HTTP/1.1\r\nhost: ${target.host}:${target.port}\r\n${Object.entries(o.headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}`;
  const socket = net.connect({ host: target.host, port: target.port, noDelay: true });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let head: { status: number; length: number } | null = null;
  let headBytes = 0;
  let closed = false;
  const close = (failed: boolean) => {
    if (closed) return;
    closed = true;
    socket.destroy();
    events.closed(failed);
  };
  socket.on('connect', () => events.connect());
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
      const { status, length } = head;
      const rest = all.subarray(headBytes + length);
      pending = rest.length > 0 ? [rest] : [];
      pendingBytes = rest.length;
      head = null;
      events.answer(status, all, headBytes, length);
      if (closed || pendingBytes === 0) return;
    }
  });
  return {
    send(body: string) {
      socket.write(`${head0}content-length: ${body.length}\r\n\r\n${body}`, 'latin1');
    },
    close,
  };
}

/** Counts answers by status and keeps their latencies. */
function tally(o: Pick<LoadOptions, 'onResponse'>) {
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  const t = {
    latencies,
    statusCodes,
    ok: 0,
    non2xx: 0,
    errors: 0,
    answer(status: number, all: Buffer, from: number, length: number, latencyMs: number) {
      latencies.push(latencyMs);
      statusCodes[status] = (statusCodes[status] ?? 0) + 1;
      if (status >= 200 && status < 300) t.ok++;
      else t.non2xx++;
      o.onResponse?.(status, all.toString('utf8', from, from + length));
    },
  };
  return t;
}

/** Runs `connections` keep-alive connections, each sending its next request when the last is answered, for `durationMs`. */
export function closedLoop(o: LoadOptions): Promise<LoadResult> {
  const t = tally(o);
  const started = performance.now();
  const until = started + o.durationMs;
  let open = 0;
  return new Promise((resolve) => {
    const finish = () => {
      if (--open > 0) return;
      resolve({ statusCodes: t.statusCodes, ok: t.ok, non2xx: t.non2xx, errors: t.errors, elapsedMs: performance.now() - started, latency: summary(t.latencies) });
    };
    for (let c = 0; c < o.connections; c++) {
      let sentAt = 0;
      open++;
      const send = () => {
        if (performance.now() >= until) return conn.close(false);
        const body = o.method === 'GET' ? '' : o.body();
        sentAt = performance.now();
        conn.send(body);
      };
      const conn = connection(o.targets[c % o.targets.length], o, {
        connect: send,
        answer: (status, all, from, length) => {
          t.answer(status, all, from, length, performance.now() - sentAt);
          send();
        },
        closed: (failed) => {
          if (failed) t.errors++;
          finish();
        },
      });
    }
  });
}

export interface FixedRateResult extends LoadResult {
  /** Requests the schedule asked for, and those still unanswered when it ended (a server that fell behind). */
  offered: number;
  unanswered: number;
}

/**
 * Open loop: requests at a fixed rate, `ratePerSecond`, for `durationMs`, whatever the answers do — as the clients of
 * a service arrive. Request i is due at start + i / rate; it goes out on the first idle connection of the pool (a
 * request due while every connection waits for an answer waits for one), and its latency is counted from when it was
 * due, not from when it was sent, so a server that stalls is charged for every request that arrived meanwhile (the
 * "coordinated omission" a closed loop makes: there, a stalled server is simply sent nothing). The schedule is kept
 * by a timer every millisecond, sending what fell due since; its lateness counts against the server too. At the end,
 * requests still waiting or unanswered after `graceMs` are counted (`unanswered`), not waited for.
 */
export function fixedRate(o: LoadOptions & { ratePerSecond: number; graceMs?: number }): Promise<FixedRateResult> {
  const t = tally(o);
  const intervalMs = 1000 / o.ratePerSecond;
  const offered = Math.floor((o.durationMs / 1000) * o.ratePerSecond);
  const idle: { send(body: string): void; close(failed: boolean): void; dueAt: number }[] = [];
  const all: typeof idle = [];
  /** Due times of requests waiting for an idle connection. */
  const waiting: number[] = [];
  let waitingFrom = 0;
  let scheduled = 0;
  let answered = 0;
  let started = 0;
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      clearInterval(timer);
      for (const c of all) c.close(false);
      resolve({
        statusCodes: t.statusCodes,
        ok: t.ok,
        non2xx: t.non2xx,
        errors: t.errors,
        elapsedMs: performance.now() - started,
        latency: summary(t.latencies),
        offered,
        unanswered: offered - answered,
      });
    };
    const dispatch = () => {
      while (waitingFrom < waiting.length && idle.length > 0) {
        const c = idle.pop() as (typeof idle)[number];
        c.dueAt = waiting[waitingFrom++];
        c.send(o.method === 'GET' ? '' : o.body());
      }
      if (waitingFrom > 4096 && waitingFrom * 2 > waiting.length) {
        waiting.splice(0, waitingFrom);
        waitingFrom = 0;
      }
    };
    const tick = () => {
      const now = performance.now();
      const due = Math.min(offered, Math.floor((now - started) / intervalMs) + 1);
      for (; scheduled < due; scheduled++) waiting.push(started + scheduled * intervalMs);
      dispatch();
      if (scheduled >= offered && now - started > o.durationMs + (o.graceMs ?? 5000)) end();
    };
    let connected = 0;
    for (let c = 0; c < o.connections; c++) {
      const conn = Object.assign(
        connection(o.targets[c % o.targets.length], o, {
          connect: () => {
            idle.push(conn);
            if (++connected === o.connections) {
              started = performance.now();
              timer = setInterval(tick, 1);
              tick();
            }
          },
          answer: (status, buf, from, length) => {
            t.answer(status, buf, from, length, performance.now() - conn.dueAt);
            answered++;
            idle.push(conn);
            if (answered === offered) return end();
            dispatch();
          },
          closed: (failed) => {
            if (failed && !done) t.errors++;
          },
        }),
        { dueAt: 0 },
      );
      all.push(conn);
    }
  });
}
