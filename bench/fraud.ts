/**
 * Anti-fraud screening (module `fraud`): memory and lookup time of the indicator set, decisions in process, and
 * call and transaction screening over HTTP. See bench/README.md for what each figure means.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DEMO_HASH_KEY } from '../modules/fraud/config/settings.ts';
import { IdentifierDigests, identifierHash } from '../modules/fraud/domain/identifiers.ts';
import { type IndicatorState, IndicatorSet } from '../modules/fraud/domain/indicator-set.ts';
import { MODULES } from '../apps/server/src/modules.ts';
import { migrationsOf } from '../packages/kernel/src/module.ts';
import { testKernel } from '../packages/kernel/src/testing.ts';
import { fraudRuntime } from '../modules/fraud/index.ts';
import { CallStream } from '../modules/fraud/domain/streams.ts';
import { type CallInput, FraudRuntime, type TxInput } from '../modules/fraud/runtime.ts';
import { type BenchResult, gcFn, log, memoryOf, type Metric, requirePostgres, round, scratchDatabase, sleep } from './lib.ts';
import { closedLoop, fixedRate, type Target } from './load.ts';
import { call, cpuMs, cpuOfProcesses, cpuUsed, type Running, sql, startVariant } from './ops-lib.ts';

const INDICATORS = Number(process.env.TARTIP_BENCH_FRAUD_INDICATORS || 10_000_000);
const LOOKUPS = 2_000_000;
const TELECOM_KEY = 'tk_telecom_demo_Lw4qE7rT1yU5iO8pA2sD6fG9';
const BANK_KEY = 'tk_bank_demo_Pm3kJ6hG9fD2sA5zX8cV1bN4';
const CONNECTIONS = 64;
/** Batched runs: decisions per request and connections (a gateway gathering the attempts of a millisecond or two). */
const BATCH = Number(process.env.TARTIP_BENCH_FRAUD_BATCH || 20);
const BATCH_CONNECTIONS = Number(process.env.TARTIP_BENCH_FRAUD_BATCH_CONNECTIONS || 4);
/** Batched runs at the target rate: the pool a gateway keeps, so that a burst of due requests is not held back by the load generator. */
const RATE_BATCH_CONNECTIONS = 16;
const WARMUP_S = 3;
const DURATION_S = 10;
/** Server processes for the HTTP loads: one per core, sharing the database and the bus, as deploy.md scales out. */
const PROCESSES = Number(process.env.TARTIP_BENCH_FRAUD_PROCESSES || 2);
const TARGETS = { memoryGiB: 1.5, lookupNs: 1000, callsHttp: 20_000, callsHttpP99: 10, callsInProcess: 500_000, txHttp: 10_000, txHttpP99: 15 };

const KINDS = ['phone', 'iban', 'card', 'imsi', 'iccid', 'imei'] as const;
const SOURCES = ['police_case', 'bank', 'operator', 'citizen_report'] as const;

/** 10 million indicators in the set: bytes held after a full GC, load rate, and lookups of present and absent identifiers. */
const CALLED_NUMBERS = 1_000_000;

/**
 * The call stream's heap per called number, at its default bound (a million numbers): each called once by a number
 * it knew (not risky), and each called four times, every other call risky — the stream of a busy switch.
 */
function callStreamMemory() {
  const gc = gcFn();
  const used = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const perNumber = (calls: number, riskyEvery: number) => {
    const before = used();
    const stream = new CallStream(6 * 3_600_000, 2 * CALLED_NUMBERS);
    const now = Date.now();
    for (let i = 0; i < CALLED_NUMBERS; i++) {
      const called = kzNumber(5_000_000 + i);
      for (let k = 0; k < calls; k++) stream.record(called, kzNumber((i * 7 + k * 13) % 9_000_000), riskyEvery > 0 && k % riskyEvery === 0 ? 'unknown' : null, now + k);
    }
    const bytes = (used() - before) / CALLED_NUMBERS;
    if (stream.size !== CALLED_NUMBERS) throw new Error('call stream lost numbers');
    return round(bytes, 0);
  };
  const once = perNumber(1, 0);
  const busy = perNumber(4, 2);
  log(`  call stream: ${once} bytes per number called once, ${busy} bytes per number called four times (two risky)`);
  return { once, busy };
}

