/**
 * A payer's history outlives the process that saw it, and is the same in every process (PGlite + memory bus, or
 * PostgreSQL + NATS when the test URLs are set). A process that starts reads the transfers let through back from the
 * decision log; a process already running receives the others' transfers over the bus. Each case is checked against a
 * process that does neither, which sees the same transfer as the payer's first: so the test fails if either path is lost.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, testServer, until } from '../../apps/server/src/testing.ts';
import { newId } from '../../packages/kernel/src/ids.ts';
import { backendName } from '../../packages/kernel/src/testing.ts';
import { fraudRuntime } from './index.ts';
import { accountKeyOfHex } from './domain/streams.ts';
import { CALLS_RISKY, TRANSFERS_COMMITTED } from './events.ts';
import { FraudRuntime, type TxInput, type TxResult } from './runtime.ts';

const BANK = 'tk_bank_demo_Pm3kJ6hG9fD2sA5zX8cV1bN4';
const TELECOM = 'tk_telecom_demo_Lw4qE7rT1yU5iO8pA2sD6fG9';
const ORIGIN = { partner: 'partner:demo-bank', channel: 'bank', area: null };

/** A transfer as the route passes it to the runtime (accounts in normal form, amount converted to tenge). */
const input = (payer: string, payee: string, amountKzt: number, o: Partial<TxInput> = {}): TxInput => ({
  id: newId(),
  amount: amountKzt,
  currency: 'KZT',
  amountKzt,
  payer: { account: payer, phone: null, openedAt: null },
  payee: { account: payee, phone: null, card: null, openedAt: null },
  override: false,
  ...o,
});
const rule = (r: TxResult, id: string) => r.rules.find((x) => x.rule === id)?.value;

