/**
 * The analysts' back-office through the whole application (PGlite + memory bus, or PostgreSQL + NATS when the test URLs
 * are set): the decision policy versioned and applied live (a threshold changed through the API changes the next
 * decision and the version it records; a bad policy is refused field by field and the old one goes on deciding; another
 * process follows by the event and a later one loads the latest), indicators edited with their history, and prevented
 * loss by region (KATO) and channel.
 */
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problem, type TestServer, testServer, until } from '../../apps/server/src/testing.ts';
import { newId } from '../../packages/kernel/src/ids.ts';
import { backendName } from '../../packages/kernel/src/testing.ts';
import { DEMO_HASH_KEY } from './config/settings.ts';
import { identifierHash } from './domain/identifiers.ts';
import { fraudRuntime } from './index.ts';
import { FraudRuntime } from './runtime.ts';
import { savePolicy } from './service.ts';
import { pacs008 } from './testing/iso20022.ts';

const BANK = 'tk_bank_demo_Pm3kJ6hG9fD2sA5zX8cV1bN4';
const TELECOM = 'tk_telecom_demo_Lw4qE7rT1yU5iO8pA2sD6fG9';
const IBAN_A = 'KZ86125KZT5004100100';
const IBAN_B = 'KZ75125KZT2069100100';
const IBAN_C = 'KZ18722S000012345678';
const IBAN_D = 'KZ16601A871001234567';
const IBAN_E = 'KZ75125KZT1001300335';
const ALMATY = '750000000';
const ALMALY_DISTRICT = '751110000';
const ASTANA = '710000000';


interface PolicyOut {
  version: number;
  comment: string;
  createdBy: string;
  policy: {
    transactions: { rules: Record<string, { bands: { ref: string; lower: number; upper: number | null }[] }>; typologies: { id: string; alert: number; interdiction: number; rules: Record<string, Record<string, number>> }[] };
    calls: Record<string, unknown>;
  };
}