function indicatorMemory() {
  const gc = gcFn();
  const used = () => {
    gc();
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const before = used();
  const set = new IndicatorSet();
  // Every 10th indicator's digest is kept, as bytes (a kept slice of the batch's hex string would keep the whole
  // string alive and be counted as the set's), to look it up later.
  const sample = Math.min(1_000_000, Math.floor(INDICATORS / 10));
  const keptDigests = Buffer.alloc(sample * 32);
  const keptKinds: (typeof KINDS)[number][] = [];
  const validFrom = '2026-01-01T00:00:00.000Z';
  const updatedAt = '2026-11-01T00:00:00.000Z';
  const t0 = performance.now();
  const BATCH = 10_000;
  for (let done = 0; done < INDICATORS; done += BATCH) {
    const hex = randomBytes(32 * BATCH).toString('hex');
    for (let j = 0; j < BATCH && done + j < INDICATORS; j++) {
      const i = done + j;
      const s: IndicatorState = {
        id: randomUUID(),
        kind: KINDS[i % KINDS.length],
        hash: hex.slice(j * 64, j * 64 + 64),
        source: SOURCES[i % SOURCES.length],
        confidence: 0.5 + (i % 50) / 100,
        effect: i % 3 === 0 ? 'block' : 'warn',
        overridable: i % 7 !== 0,
        validFrom,
        validUntil: i % 2 === 0 ? null : '2027-06-01T00:00:00.000Z',
        revoked: false,
        updatedAt,
      };
      set.apply(s);
      if (i % 10 === 0 && keptKinds.length < sample) {
        keptDigests.write(s.hash, keptKinds.length * 32, 'hex');
        keptKinds.push(s.kind);
      }
    }
  }
  const loadMs = performance.now() - t0;
  const keptBytes = keptDigests.byteLength + keptKinds.length * 8;
  const after = used();
  const heldBytes = after - before - keptBytes;
  log(`    ${INDICATORS.toLocaleString('en')} indicators: ${round(heldBytes / 2 ** 20, 0)} MiB (${round(heldBytes / INDICATORS, 1)} bytes each), loaded at ${round(INDICATORS / (loadMs / 1000), 0)}/s`);

  // Lookups: half present (the kept sample), half absent (random digests), as 32-byte digests — the form the runtime has.
  const at = Date.parse('2026-11-25T00:00:00Z');
  const digests = Buffer.alloc(LOOKUPS * 32);
  const kinds: (typeof KINDS)[number][] = [];
  for (let i = 0; i < LOOKUPS; i++) {
    if (i % 2 === 0 && keptKinds.length > 0) {
      const k = (i / 2) % keptKinds.length;
      keptDigests.copy(digests, i * 32, k * 32, k * 32 + 32);
      kinds.push(keptKinds[k]);
    } else {
      randomBytes(32).copy(digests, i * 32);
      kinds.push(KINDS[i % KINDS.length]);
    }
  }
  let found = 0;
  const t1 = performance.now();
  for (let i = 0; i < LOOKUPS; i++) if (set.lookupDigest(kinds[i], digests.subarray(i * 32, i * 32 + 32), at)) found++;
  const lookupNs = ((performance.now() - t1) * 1e6) / LOOKUPS;
  // The same with the identifier in the clear: HMAC-SHA256 under the shared key first, as a screening request does —
  // with the runtime's own digester (`IdentifierDigests`: pure-JavaScript HMAC into one reused buffer), not
  // node:crypto's createHmac, whose per-call objects cost more than the hash on identifiers this short.
  const numbers = Array.from({ length: 200_000 }, (_, i) => `+7701${String(1_000_000 + i).slice(1)}`);
  const digester = new IdentifierDigests(DEMO_HASH_KEY);
  const scratch = new Uint8Array(32);
  const t2 = performance.now();
  let found2 = 0;
  for (const n of numbers) if (set.lookupDigest('phone', digester.digest('phone', n, scratch), at)) found2++;
  const hmacLookupNs = ((performance.now() - t2) * 1e6) / numbers.length;
  log(`    lookup ${round(lookupNs, 0)} ns (digest; ${found} of ${LOOKUPS} found), ${round(hmacLookupNs, 0)} ns with the HMAC of a number in the clear`);
  return {
    indicators: set.size,
    heldBytes,
    bytesPerIndicator: round(heldBytes / INDICATORS, 1),
    typedArrayBytes: set.bytes,
    loadPerSecond: round(INDICATORS / (loadMs / 1000), 0),
    lookupNs: round(lookupNs, 1),
    lookups: LOOKUPS,
    found,
    hmacLookupNs: round(hmacLookupNs, 0),
    hmacFound: found2,
  };
}

/**
 * Decisions in this process, no HTTP: `FraudRuntime.screenCall` / `screenTransaction` of the real module on a real
 * kernel (embedded PGlite, memory bus) with 1,000,000 indicators in memory. Each decision is the whole hot path —
 * normalised identifiers hashed (HMAC), looked up, roaming, the call and payment streams, the rules or typologies,
 * a decision id, the record written (as bytes) into the decision log. The log's writer runs between the timed rounds:
 * its own thread makes the records into rows (that thread's busy time is reported per decision, beside the figure)
 * and the insert runs in PGlite's thread. Each round's inputs (the strings a switch or bank would hand over) are made
 * before the round is timed.
 */
async function inProcess() {
  const kernel = await testKernel({ migrations: migrationsOf(MODULES), env: { TARTIP_FRAUD_RECORD_BUFFER: '10000000', TARTIP_FRAUD_RECORD_BATCH: '5000' } });
  try {
    const rt = fraudRuntime(kernel);
    await rt.start();
    const updatedAt = new Date().toISOString();
    for (let i = 0; i < 1_000_000; i++) {
      const phone = i % 2 === 0;
      const value = phone ? kzNumber(i) : kzIban(i);
      rt.indicators.apply({
        id: randomUUID(),
        kind: phone ? 'phone' : 'iban',
        hash: identifierHash(rt.settings.hashKey, phone ? 'phone' : 'iban', value),
        source: 'bank',
        confidence: 0.8,
        effect: i % 4 === 0 ? 'block' : 'warn',
        overridable: true,
        validFrom: '2026-01-01T00:00:00.000Z',
        validUntil: null,
        revoked: false,
        updatedAt,
      });
    }
    const origin = { partner: 'bench', channel: 'telecom', area: null };
    const ROUNDS = 5;
    const PER_ROUND = 100_000;
    let callMs = 0;
    const writer0 = rt.recorder.writerThreadMs;
    let n = 0;
    const outcomes: Record<string, number> = {};
    for (let round = 0; round < ROUNDS + 1; round++) {
      // The switch hands over its strings; making them is not screening, so each round's calls are made first.
      const inputs: CallInput[] = Array.from({ length: PER_ROUND }, (_, j) => {
        const i = n + j;
        return { caller: kzNumber((i * 7) % 10_000_000), called: kzNumber(5_000_000 + (i % 50_000)), ingress: i % 5 === 1 ? 'international' : 'domestic', trunk: 't1', identity: null };
      });
      n += PER_ROUND;
      const t0 = performance.now();
      for (let j = 0; j < PER_ROUND; j++) {
        const r = await rt.screenCall(inputs[j], origin as never);
        if (round > 0) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
      }
      if (round > 0) callMs += performance.now() - t0; // round 0 warms up
      await rt.recorder.flush();
    }
    const calls = ROUNDS * PER_ROUND;
    // The decision log's own thread makes the rows (warm-up round included: per decision over all six rounds).
    const callWriterUs = ((rt.recorder.writerThreadMs - writer0) * 1000) / ((ROUNDS + 1) * PER_ROUND);
    let txMs = 0;
    const writer1 = rt.recorder.writerThreadMs;
    let m = 0;
    const txOutcomes: Record<string, number> = {};
    for (let round = 0; round < ROUNDS + 1; round++) {
      const inputs: TxInput[] = Array.from({ length: PER_ROUND }, (_, j) => {
        const i = m + j;
        const amount = 1000 + ((i * 7919) % 499_000);
        return {
          id: `b${i}`,
          amount,
          currency: 'KZT',
          amountKzt: amount,
          payer: { account: kzIban(20_000_001 + (i % 100_000)), phone: kzNumber(3_000_000 + (i % 100_000)), openedAt: null },
          payee: { account: kzIban((i * 31) % 10_000_000), phone: null, card: null, openedAt: null },
          override: false,
        };
      });
      m += PER_ROUND;
      const t0 = performance.now();
      for (let j = 0; j < PER_ROUND; j++) {
        const r = rt.screenTransaction(inputs[j], origin as never);
        if (round > 0) txOutcomes[r.outcome] = (txOutcomes[r.outcome] ?? 0) + 1;
      }
      if (round > 0) txMs += performance.now() - t0;
      await rt.recorder.flush();
    }
    const txs = ROUNDS * PER_ROUND;
    const txWriterUs = ((rt.recorder.writerThreadMs - writer1) * 1000) / ((ROUNDS + 1) * PER_ROUND);
    const result = {
      calls,
      callsPerSecond: round(calls / (callMs / 1000), 0),
      callUs: round((callMs * 1000) / calls, 2),
      callWriterUs: round(callWriterUs, 2),
      outcomes,
      transactions: txs,
      txPerSecond: round(txs / (txMs / 1000), 0),
      txUs: round((txMs * 1000) / txs, 2),
      txWriterUs: round(txWriterUs, 2),
      txOutcomes,
    };
    log(`    calls ${result.callsPerSecond}/s (${result.callUs} µs each, log thread ${result.callWriterUs} µs), transactions ${result.txPerSecond}/s (${result.txUs} µs each, log thread ${result.txWriterUs} µs)`);
    return result;
  } finally {
    await kernel.close();
  }
}

interface HttpRun {
  decisionsPerSecond: number;
  requestsPerSecond: number;
  perRequest: number;
  connections: number;
  /** Server processes the load was spread over. */
  processes: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  decisions: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
  outcomes: Record<string, number>;
  /** CPU of the server processes together, in % of one core. */
  serverCpuPercentOfOneCore: number;
  /** CPU per request answered (µs): the server processes together, and the load generator (this process). */
  serverCpuUsPerRequest: number;
  loadGeneratorCpuUsPerRequest: number;
  /** CPU of the database server's processes over the measured run, per decision answered (µs): mostly the decision log's rows. */
  databaseCpuUsPerDecision: number;
  serverRssMiB: number;
  /** Decisions recorded in fraud_decision once the recorder drained, against 2xx answers (warm-up and the run at the target rate included). */
  recorded: number;
  answered: number;
  drainedMs: number | null;
  /**
   * After the closed loop, the target rate offered for DURATION_S (open loop, `fixedRate`): what was answered, and the
   * latency of each request from when it was due.
   */
  atRate: {
    offeredDecisionsPerSecond: number;
    decisionsPerSecond: number;
    connections: number;
    latencyP50Ms: number;
    latencyP99Ms: number;
    latencyMaxMs: number;
    non2xx: number;
    errors: number;
    unanswered: number;
  };
}

async function httpLoad(
  running: Running,
  servers: number,
  path: string,
  key: string,
  kind: 'call' | 'transaction',
  perRequest: number,
  connections: number,
  nextBody: () => string,
  outcomesOf: (body: string) => string[],
  rate: { decisionsPerSecond: number; connections: number },
): Promise<HttpRun> {
  const logged = async () => (running.databaseUrl ? (await sql<{ n: number }>(running.databaseUrl, 'select count(*)::int as n from fraud_decision where kind = $1', [kind]))[0].n : 0);
  const before = await logged();
  const outcomes: Record<string, number> = {};
  const used = running.servers.slice(0, servers);
  const targets: Target[] = used.map((s) => {
    const u = new URL(s.url);
    return { host: u.hostname, port: Number(u.port) };
  });
  const load = (durationMs: number) =>
    closedLoop({
      targets,
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      connections,
      durationMs,
      body: nextBody,
      onResponse: (status, body) => {
        if (status === 200) for (const o of outcomesOf(body)) outcomes[o] = (outcomes[o] ?? 0) + 1;
      },
    });
  const warm = await load(WARMUP_S * 1000);
  for (const k of Object.keys(outcomes)) delete outcomes[k];
  const isDatabase = (cmd: string) => cmd.startsWith('postgres');
  const database0 = cpuOfProcesses(isDatabase);
  const serverCpu = () => used.reduce((sum, s) => sum + cpuMs(s.pid), 0);
  const cpu0 = serverCpu();
  const generator0 = process.cpuUsage();
  const r = await load(DURATION_S * 1000);
  const generator = process.cpuUsage(generator0);
  const elapsedMs = r.elapsedMs;
  const serverCpuMs = serverCpu() - cpu0;
  const databaseCpuMs = cpuUsed(database0, cpuOfProcesses(isDatabase));
  // The target rate, offered whatever the answers do: its latency is the service's at that load, where a closed loop
  // at saturation measures its own queue (bench/README.md).
  const fixed = await fixedRate({
    targets,
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    connections: rate.connections,
    durationMs: DURATION_S * 1000,
    ratePerSecond: rate.decisionsPerSecond / perRequest,
    body: nextBody,
  });
  // Every answered decision must reach the decision log: wait for the recorders to drain.
  const answered = (warm.ok + r.ok + fixed.ok) * perRequest;
  let recorded = 0;
  let drainedMs: number | null = null;
  const started = performance.now();
  while (performance.now() - started < 120_000 && running.databaseUrl) {
    recorded = (await logged()) - before;
    if (recorded >= answered) {
      drainedMs = Math.round(performance.now() - started);
      break;
    }
    await sleep(200);
  }
  const requests = Math.max(1, r.ok);
  return {
    decisionsPerSecond: round((r.ok * perRequest) / (elapsedMs / 1000), 0),
    requestsPerSecond: round(r.ok / (elapsedMs / 1000), 0),
    perRequest,
    connections,
    processes: used.length,
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    latencyMaxMs: r.latency.max,
    decisions: r.ok * perRequest,
    non2xx: r.non2xx,
    errors: r.errors,
    statusCodes: r.statusCodes,
    outcomes,
    serverCpuPercentOfOneCore: round((serverCpuMs / elapsedMs) * 100, 0),
    serverCpuUsPerRequest: round((serverCpuMs * 1000) / requests, 1),
    loadGeneratorCpuUsPerRequest: round((generator.user + generator.system) / requests, 1),
    databaseCpuUsPerDecision: round((databaseCpuMs * 1000) / Math.max(1, r.ok * perRequest), 1),
    serverRssMiB: used.reduce((sum, s) => sum + memoryOf(s.pid).rssMiB, 0),
    recorded,
    answered,
    drainedMs,
    atRate: {
      offeredDecisionsPerSecond: rate.decisionsPerSecond,
      decisionsPerSecond: round((fixed.ok * perRequest) / (DURATION_S), 0),
      connections: rate.connections,
      latencyP50Ms: fixed.latency.p50,
      latencyP99Ms: fixed.latency.p99,
      latencyMaxMs: fixed.latency.max,
      non2xx: fixed.non2xx,
      errors: fixed.errors,
      unanswered: fixed.unanswered,
    },
  };
}

/** Listed callers (10 % of calls) and accounts (5 % of transfers) go in through the API before the load. */
async function seedIndicators(running: Running, phones: string[], accounts: string[]): Promise<void> {
  // Each partner sends as what it is: the operator its numbers, the bank its accounts.
  const batches: [string, string[]][] = [
    [TELECOM_KEY, phones.map((v, i) => JSON.stringify({ kind: 'phone', value: v, source: 'operator', confidence: 0.9, effect: i % 2 === 0 ? 'block' : 'warn' }))],
    [BANK_KEY, accounts.map((v) => JSON.stringify({ kind: 'iban', value: v, source: 'bank', confidence: 0.8, effect: 'warn' }))],
  ];
  for (const [apiKey, lines] of batches) {
    for (let i = 0; i < lines.length; i += 5000) {
      const res = await fetch(`${running.server.url}/api/v1/fraud/indicators/import`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', 'x-api-key': apiKey },
        body: lines.slice(i, i + 5000).join('\n'),
      });
      if (!res.ok) throw new Error(`indicator import failed: ${res.status} ${await res.text()}`);
    }
  }
}