describe(`fraud payment history across restarts and processes on ${backendName}`, () => {
  let server: TestServer;
  const started: FraudRuntime[] = [];
  const screen = async (body: Record<string, unknown>) => {
    const res = await server.app.inject({
      method: 'POST',
      url: '/api/v1/fraud/transactions/screen',
      payload: { id: newId(), amount: 20_000, ...body },
      headers: { 'x-api-key': BANK, 'accept-language': 'en' },
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { id: string; outcome: string; rules: { rule: string; value: number }[] };
  };
  const halt = async (rt: FraudRuntime) => {
    started.splice(started.indexOf(rt), 1);
    await rt.stop();
  };
  /** Another process on the same database and bus, started as the module starts one. */
  const process = async (o: { restoreMax?: number; callRestoreMax?: number; logSettleMs?: number } = {}) => {
    const rt = fraudRuntime(server.kernel);
    const other = new FraudRuntime(server.kernel, {
      ...rt.settings,
      historyRestoreMax: o.restoreMax ?? rt.settings.historyRestoreMax,
      callRestoreMax: o.callRestoreMax ?? rt.settings.callRestoreMax,
      logSettleMs: o.logSettleMs ?? rt.settings.logSettleMs,
    });
    started.push(other);
    await other.start();
    return other;
  };

  /** What another process shares: its broadcast of risky calls or let-through transfers. */
  const fromAnotherProcess = (subject: string, items: unknown[]) =>
    server.kernel.bus.broadcast({
      id: newId(),
      subject,
      occurredAt: new Date().toISOString(),
      jurisdiction: null,
      permission: 'fraud:read',
      data: { origin: 'another-process', items },
    });

  beforeAll(async () => {
    server = await testServer({ env: { TARTIP_FRAUD_KZT_RATES: 'USD=470' } });
  });
  afterAll(async () => {
    for (const rt of started) await rt.stop();
    await server?.close();
  });

  it('a process that starts reads back the transfers let through: velocity, known payee and usual amount as before the restart', async () => {
    const payer = 'KZ59125KZT5004100101';
    const payee = 'KZ48125KZT2069100101';
    // Five transfers to one payee, one of them in dollars, and one the bank's list blocks (it must not count).
    for (let i = 0; i < 4; i++) expect((await screen({ payer: { account: payer }, payee: { account: payee } })).outcome).toBe('allow');
    expect((await screen({ amount: 100, currency: 'USD', payer: { account: payer }, payee: { account: payee } })).outcome).toBe('allow');
    const listed = 'KZ60722S000012345601';
    const ind = await server.app.inject({
      method: 'POST',
      url: '/api/v1/fraud/indicators',
      payload: { kind: 'iban', value: listed, source: 'bank', confidence: 0.99, effect: 'block', overridable: false },
      headers: { 'x-api-key': BANK },
    });
    expect(ind.statusCode, ind.body).toBe(201);
    expect((await screen({ payer: { account: payer }, payee: { account: listed } })).outcome).toBe('block');
    await fraudRuntime(server.kernel).recorder.flush();

    const restarted = await process();
    expect(restarted.restoredTransfers).toBeGreaterThanOrEqual(5);
    const next = restarted.screenTransaction(input(payer, payee, 30_000), ORIGIN);
    // The five let through, and this one; the blocked transfer is not history.
    expect(rule(next, 'velocity')).toBe(6);
    expect(rule(next, 'first_or_large')).toBe(0);
    // 30,000 against a median of 20,000 (the 100 USD came back as 47,000 tenge): the history is in tenge.
    expect(rule(next, 'amount_unusual')).toBeCloseTo(1.5, 5);

    // A process that does not read the log back sees the same transfer as the payer's first. (The restarted one is
    // stopped first: its transfer has gone out on the bus and into the log before this one starts listening.)
    await halt(restarted);
    const blank = await process({ restoreMax: 0 });
    expect(blank.restoredTransfers).toBe(0);
    const fresh = blank.screenTransaction(input(payer, payee, 30_000), ORIGIN);
    expect(rule(fresh, 'velocity')).toBe(1);
    expect(rule(fresh, 'first_or_large')).toBe(1);
    await halt(blank);
  });

  it('reads back page after page, the newest transfers first when there are more than it may hold, and none twice', async () => {
    // 12,345 transfers in the log (more than one page of 10,000), at times with microseconds, as PostgreSQL keeps
    // them: payer `old` pays in the oldest 345 only, payer `new` in the rest. Hashes are the log's own (hex).
    const hash = (s: string) => createHash('sha256').update(s).digest('hex');
    await server.kernel.db.query(
      `insert into fraud_decision (id, kind, outcome, score, reasons, latency_us, degraded, policy_version, partner, subject, amount, currency, decided_at)
       select gen_random_uuid(), 'transaction', 'allow', 0, '{}', 10, false, '1', 'partner:test',
              jsonb_build_object('transactionId', 'bulk-' || i, 'payerHash', case when i > 12000 then $1::text else $2::text end, 'payeeHash', $3::text),
              1000, 'KZT', now() - interval '1 hour' - i * interval '1001 microseconds'
       from generate_series(1, 12345) as g(i)`,
      [hash('old'), hash('new'), hash('payee')],
    );
    const before = started.length;
    const all = await process();
    const [{ n }] = await server.kernel.db.query<{ n: number }>("select count(*)::int as n from fraud_decision where kind = 'transaction' and outcome <> 'block'");
    expect(n).toBeGreaterThan(12_345); // and the earlier test's transfers
    expect(all.restoredTransfers).toBe(n);
    const capped = await process({ restoreMax: 12_000 });
    expect(capped.restoredTransfers).toBe(12_000);
    const held = (rt: FraudRuntime, payer: string) => rt.payments.features({ payer: accountKeyOfHex(hash(payer)), payee: accountKeyOfHex(hash('payee')), amount: 1000, at: Date.now(), payerOpenedAt: null, payeeOpenedAt: null }, rt.policy);
    // The cap keeps the newest: `new`'s transfers (12,000 minus the few newer ones of the earlier test), not `old`'s.
    expect(held(all, 'old').first_or_large).toBe(0);
    expect(held(capped, 'old').first_or_large).toBe(1);
    expect(held(capped, 'new').first_or_large).toBe(0);
    for (const rt of started.slice(before)) await halt(rt);
  });

  it('a transfer decided before a process began to listen comes from the log, one decided after from the broadcast: never both', async () => {
    const hash = (s: string) => createHash('sha256').update(s).digest('hex');
    const key = (s: string) => accountKeyOfHex(hash(s));
    // In the log, decided a minute after the process below begins to listen: its broadcast is what counts, not the row.
    await server.kernel.db.query(
      `insert into fraud_decision (id, kind, outcome, score, reasons, latency_us, degraded, policy_version, partner, subject, amount, currency, decided_at)
       values (gen_random_uuid(), 'transaction', 'allow', 0, '{}', 10, false, '1', 'partner:test',
               jsonb_build_object('transactionId', 'later', 'payerHash', $1::text, 'payeeHash', $2::text), 1000, 'KZT', now() + interval '1 minute')`,
      [hash('later-payer'), hash('payee')],
    );
    const rt = await process();
    const known = (payer: string) =>
      rt.payments.features({ payer: key(payer), payee: key('payee'), amount: 1000, at: Date.now(), payerOpenedAt: null, payeeOpenedAt: null }, rt.policy).first_or_large === 0;
    expect(known('later-payer')).toBe(false);

    // A broadcast arriving now of a transfer decided before the process listened is the log's: skipped.
    const shared = rt.sharedTransfers;
    fromAnotherProcess(TRANSFERS_COMMITTED, [
      { payer: key('early-payer'), payee: key('payee'), amount: 1000, at: Date.now() - 60_000 },
      { payer: key('late-payer'), payee: key('payee'), amount: 1000, at: Date.now() },
    ]);
    await until('the broadcast to be applied', () => rt.sharedTransfers > shared);
    expect(rt.sharedTransfers).toBe(shared + 1);
    expect(known('early-payer')).toBe(false);
    expect(known('late-payer')).toBe(true);
    await halt(rt);
  });

  it('a transfer one process lets through is in every other process’s history within moments', async () => {
    const payer = 'KZ32125KZT5004100102';
    const payee = 'KZ21125KZT2069100102';
    const other = await process({ restoreMax: 0 });
    const before = other.screenTransaction(input(payer, 'KZ21125KZT2069100199', 1_000), ORIGIN);
    expect(rule(before, 'velocity')).toBe(1);

    // Three transfers through the server's own process; the other one hears of them on the bus.
    const shared = other.sharedTransfers;
    for (let i = 0; i < 3; i++) await screen({ payer: { account: payer }, payee: { account: payee } });
    await until('the other process to receive the three transfers', () => other.sharedTransfers >= shared + 3);
    // 1 before, 3 from the server, and this one; the payee is known.
    const seen = other.screenTransaction(input(payer, payee, 20_000), ORIGIN);
    expect(rule(seen, 'velocity')).toBe(5);
    expect(rule(seen, 'first_or_large')).toBe(0);
  });

  it('a process that starts reads back the risky calls of the call window: call-then-transfer holds after a restart', async () => {
    const phone = '+77015550101';
    const screenCall = async (body: Record<string, unknown>) => {
      const res = await server.app.inject({
        method: 'POST',
        url: '/api/v1/fraud/calls/screen',
        payload: { trunk: 't1', ...body },
        headers: { 'x-api-key': TELECOM, 'accept-language': 'en' },
      });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { id: string };
    };
    // A call from abroad to the payer's phone (risky: international), then a domestic number calling it twice: its
    // first call is risky (unknown, not attested A), its second is not.
    const abroad = await screenCall({ caller: '+447700900123', called: phone, ingress: 'international' });
    const first = await screenCall({ caller: '+77017770101', called: phone, ingress: 'domestic' });
    const again = await screenCall({ caller: '+77017770101', called: phone, ingress: 'domestic' });
    await fraudRuntime(server.kernel).recorder.flush();
    const risk = async (id: string) =>
      (await server.kernel.db.query<{ risk: string | null }>("select subject->>'risk' as risk from fraud_decision where id = $1", [id]))[0]?.risk;
    expect(await risk(abroad.id)).toBe('international');
    expect(await risk(first.id)).toBe('unknown');
    expect(await risk(again.id)).toBeNull();
    // A flagged call older than the 30-minute window, to another phone: outside what call-then-transfer looks at.
    const stale = '+77015550102';
    await server.kernel.db.query(
      `insert into fraud_decision (id, kind, outcome, score, reasons, latency_us, degraded, policy_version, partner, subject, decided_at)
       values (gen_random_uuid(), 'call', 'label', null, '{caller_listed_warn}', 10, false, '1', 'partner:test',
               jsonb_build_object('caller', '+77019990000', 'called', $1::text, 'ingress', 'domestic', 'risk', 'flagged'), now() - interval '31 minutes')`,
      [stale],
    );

    const payer = 'KZ75125KZT5004100103';
    const transfer = (rt: FraudRuntime, payerPhone: string) =>
      rt.screenTransaction(input(payer, 'KZ86125KZT2069100103', 300_000, { payer: { account: payer, phone: payerPhone, openedAt: null } }), ORIGIN);
    const restarted = await process();
    expect(restarted.restoredCalls).toBeGreaterThanOrEqual(2);
    const after = transfer(restarted, phone);
    expect(rule(after, 'call_then_transfer')).toBe(2); // international, the riskiest of the two
    expect(after.outcome).toBe('hold');
    expect(rule(transfer(restarted, stale), 'call_then_transfer')).toBe(0);
    await halt(restarted);

    // A process that does not read calls back sees no call before the same transfer.
    const blank = await process({ callRestoreMax: 0 });
    expect(blank.restoredCalls).toBe(0);
    expect(rule(transfer(blank, phone), 'call_then_transfer')).toBe(0);
    await halt(blank);
  });

  it('a risky call another process made just before this one began to listen, and logged after that, is still read back', async () => {
    // Another process screened a call from abroad to this phone a moment ago, and broadcast it before the process
    // below listened; its recorder writes the call to the log only after the process has begun to start.
    const phone = '+77015550301';
    const screenedAt = new Date(Date.now() - 5);
    const starting = process({ logSettleMs: 1500 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await server.kernel.db.query(
      `insert into fraud_decision (id, kind, outcome, score, reasons, latency_us, degraded, policy_version, partner, subject, decided_at)
       values (gen_random_uuid(), 'call', 'label', null, '{}', 10, false, '1', 'partner:another-process',
               jsonb_build_object('caller', '+447700900301', 'called', $1::text, 'ingress', 'international', 'risk', 'international'), $2)`,
      [phone, screenedAt.toISOString()],
    );
    const rt = await starting;
    // Read back after the late write landed: call-then-transfer sees the call (international: 2). Without the wait
    // the read-back runs before the write and the value is 0.
    expect(rt.calls.riskiest(phone, Date.now(), 1_800_000).value).toBe(2);
    await halt(rt);
  });

  it('a risky call screened before a process began to listen comes from the log, one screened after from the broadcast', async () => {
    const rt = await process({ restoreMax: 0 });
    const shared = rt.sharedCalls;
    fromAnotherProcess(CALLS_RISKY, [
      { called: '+77015550201', caller: '+447700900201', risk: 'international', at: Date.now() - 60_000 },
      { called: '+77015550202', caller: '+447700900202', risk: 'flagged', at: Date.now() },
    ]);
    await until('the broadcast to be applied', () => rt.sharedCalls > shared);
    expect(rt.sharedCalls).toBe(shared + 1);
    expect(rt.calls.riskiest('+77015550201', Date.now(), 1_800_000).value).toBe(0);
    expect(rt.calls.riskiest('+77015550202', Date.now(), 1_800_000).value).toBe(3);
    await halt(rt);
  });
});