describe(`fraud back-office on ${backendName}`, () => {
  let server: TestServer;
  const db = () => server.kernel.db;
  const count = async (table: string, where = 'true', params: unknown[] = []) =>
    Number((await db().query<{ n: number }>(`select count(*)::int8 as n from ${table} where ${where}`, params))[0].n);
  const key = (k: string, o: { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; url: string; payload?: unknown; headers?: Record<string, string> }) =>
    server.app.inject({ method: o.method, url: o.url, payload: o.payload as object, headers: { 'x-api-key': k, 'accept-language': 'en', ...o.headers } });
  const staff = (who: string, o: { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; url: string; payload?: unknown; lang?: string }) =>
    server.as(who, { method: o.method, url: o.url, payload: o.payload as object, headers: { 'accept-language': o.lang ?? 'en' } });
  const tx = async (body: Record<string, unknown>, k = BANK) => {
    const res = await key(k, { method: 'POST', url: '/api/v1/fraud/transactions/screen', payload: { id: newId(), amount: 20_000, ...body } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { id: string; outcome: string; score: number; reasons: string[]; policyVersion: string; typologies: { id: string; score: number; alert: number }[] };
  };
  const call = async (body: Record<string, unknown>) => {
    const res = await key(TELECOM, { method: 'POST', url: '/api/v1/fraud/calls/screen', payload: { trunk: 'tg-1', ingress: 'domestic', ...body } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { id: string; outcome: string; reasons: string[]; policyVersion: string };
  };
  const recorded = async (id: string) => {
    await fraudRuntime(server.kernel).recorder.flush();
    const [r] = await db().query<{ policy_version: string; region: string | null; area: string | null; channel: string | null }>(
      'select policy_version, region, area, channel from fraud_decision where id = $1',
      [id],
    );
    return r;
  };
  const getPolicy = async () => {
    const res = await staff('fraud', { method: 'GET', url: '/api/v1/fraud/policy' });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as PolicyOut;
  };

  beforeAll(async () => {
    server = await testServer({ env: { TARTIP_FRAUD_HEALTH_MS: '100' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  describe('typology configuration', () => {
    it('the built-in policy is version 1, with its bands, weights and thresholds', async () => {
      const p = await getPolicy();
      expect(p).toMatchObject({ version: 1, createdBy: 'system' });
      expect(p.policy.transactions.typologies.find((t) => t.id === 'T-LIST')).toMatchObject({ alert: 300, interdiction: 700, rules: { listed_payee: { '.01': 200, '.02': 400, '.03': 700 } } });
      expect(p.policy.transactions.rules.velocity.bands.map((b) => b.ref)).toEqual(['.00', '.01', '.02', '.03']);
      expect(p.policy.calls).toMatchObject({ domesticCliOnInternational: 'block' });
      const versions = (await staff('fraud', { method: 'GET', url: '/api/v1/fraud/policy/versions' })).json();
      expect(versions).toMatchObject({ current: 1, items: [{ version: 1, createdBy: 'system' }] });
    });

    it('raising a threshold through the API changes the next decision and the version it records; audited', async () => {
      await key(BANK, { method: 'POST', url: '/api/v1/fraud/indicators', payload: { kind: 'iban', value: IBAN_B, source: 'bank', confidence: 0.6, effect: 'warn' } });
      const before = await tx({ payer: { account: IBAN_A }, payee: { account: IBAN_B } });
      expect(before).toMatchObject({ outcome: 'hold', score: 400, reasons: ['typology_T-LIST_alert'], policyVersion: '1' });
      expect((await recorded(before.id)).policy_version).toBe('1');

      const p = await getPolicy();
      const list = p.policy.transactions.typologies.find((t) => t.id === 'T-LIST');
      if (!list) throw new Error('T-LIST missing');
      list.alert = 500;
      const res = await staff('fraud', { method: 'PUT', url: '/api/v1/fraud/policy', payload: { policy: p.policy, comment: 'T-LIST: hold only from 500 (backtest 2026-11)', basedOn: 1 } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ version: 2, createdBy: 'user:fraud', comment: 'T-LIST: hold only from 500 (backtest 2026-11)' });

      const after = await tx({ payer: { account: IBAN_A }, payee: { account: IBAN_B } });
      expect(after).toMatchObject({ outcome: 'allow', score: 400, reasons: [], policyVersion: '2' });
      expect(after.typologies.find((t) => t.id === 'T-LIST')?.alert).toBe(500);
      expect((await recorded(after.id)).policy_version).toBe('2');
      expect(await count('kernel_audit', "action = 'policy.changed' and actor = 'user:fraud'")).toBe(1);

      // A weight too: T-LIST's band .02 weighs 800 now → over its interdiction threshold: blocked.
      const q = await getPolicy();
      const list2 = q.policy.transactions.typologies.find((t) => t.id === 'T-LIST');
      if (!list2) throw new Error('T-LIST missing');
      list2.rules.listed_payee['.02'] = 800;
      expect((await staff('fraud', { method: 'PUT', url: '/api/v1/fraud/policy', payload: { policy: q.policy, comment: 'heavier .02' } })).statusCode).toBe(200);
      expect(await tx({ payer: { account: IBAN_A }, payee: { account: IBAN_B } })).toMatchObject({ outcome: 'block', score: 800, reasons: ['typology_T-LIST_interdiction'], policyVersion: '3' });
      const history = (await staff('fraud', { method: 'GET', url: '/api/v1/fraud/policy/versions' })).json();
      expect(history.current).toBe(3);
      expect(history.items.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
    });

    it('a bad policy is refused field by field, localised; nothing is stored and the version in force goes on deciding', async () => {
      const versions = await count('fraud_policy_version');
      const audit = await count('kernel_audit', "action = 'policy.changed'");
      const events = await count('kernel_outbox', "subject = 'fraud.policy.changed'");
      const p = await getPolicy();
      const bad = structuredClone(p.policy);
      bad.transactions.typologies[0].interdiction = bad.transactions.typologies[0].alert; // alert must be below interdiction
      bad.transactions.rules.velocity.bands[2].lower = 7; // overlaps .01 = [5, 10)
      bad.transactions.typologies[1].rules.no_such_rule = { '.01': 100 };
      bad.transactions.typologies[2].rules.mule_inbound['.07'] = 100; // no such band
      const res = await staff('fraud', { method: 'PUT', url: '/api/v1/fraud/policy', payload: { policy: bad, comment: 'broken' }, lang: 'ru' });
      const body = problem(res, 400, 'validation_failed');
      const byPath = Object.fromEntries((body.errors ?? []).map((e) => [e.path, e]));
      expect(byPath['body.policy.transactions.typologies.0.interdiction']).toMatchObject({ code: 'fraud.thresholds_order', message: 'Порог блокировки должен быть больше порога тревоги.' });
      expect(byPath['body.policy.transactions.rules.velocity.bands.2.lower']).toMatchObject({ code: 'fraud.bands_overlap' });
      expect(byPath['body.policy.transactions.typologies.1.rules.no_such_rule']).toMatchObject({ code: 'fraud.unknown_rule' });
      expect(byPath['body.policy.transactions.typologies.2.rules.mule_inbound..07']).toMatchObject({ code: 'fraud.unknown_band' });
      expect(body.errors).toHaveLength(4);

      // Not a number where one is needed, an unknown field: refused by the schema; so is a version without a comment.
      const worse = structuredClone(p.policy) as unknown as { transactions: { typologies: { alert: unknown }[]; extra?: number } };
      worse.transactions.typologies[0].alert = 'high';
      worse.transactions.extra = 1;
      const paths = problem(await staff('fraud', { method: 'PUT', url: '/api/v1/fraud/policy', payload: { policy: worse } }), 400, 'validation_failed').errors?.map((e) => e.path);
      expect(paths?.sort()).toEqual(['body.comment', 'body.policy.transactions.extra', 'body.policy.transactions.typologies.0.alert']);
      expect(problem(await staff('fraud', { method: 'PUT', url: '/api/v1/fraud/policy', payload: { policy: p.policy } }), 400, 'validation_failed').errors?.map((e) => e.path)).toEqual(['body.comment']);
      // Someone saved meanwhile; only fraud:write may save at all.
      problem(await staff('fraud', { method: 'PUT', url: '/api/v1/fraud/policy', payload: { policy: p.policy, comment: 'stale', basedOn: 1 } }), 409, 'fraud.policy_conflict');
      problem(await staff('supervisor', { method: 'PUT', url: '/api/v1/fraud/policy', payload: { policy: p.policy, comment: 'not mine to change' } }), 403, 'forbidden');
      problem(await key(BANK, { method: 'GET', url: '/api/v1/fraud/policy' }), 403, 'forbidden');

      expect(await count('fraud_policy_version')).toBe(versions);
      expect(await count('kernel_audit', "action = 'policy.changed'")).toBe(audit);
      expect(await count('kernel_outbox', "subject = 'fraud.policy.changed'")).toBe(events);
      expect((await getPolicy()).version).toBe(p.version);
      expect(await tx({ payer: { account: IBAN_A }, payee: { account: IBAN_B } })).toMatchObject({ outcome: 'block', policyVersion: String(p.version) });
    });

    it('a version saved by another process reaches this one by the event; a process starting later loads the latest', async () => {
      const rt = fraudRuntime(server.kernel);
      const other = new FraudRuntime(server.kernel, rt.settings);
      await other.start();
      try {
        expect(other.active.version).toBe(rt.active.version);
        const policy = { transactions: structuredClone(other.active.transactions), calls: structuredClone(other.active.calls) };
        const list = policy.transactions.typologies.find((t) => t.id === 'T-LIST');
        if (!list) throw new Error('T-LIST missing');
        list.rules.listed_payee = { '.01': 200, '.02': 400, '.03': 700 };
        list.alert = 300;
        const saved = await savePolicy(server.kernel, other, { actor: 'user:fraud' }, policy, 'back to the default weights, from another process', null);
        await until('this process to apply the new version', () => rt.active.version === saved.version);
        expect(await tx({ payer: { account: IBAN_A }, payee: { account: IBAN_B } })).toMatchObject({ outcome: 'hold', policyVersion: String(saved.version) });
        const later = new FraudRuntime(server.kernel, rt.settings);
        await later.start();
        expect(later.active.version).toBe(saved.version);
        await later.stop();
      } finally {
        await other.stop();
      }
    });
  });

  describe('indicator edit and history', () => {
    it('an edit takes effect at once in every process, and the history says who changed what, when and why', async () => {
      const rt = fraudRuntime(server.kernel);
      const other = new FraudRuntime(server.kernel, rt.settings);
      await other.start();
      try {
        const created = await key(BANK, { method: 'POST', url: '/api/v1/fraud/indicators', payload: { kind: 'phone', value: '+77051230001', source: 'bank', confidence: 0.6, effect: 'warn', note: 'first report' } });
        expect(created.statusCode, created.body).toBe(201);
        const id = created.json().id as string;
        expect((await call({ caller: '+77051230001', called: '+77011234567' })).outcome).toBe('label');

        const res = await staff('fraud', { method: 'PATCH', url: `/api/v1/fraud/indicators/${id}`, payload: { effect: 'block', confidence: 0.95, note: 'confirmed by case 17', comment: 'police case opened' } });
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json()).toMatchObject({ id, effect: 'block', confidence: 0.95, note: 'confirmed by case 17', contributor: 'partner:demo-bank' });
        expect(await call({ caller: '+77051230001', called: '+77011234567' })).toMatchObject({ outcome: 'block', reasons: ['caller_listed_block', 'shaken_absent'] });
        const hash = identifierHash(DEMO_HASH_KEY, 'phone', '+77051230001');
        await until('the other process to apply the edit', () => other.indicators.lookup('phone', hash, Date.now())?.effect === 'block');
        expect(await count('kernel_audit', "action = 'indicator.edited' and entity_id = $1 and actor = 'user:fraud'", [id])).toBe(1);

        // The bank sends it again (replaces its own), then the analyst revokes it.
        await key(BANK, { method: 'POST', url: '/api/v1/fraud/indicators', payload: { kind: 'phone', value: '+77051230001', source: 'bank', confidence: 0.9, effect: 'block' } });
        expect((await staff('fraud', { method: 'DELETE', url: `/api/v1/fraud/indicators/${id}` })).statusCode).toBe(200);

        const h = await staff('fraud', { method: 'GET', url: `/api/v1/fraud/indicators/${id}/history` });
        expect(h.statusCode, h.body).toBe(200);
        const history = h.json().history as { change: string; actor: string; at: string; comment: string | null; changes: { field: string; from: unknown; to: unknown }[] }[];
        expect(history.map((x) => [x.change, x.actor])).toEqual([
          ['added', 'partner:demo-bank'],
          ['edited', 'user:fraud'],
          ['replaced', 'partner:demo-bank'],
          ['revoked', 'user:fraud'],
        ]);
        expect(history[0].changes).toEqual(expect.arrayContaining([{ field: 'effect', from: null, to: 'warn' }, { field: 'confidence', from: null, to: 0.6 }]));
        expect(history[1]).toMatchObject({ comment: 'police case opened' });
        expect(history[1].changes).toEqual([
          { field: 'effect', from: 'warn', to: 'block' },
          { field: 'confidence', from: 0.6, to: 0.95 },
          { field: 'note', from: 'first report', to: 'confirmed by case 17' },
        ]);
        // Sent again: a new confidence, valid from now, and no note.
        expect(history[2].changes.map((c) => c.field)).toEqual(['confidence', 'validFrom', 'note']);
        expect(history[2].changes).toEqual(
          expect.arrayContaining([
            { field: 'confidence', from: 0.95, to: 0.9 },
            { field: 'note', from: 'confirmed by case 17', to: null },
          ]),
        );
        expect(history[3].changes).toEqual([{ field: 'revoked', from: false, to: true }]);
        expect(history.map((x) => x.at)).toEqual([...history.map((x) => x.at)].sort());
        // The owner reads it too; another partner does not see it exists.
        expect((await key(BANK, { method: 'GET', url: `/api/v1/fraud/indicators/${id}/history` })).statusCode).toBe(200);
        problem(await key(TELECOM, { method: 'GET', url: `/api/v1/fraud/indicators/${id}/history` }), 404, 'not_found');
        // Revoked: no more edits.
        problem(await staff('fraud', { method: 'PATCH', url: `/api/v1/fraud/indicators/${id}`, payload: { confidence: 0.5 } }), 409, 'fraud.indicator_revoked');
      } finally {
        await other.stop();
      }
    });

    it('bad edits and edits of someone else’s indicator are refused, localised, and change nothing', async () => {
      const created = (await key(BANK, { method: 'POST', url: '/api/v1/fraud/indicators', payload: { kind: 'iban', value: IBAN_C, source: 'bank', confidence: 0.7, effect: 'warn', validUntil: '2030-01-01T00:00:00Z' } })).json();
      const snapshot = async () => ({
        row: (await db().query('select effect, confidence, valid_until, updated_at from fraud_indicator where id = $1', [created.id]))[0],
        history: await count('fraud_indicator_history', 'indicator_id = $1', [created.id]),
        events: await count('kernel_outbox', "subject = 'fraud.indicators.changed'"),
      });
      const before = await snapshot();
      const patch = (payload: unknown, lang = 'en') => staff('fraud', { method: 'PATCH', url: `/api/v1/fraud/indicators/${created.id}`, payload, lang });
      expect(problem(await patch({ confidence: 2 }), 400, 'validation_failed').errors?.map((e) => e.path)).toEqual(['body.confidence']);
      const order = problem(await patch({ validUntil: '2020-01-01T00:00:00Z' }, 'kk'), 400, 'validation_failed');
      expect(order.errors).toEqual([{ path: 'body.validUntil', code: 'invalid_value', message: expect.any(String) }]);
      expect(order.title).not.toBe(problem(await patch({ validUntil: '2020-01-01T00:00:00Z' }), 400, 'validation_failed').title);
      problem(await patch({}), 400, 'validation_failed');
      problem(await patch({ kind: 'phone' }), 400, 'validation_failed');
      problem(await key(TELECOM, { method: 'PATCH', url: `/api/v1/fraud/indicators/${created.id}`, payload: { effect: 'block' } }), 404, 'not_found');
      problem(await staff('supervisor', { method: 'PATCH', url: `/api/v1/fraud/indicators/${created.id}`, payload: { effect: 'block' } }), 403, 'forbidden');
      problem(await staff('fraud', { method: 'PATCH', url: `/api/v1/fraud/indicators/${newId()}`, payload: { effect: 'block' } }), 404, 'not_found');
      // An edit that changes nothing writes nothing.
      expect((await patch({ effect: 'warn', confidence: 0.7 })).statusCode).toBe(200);
      expect(await snapshot()).toEqual(before);
      // The owner may edit its own: open-ended from now on.
      const own = await key(BANK, { method: 'PATCH', url: `/api/v1/fraud/indicators/${created.id}`, payload: { validUntil: null } });
      expect(own.statusCode, own.body).toBe(200);
      expect(own.json().validUntil).toBeNull();
    });
  });

  describe('prevented loss by region and channel', () => {
    it('decisions record the region (KATO, a district counts for its region) and the channel; the dashboard sums them', async () => {
      await key(BANK, { method: 'POST', url: '/api/v1/fraud/indicators', payload: { kind: 'iban', value: IBAN_D, source: 'bank', confidence: 1, effect: 'block', overridable: false } });
      await key(TELECOM, { method: 'POST', url: '/api/v1/fraud/indicators', payload: { kind: 'phone', value: '+77059990001', source: 'operator', confidence: 1, effect: 'block' } });
      const inAlmaly = await tx({ amount: 150_000, region: ALMALY_DISTRICT, payer: { account: IBAN_E }, payee: { account: IBAN_D } });
      const inAlmaty = await tx({ amount: 50_000, region: ALMATY, payer: { account: IBAN_E }, payee: { account: IBAN_D } });
      expect([inAlmaly.outcome, inAlmaty.outcome]).toEqual(['block', 'block']);
      expect(await recorded(inAlmaly.id)).toMatchObject({ area: ALMALY_DISTRICT, region: ALMATY, channel: 'bank' });
      const blockedCall = await call({ caller: '+77059990001', called: '+77011234567', region: ASTANA });
      expect(blockedCall.outcome).toBe('block');
      expect(await recorded(blockedCall.id)).toMatchObject({ region: ASTANA, channel: 'telecom' });
      // pacs.008: the debtor's postal address carries the KATO code (CtrySubDvsn).
      const xml = await key(BANK, { method: 'POST', url: '/api/v1/fraud/transactions/pacs.008', headers: { 'content-type': 'application/xml' }, payload: pacs008({ e2e: 'E2E-REG', creditor: IBAN_D, region: ALMATY, amount: '30000.00' }) });
      expect(xml.statusCode, xml.body).toBe(200);
      const pacsId = new XMLParser().parse(xml.body).Document.FIToFIPmtSts.TxInfAndSts.StsId as string;
      expect(await recorded(pacsId)).toMatchObject({ region: ALMATY, channel: 'bank' });
      for (const id of [inAlmaly.id, pacsId]) {
        expect((await key(BANK, { method: 'POST', url: `/api/v1/fraud/decisions/${id}/outcome`, payload: { fraud: true } })).statusCode).toBe(200);
      }
      expect((await key(BANK, { method: 'POST', url: `/api/v1/fraud/decisions/${inAlmaty.id}/outcome`, payload: { fraud: false } })).statusCode).toBe(200);

      const s = (await staff('fraud', { method: 'GET', url: '/api/v1/fraud/stats' })).json();
      const almaty = s.byRegion.find((r: { region: string | null }) => r.region === ALMATY);
      expect(almaty).toEqual({ region: ALMATY, name: server.kernel.areas.area(ALMATY)?.name, prevented: [{ currency: 'KZT', amount: 180_000 }], held: 0, blocked: 3, callsBlocked: 0 });
      expect(almaty.name.ru).toMatch(/Алматы/);
      expect(s.byRegion.find((r: { region: string | null }) => r.region === ASTANA)).toMatchObject({ prevented: [], callsBlocked: 1 });
      const bank = s.byChannel.find((c: { channel: string | null }) => c.channel === 'bank');
      expect(bank.prevented).toEqual([{ currency: 'KZT', amount: 180_000 }]);
      expect(bank.blocked).toBe(await count('fraud_decision', "channel = 'bank' and kind = 'transaction' and outcome = 'block'"));
      expect(bank.held).toBe(await count('fraud_decision', "channel = 'bank' and kind = 'transaction' and outcome = 'hold'"));
      expect(s.byChannel.find((c: { channel: string | null }) => c.channel === 'telecom')).toMatchObject({
        callsBlocked: await count('fraud_decision', "channel = 'telecom' and kind = 'call' and outcome = 'block'"),
        blocked: 0,
      });
      expect(s.byChannel.find((c: { channel: string | null }) => c.channel === 'telecom').callsBlocked).toBeGreaterThanOrEqual(2);
    });

    it('a region that is not a KATO code, or one the kernel does not know, is refused, localised, and nothing is recorded', async () => {
      const rt = fraudRuntime(server.kernel);
      await rt.recorder.flush();
      const before = await count('fraud_decision');
      const screen = (region: string, lang = 'en') =>
        key(BANK, { method: 'POST', url: '/api/v1/fraud/transactions/screen', headers: { 'accept-language': lang }, payload: { id: newId(), amount: 1000, region, payer: { account: IBAN_A }, payee: { account: IBAN_B } } });
      expect(problem(await screen('123456789', 'ru'), 400, 'validation_failed').errors).toEqual([
        { path: 'body.region', code: 'fraud.unknown_region', message: 'Неизвестный код КАТО 123456789: нужен код области или района.' },
      ]);
      expect(problem(await screen('75'), 400, 'validation_failed').errors?.map((e) => e.path)).toEqual(['body.region']);
      problem(await key(TELECOM, { method: 'POST', url: '/api/v1/fraud/calls/screen', payload: { caller: '+77011112233', called: '+77011234567', ingress: 'domestic', trunk: 't', region: '999999999' } }), 400, 'validation_failed');
      const xml = await key(BANK, { method: 'POST', url: '/api/v1/fraud/transactions/pacs.008', headers: { 'content-type': 'application/xml' }, payload: pacs008({ region: '999000000' }) });
      expect(problem(xml, 400, 'validation_failed').errors).toEqual([
        { path: 'body.Document.FIToFICstmrCdtTrf.CdtTrfTxInf.0.Dbtr.PstlAdr.CtrySubDvsn', code: 'fraud.unknown_region', message: expect.any(String) },
      ]);
      await rt.recorder.flush();
      expect(await count('fraud_decision')).toBe(before);
    });
  });
});