/**
 * Waits (≤ 30 s) until every server process holds the imported indicators: the last number imported to block is
 * blocked, and a transfer to the last account imported scores on the listed-payee typology. The other processes
 * learn them from the bus, as in production.
 */
async function indicatorsEverywhere(running: Running, blockedPhone: string, listedAccount: string): Promise<void> {
  for (const server of running.servers) {
    const started = performance.now();
    for (;;) {
      const c = await call<{ outcome: string }>(server.url, 'POST', '/api/v1/fraud/calls/screen', {
        apiKey: TELECOM_KEY,
        body: { caller: blockedPhone, called: kzNumber(8_000_000), ingress: 'domestic', trunk: 'probe' },
      });
      const t = await call<{ typologies: { id: string; score: number }[] }>(server.url, 'POST', '/api/v1/fraud/transactions/screen', {
        apiKey: BANK_KEY,
        body: { id: `probe-${randomUUID()}`, amount: 1000, currency: 'KZT', payer: { account: kzIban(9_000_000) }, payee: { account: listedAccount } },
      });
      if (c.outcome === 'block' && t.typologies.some((x) => x.id === 'T-LIST' && x.score > 0)) break;
      if (performance.now() - started > 30_000) throw new Error(`server ${server.url} did not get the imported indicators within 30 s`);
      await sleep(200);
    }
  }
}

/** Kazakhstan numbers +7 701 xxx xx xx, the i-th. */
const kzNumber = (i: number) => `+7701${String(1_000_000 + (i % 9_000_000)).padStart(7, '0').slice(-7)}`;
/** A valid KZ IBAN for the i-th account (mod-97 check digits computed). */
function kzIban(i: number): string {
  const bban = `125KZT${String(i).padStart(10, '0')}`;
  const digits = `${bban}KZ00`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rem = 0;
  for (const ch of digits) rem = (rem * 10 + Number(ch)) % 97;
  return `KZ${String(98 - rem).padStart(2, '0')}${bban}`;
}

async function http() {
  const running = await startVariant('postgres', { TARTIP_FRAUD_RATE_LIMIT_PARTNER: '100000000' }, 'fraud', PROCESSES);
  try {
    const listedPhones = Array.from({ length: 10_000 }, (_, i) => kzNumber(i * 10));
    const listedAccounts = Array.from({ length: 5_000 }, (_, i) => kzIban(i * 20));
    await seedIndicators(running, listedPhones, listedAccounts);
    await indicatorsEverywhere(running, listedPhones.at(-2) as string, listedAccounts.at(-1) as string);
    // Calls: callers from 100,000 numbers (every 10th listed, half of those to block), on the domestic ingress;
    // a fifth (none of them listed) from abroad showing a Kazakhstan number.
    let n = 0;
    const oneCall = () => {
      const i = n++;
      return { caller: kzNumber(i % 100_000), called: kzNumber(5_000_000 + (i % 50_000)), ingress: i % 5 === 1 ? 'international' : 'domestic', trunk: `trunk-${i % 8}` };
    };
    // Transfers: 100,000 payers to 100,000 payees (every 20th payee listed to warn), amounts 1,000–500,000 ₸.
    let m = 0;
    const oneTx = () => {
      const i = m++;
      return {
        id: `bench-${i}`,
        amount: 1000 + ((i * 7919) % 499_000),
        currency: 'KZT',
        payer: { account: kzIban(1_000_000 + (i % 100_000)), phone: kzNumber(2_000_000 + (i % 100_000)) },
        payee: { account: kzIban((i * 31) % 100_000) },
      };
    };
    const one = (b: string) => [/"outcome":"(\w+)"/.exec(b)?.[1] ?? '?'];
    const all = (b: string) => Array.from(b.matchAll(/"outcome":"(\w+)"/g), (x) => x[1]);
    const runs: Record<string, HttpRun> = {};
    const report = (name: string, r: HttpRun) => {
      runs[name] = r;
      log(
        `    ${name} (${r.processes} server process${r.processes > 1 ? 'es' : ''}): ${r.decisionsPerSecond} decisions/s (${r.requestsPerSecond} requests/s), p99 ${r.latencyP99Ms} ms, ${r.non2xx + r.errors} non-2xx/errors; CPU per request: server ${r.serverCpuUsPerRequest} µs, load generator ${r.loadGeneratorCpuUsPerRequest} µs; database ${r.databaseCpuUsPerDecision} µs per decision; logged ${r.recorded} of ${r.answered}; at ${r.atRate.offeredDecisionsPerSecond} decisions/s offered: p50 ${r.atRate.latencyP50Ms} ms, p99 ${r.atRate.latencyP99Ms} ms, ${r.atRate.unanswered} unanswered, ${r.atRate.non2xx + r.atRate.errors} non-2xx/errors`,
      );
    };
    // TARTIP_BENCH_FRAUD_HTTP=calls,… runs only the named loads (with `_internal.http`, while profiling one of them).
    const only = process.env.TARTIP_BENCH_FRAUD_HTTP?.split(',');
    const wanted = (name: string) => !only || only.includes(name);
    const every = running.servers.length;
    const callBody = () => JSON.stringify(oneCall());
    const callRate = { decisionsPerSecond: TARGETS.callsHttp, connections: CONNECTIONS };
    const txRate = { decisionsPerSecond: TARGETS.txHttp, connections: CONNECTIONS };
    const batchRate = (r: typeof callRate) => ({ ...r, connections: RATE_BATCH_CONNECTIONS });
    if (wanted('callsOneProcess')) report('callsOneProcess', await httpLoad(running, 1, '/api/v1/fraud/calls/screen', TELECOM_KEY, 'call', 1, CONNECTIONS, callBody, one, callRate));
    if (wanted('calls')) report('calls', await httpLoad(running, every, '/api/v1/fraud/calls/screen', TELECOM_KEY, 'call', 1, CONNECTIONS, callBody, one, callRate));
    if (wanted('callBatches'))
      report('callBatches', await httpLoad(running, every, '/api/v1/fraud/calls/screen/batch', TELECOM_KEY, 'call', BATCH, BATCH_CONNECTIONS, () => JSON.stringify({ calls: Array.from({ length: BATCH }, oneCall) }), all, batchRate(callRate)));
    if (wanted('transactions')) report('transactions', await httpLoad(running, every, '/api/v1/fraud/transactions/screen', BANK_KEY, 'transaction', 1, CONNECTIONS, () => JSON.stringify(oneTx()), one, txRate));
    if (wanted('transactionBatches'))
      report(
        'transactionBatches',
        await httpLoad(running, every, '/api/v1/fraud/transactions/screen/batch', BANK_KEY, 'transaction', BATCH, BATCH_CONNECTIONS, () => JSON.stringify({ transactions: Array.from({ length: BATCH }, oneTx) }), all, batchRate(txRate)),
      );
    return runs;
  } finally {
    await running.stop();
  }
}

const RESTORE_TRANSFERS = Number(process.env.TARTIP_BENCH_FRAUD_RESTORE || 1_000_000);
const RESTORE_CALLS = Number(process.env.TARTIP_BENCH_FRAUD_RESTORE_CALLS || 2_000_000);

/**
 * A process starting on a decision log that holds RESTORE_TRANSFERS transfers let through in the last 28 hours (one
 * every 100 ms, 200,000 payers paying 300,000 payees) and RESTORE_CALLS calls in the last 29 minutes, every other one
 * risky (to 500,000 numbers): the time `FraudRuntime.start` takes to read the transfers back into the payment stream
 * and the risky calls into the call stream (the module is not ready until it ends), and the heap they hold after.
 * PostgreSQL.
 */
async function historyRestore() {
  await requirePostgres();
  const db = await scratchDatabase();
  const kernel = await testKernel({ migrations: migrationsOf(MODULES), env: { TARTIP_DATABASE_URL: db.url } });
  try {
    await kernel.db.query(
      `insert into fraud_decision (id, kind, outcome, score, reasons, latency_us, degraded, policy_version, partner, subject, amount, currency, decided_at)
       select gen_random_uuid(), 'transaction', case when i % 20 = 0 then 'hold' else 'allow' end, 0, '{}', 10, false, '1', 'partner:bench',
              jsonb_build_object('transactionId', 't' || i, 'payerHash', encode(sha256(('p' || (i % 200000))::bytea), 'hex'), 'payeeHash', encode(sha256(('q' || (i % 300000))::bytea), 'hex')),
              20000 + (i % 7) * 1000, 'KZT', now() - i * interval '100 ms'
       from generate_series(1, ${RESTORE_TRANSFERS}) as g(i)`,
    );
    const callEveryUs = Math.floor((29 * 60 * 1e6) / RESTORE_CALLS);
    await kernel.db.query(
      `insert into fraud_decision (id, kind, outcome, score, reasons, latency_us, degraded, policy_version, partner, subject, decided_at)
       select gen_random_uuid(), 'call', 'allow', null, '{shaken_absent}', 10, false, '1', 'partner:bench',
              jsonb_build_object('caller', '+7701' || lpad((i % 9000000)::text, 7, '0'), 'called', '+7702' || lpad((i % 500000)::text, 7, '0'), 'ingress', 'domestic')
                || case when i % 2 = 0 then jsonb_build_object('risk', case when i % 10 = 0 then 'international' else 'unknown' end) else '{}'::jsonb end,
              now() - i * interval '${callEveryUs} microseconds'
       from generate_series(1, ${RESTORE_CALLS}) as g(i)`,
    );
    await kernel.db.query('analyze fraud_decision');
    gcFn()();
    const heap0 = process.memoryUsage().heapUsed;
    const rt = new FraudRuntime(kernel, fraudRuntime(kernel).settings);
    const t0 = performance.now();
    await rt.start();
    const ms = performance.now() - t0;
    gcFn()();
    const heapMiB = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
    await rt.stop();
    log(
      `  streams read back: ${rt.restoredTransfers} transfers (${rt.payments.size} accounts) and ${rt.restoredCalls} risky calls (${rt.calls.size} numbers) in ${round(ms / 1000, 2)} s, heap +${round(heapMiB, 0)} MiB`,
    );
    return { transfers: rt.restoredTransfers, accounts: rt.payments.size, calls: rt.restoredCalls, calledNumbers: rt.calls.size, seconds: round(ms / 1000, 2), heapMiB: round(heapMiB, 0) };
  } finally {
    await kernel.close();
    await db.drop();
  }
}

export async function fraud(): Promise<Pick<BenchResult, 'metrics' | 'details'>> {
  log('  indicator set in memory …');
  const memory = indicatorMemory();
  const callStream = callStreamMemory();
  log('  decisions in process …');
  const local = await inProcess();
  log('  payment and call streams read back at start …');
  const restore = await historyRestore();
  const h = await http();
  const processes = (r: HttpRun) => `${r.processes} server process${r.processes > 1 ? 'es' : ''}`;
  const httpRows = (name: string, what: string, r: HttpRun, target: number | null, p99: number | null): Metric[] => [
    {
      label: `${what}, PostgreSQL + NATS, ${processes(r)}: decisions at saturation (closed loop, ${r.connections} connections)`,
      value: r.decisionsPerSecond,
      unit: 'decisions/s',
      ...(target === null ? {} : { target: { op: '>=' as const, value: target } }),
    },
    { label: `${what}: latency p99 at saturation (per request; the closed loop's own queue)`, value: r.latencyP99Ms, unit: 'ms' },
    {
      label: `${what}: latency p99 at ${r.atRate.offeredDecisionsPerSecond.toLocaleString('en')} decisions/s offered (open loop, from when each request was due)`,
      value: r.atRate.latencyP99Ms,
      unit: 'ms',
      ...(p99 === null ? {} : { target: { op: '<=' as const, value: p99 } }),
    },
    { label: `${name}: requests at ${r.atRate.offeredDecisionsPerSecond.toLocaleString('en')} decisions/s offered left unanswered, non-2xx or failed`, value: r.atRate.unanswered + r.atRate.non2xx + r.atRate.errors, unit: 'requests', ...(p99 === null ? {} : { target: { op: '<=' as const, value: 0 } }) },
    { label: `${name}: non-2xx + errors`, value: r.non2xx + r.errors, unit: 'responses', target: { op: '<=', value: 0 } },
    { label: `${name}: CPU per request, the server processes together`, value: r.serverCpuUsPerRequest, unit: 'µs' },
    { label: `${name}: CPU per request, the load generator (on the same cores)`, value: r.loadGeneratorCpuUsPerRequest, unit: 'µs' },
    { label: `${name}: database CPU per decision (the decision log's rows)`, value: r.databaseCpuUsPerDecision, unit: 'µs' },
    { label: `${name}: decisions answered but not in the decision log after the drain`, value: Math.max(0, r.answered - r.recorded), unit: 'decisions', target: { op: '<=', value: 0 } },
  ];
  const metrics: Metric[] = [
    { label: `indicator set: ${INDICATORS.toLocaleString('en')} indicators held in memory`, value: round(memory.heldBytes / 2 ** 30, 2), unit: 'GiB', target: { op: '<=', value: TARGETS.memoryGiB } },
    { label: 'indicator set: lookup of a 32-byte identifier hash (half present)', value: memory.lookupNs, unit: 'ns', target: { op: '<=', value: TARGETS.lookupNs } },
    { label: 'indicator set: HMAC-SHA256 of a number in the clear + lookup', value: memory.hmacLookupNs, unit: 'ns' },
    { label: `call stream: heap per called number, ${CALLED_NUMBERS.toLocaleString('en')} numbers called once each`, value: callStream.once, unit: 'B' },
    { label: `call stream: heap per called number, ${CALLED_NUMBERS.toLocaleString('en')} numbers called four times each (two risky)`, value: callStream.busy, unit: 'B' },
    {
      label: `start: payment and call streams read back from the decision log (PostgreSQL), ${restore.transfers.toLocaleString('en')} transfers of ${restore.accounts.toLocaleString('en')} accounts and ${restore.calls.toLocaleString('en')} risky calls to ${restore.calledNumbers.toLocaleString('en')} numbers`,
      value: restore.seconds,
      unit: 's',
    },
    { label: 'start: heap the read-back streams hold', value: restore.heapMiB, unit: 'MiB' },
    { label: 'calls in process (FraudRuntime.screenCall, one thread)', value: local.callsPerSecond, unit: 'decisions/s', target: { op: '>=', value: TARGETS.callsInProcess } },
    { label: "calls in process: the decision log's own thread, making each decision's row", value: local.callWriterUs, unit: 'µs/decision' },
    { label: 'transactions in process (FraudRuntime.screenTransaction, one thread)', value: local.txPerSecond, unit: 'decisions/s' },
    { label: "transactions in process: the decision log's own thread, making each decision's row", value: local.txWriterUs, unit: 'µs/decision' },
    ...httpRows('calls, one per request', 'calls: POST /api/v1/fraud/calls/screen, one call per request', h.calls, TARGETS.callsHttp, TARGETS.callsHttpP99),
    ...httpRows('calls, one per request, one process', 'calls: POST /api/v1/fraud/calls/screen, one call per request, all to one process', h.callsOneProcess, null, null),
    ...httpRows('calls, batched', `calls: POST /api/v1/fraud/calls/screen/batch, ${BATCH} calls per request`, h.callBatches, TARGETS.callsHttp, TARGETS.callsHttpP99),
    ...httpRows('transactions, one per request', 'transactions: POST /api/v1/fraud/transactions/screen, one per request', h.transactions, TARGETS.txHttp, TARGETS.txHttpP99),
    ...httpRows('transactions, batched', `transactions: POST /api/v1/fraud/transactions/screen/batch, ${BATCH} per request`, h.transactionBatches, TARGETS.txHttp, TARGETS.txHttpP99),
  ];
  const bound = (r: HttpRun) => {
    const perRequest = r.serverCpuUsPerRequest + r.loadGeneratorCpuUsPerRequest + r.databaseCpuUsPerDecision * r.perRequest;
    return `${round(r.serverCpuUsPerRequest, 0)} + ${round(r.loadGeneratorCpuUsPerRequest, 0)} + ${round(r.databaseCpuUsPerDecision * r.perRequest, 0)} = ${round(perRequest, 0)} µs per request (server, load generator, database; NATS and the kernel's share not counted) → at most ${Math.round(2_000_000 / perRequest).toLocaleString('en')} requests/s on 2 cores`;
  };
  const notes = [
    `HTTP loads: ${PROCESSES} \`tartip start\` processes on one PostgreSQL database and one NATS stream (one per core, as docs/deploy.md runs them), load from bench/load.ts spread over them; the load generator shares the two cores.`,
    `CPU bound of the single-decision loads — calls: ${bound(h.calls)}; transfers: ${bound(h.transactions)}. One process alone, its one thread busy: ${h.callsOneProcess.decisionsPerSecond.toLocaleString('en')} calls/s.`,
  ];
  return { metrics, details: { notes, memory, callStream, inProcess: local, historyRestore: restore, http: h, processes: PROCESSES, loadGenerator: 'bench/load.ts (closed loop, keep-alive)', connections: CONNECTIONS, batch: BATCH, batchConnections: BATCH_CONNECTIONS, warmupS: WARMUP_S, durationS: DURATION_S } };
}

/** The parts, to run one alone while working on the module. */
export const _internal = { inProcess, indicatorMemory, callStreamMemory, http, historyRestore };
