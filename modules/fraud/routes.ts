import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { anyOf, partner, queryNumber, staff } from '../../apps/server/src/http/context.ts';
import { actorOf } from '../../packages/kernel/src/auth/principal.ts';
import { type FieldError, fieldErrorsFromZod, Problem, parseReporting } from '../../packages/kernel/src/errors.ts';
import { newId } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { RULE_IDS, SIM_LIMIT, SIMBOX_POLICY } from './config/policy.ts';
import { checkPolicy, type Policy, PolicyDoc } from './domain/policy-check.ts';
import { TRACKED } from './domain/indicator-history.ts';
import { CALL_OUTCOMES } from './domain/calls.ts';
import { type IdentifierKind, KINDS, normalise } from './domain/identifiers.ts';
import { iinValid } from './domain/iin.ts';
import { backtest, parsePaySim } from './domain/backtest.ts';
import { EFFECTS, SOURCES } from './domain/indicator-set.ts';
import { parsePacs008, renderPacs002 } from './domain/iso20022.ts';
import { ATTESTATIONS } from './domain/passport.ts';
import type { Cdr, SimBoxFinding } from './domain/simbox.ts';
import { toKzt } from './domain/money.ts';
import { TX_OUTCOMES } from './domain/typologies.ts';
import type { CallResult, DecisionOrigin, FraudRuntime, TxInput } from './runtime.ts';
import { decodeCursor, encodeCursor } from '../../packages/kernel/src/cursor.ts';
import {
  CASE_STATUSES,
  type CaseStatus,
  type CheckedIndicator,
  checkIndicator,
  currentPolicy,
  editIndicator,
  getBacktest,
  listBacktests,
  policyOfVersion,
  saveBacktest,
  feedRoaming,
  indicatorHistory,
  policyVersions,
  savePolicy,
  setCaseStatus,
  sourcesFor,
  type IndicatorInput,
  listIndicators,
  feedSimRegistrations,
  listCases,
  openCitizenCase,
  recordOutcome,
  revokeIndicator,
  simboxIndicators,
  simLimits,
  type StoredIndicator,
  stats,
  upsertIndicators,
} from './service.ts';

// ---- schemas --------------------------------------------------------------------------------------------

const IsoIn = z.iso.datetime({ offset: true });
const Cursor = z.string().regex(/^[A-Za-z0-9_-]{1,400}$/);
const Limit = queryNumber().pipe(z.number().int().min(1).max(500)).default(50);
const Hash = z.string().regex(/^[0-9a-f]{64}$/);
const Text = (max: number) => z.string().trim().min(1).max(max);

export const IndicatorBody = z.strictObject({
  kind: z.enum(KINDS),
  /** The identifier in the clear (a card's number is hashed at once and never stored) … */
  value: z.string().min(1).max(64).optional(),
  /** … or its shared hash: HMAC-SHA256(shared key, `<kind>:<normal form>`), lower-case hex. */
  hash: Hash.optional(),
  source: z.enum(SOURCES),
  sourceRef: Text(200).optional(),
  confidence: z.number().min(0).max(1),
  validFrom: IsoIn.optional(),
  validUntil: IsoIn.optional(),
  effect: z.enum(EFFECTS),
  overridable: z.boolean().default(true),
  note: Text(1000).optional(),
});

const IndicatorOut = z.object({
  id: z.string(),
  kind: z.enum(KINDS),
  hash: z.string(),
  value: z.string().nullable(),
  source: z.enum(SOURCES),
  sourceRef: z.string().nullable(),
  confidence: z.number(),
  effect: z.enum(EFFECTS),
  overridable: z.boolean(),
  validFrom: z.string(),
  validUntil: z.string().nullable(),
  note: z.string().nullable(),
  contributor: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  revoked: z.boolean(),
});

const PhoneIn = z.string().min(1).max(32);
/** A KATO code (9 digits): a region or a district the kernel knows. */
const Kato = z.string().regex(/^\d{9}$/);
const IbanIn = z.string().min(1).max(42);

const CallBody = z.strictObject({
  caller: PhoneIn,
  called: PhoneIn,
  ingress: z.enum(['international', 'domestic']),
  trunk: z.string().regex(/^[A-Za-z0-9._:@-]{1,64}$/),
  /** The SIP Identity header's value (RFC 8224), if the call carried one. */
  identity: z.string().min(1).max(8192).optional(),
  /** The calling SIM's IMSI and the handset's IMEI, when the originating switch knows them (calls from the operator's own subscribers). */
  imsi: z.string().min(1).max(32).optional(),
  imei: z.string().min(1).max(32).optional(),
  /** Where the call was terminated (the switch's or the called subscriber's cell's region): a KATO code. */
  region: Kato.optional(),
});

const CallOut = z.object({
  id: z.string(),
  outcome: z.enum(CALL_OUTCOMES),
  reasons: z.array(z.string()),
  attestation: z.enum(ATTESTATIONS).nullable(),
  degraded: z.boolean(),
  latencyUs: z.number(),
  policyVersion: z.string(),
});

const TxBody = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._:/-]{1,64}$/),
  amount: z.number().positive().max(1e13),
  currency: z.string().regex(/^[A-Z]{3}$/).default('KZT'),
  payer: z.strictObject({ account: IbanIn, phone: PhoneIn.optional(), openedAt: IsoIn.optional() }),
  payee: z.strictObject({ account: IbanIn, phone: PhoneIn.optional(), card: z.string().min(1).max(32).optional(), openedAt: IsoIn.optional() }),
  /** The bank vouches for the payer (e.g. confirmed in a branch): an overridable block becomes a hold. */
  override: z.boolean().default(false),
  /** Where the payer is (the region or district of the payer's address or branch): a KATO code. */
  region: Kato.optional(),
});

const TxOut = z.object({
  id: z.string(),
  transactionId: z.string(),
  outcome: z.enum(TX_OUTCOMES),
  score: z.number(),
  reasons: z.array(z.string()),
  typologies: z.array(
    z.object({
      id: z.string(),
      version: z.string(),
      score: z.number(),
      alert: z.number(),
      interdiction: z.number(),
      contributions: z.array(z.object({ rule: z.string(), ref: z.string(), value: z.number(), weight: z.number() })),
    }),
  ),
  rules: z.array(z.object({ rule: z.string(), version: z.string(), value: z.number(), ref: z.string() })),
  /** The same transfer (partner, id and content) was screened within the window: this is its first decision. */
  repeated: z.boolean(),
  degraded: z.boolean(),
  latencyUs: z.number(),
  policyVersion: z.string(),
});

/** One operator call record (a CDR), one NDJSON line of POST /cdrs. */
const CdrLine = z.strictObject({
  imsi: z.string().min(1).max(32),
  /** The SIM's number: a SIM-box found becomes a listed number too, which call screening sees on every call. */
  msisdn: PhoneIn.optional(),
  iccid: z.string().min(1).max(32).optional(),
  imei: z.string().min(1).max(32).optional(),
  direction: z.enum(['out', 'in']),
  cell: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/),
  durationS: z.number().int().min(0).max(86_400),
  at: IsoIn,
  simActivatedAt: IsoIn.optional(),
});

const Breakdown = z.object({
  prevented: z.array(z.object({ currency: z.string(), amount: z.number() })),
  held: z.number(),
  blocked: z.number(),
  callsBlocked: z.number(),
});

/** An edit of an indicator: only what changes. `validUntil: null` makes it open-ended, `note: null` removes the note. */
const IndicatorPatchBody = z
  .strictObject({
    effect: z.enum(EFFECTS).optional(),
    confidence: z.number().min(0).max(1).optional(),
    overridable: z.boolean().optional(),
    validFrom: IsoIn.optional(),
    validUntil: IsoIn.nullable().optional(),
    note: Text(1000).nullable().optional(),
    comment: Text(500).optional(),
  })
  .refine((b) => Object.keys(b).some((k) => k !== 'comment'), { message: 'nothing to change', path: ['effect'] });

const HistoryOut = z.object({
  change: z.enum(['added', 'replaced', 'edited', 'revoked']),
  actor: z.string(),
  at: z.string(),
  comment: z.string().nullable(),
  changes: z.array(z.object({ field: z.enum(TRACKED), from: z.unknown(), to: z.unknown() })),
});

const PolicyVersionOut = z.object({ version: z.number(), comment: z.string(), createdBy: z.string(), createdAt: z.string() });

const ctxOf = (req: FastifyRequest) => ({ actor: actorOf(req.principal), requestId: String(req.id) });


/**
 * A line of GET /indicators/export, read as an import line, so that an export can be imported as it is (into another
 * installation, or by another partner): the record's own fields (id, contributor, times) are dropped — the importing
 * key is the contributor —, fields exported empty are left out, and a line with the identifier in the clear gives it
 * alone (its hash is made again under this installation's key). A revoked line is not one (`revoked: true` is refused).
 * Any other line is returned as it is.
 */
function fromExported(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !('contributor' in raw)) return raw;
  const { id, contributor, createdAt, updatedAt, revoked, ...rest } = raw as Record<string, unknown>;
  const line: Record<string, unknown> = revoked === false ? {} : { revoked };
  for (const [k, v] of Object.entries(rest)) if (v !== null) line[k] = v;
  if (line.value !== undefined) delete line.hash;
  return line;
}

/** Staff see every identifier in the clear; a partner sees its own contributions in the clear and the others' hashes. */
function present(r: StoredIndicator, req: FastifyRequest): z.infer<typeof IndicatorOut> {
  const mine = req.principal?.kind === 'user' || r.contributor === actorOf(req.principal);
  return {
    id: r.id,
    kind: r.kind,
    hash: r.value_hash,
    value: mine ? r.value : null,
    source: r.source,
    sourceRef: mine ? r.source_ref : null,
    confidence: Number(r.confidence),
    effect: r.effect,
    overridable: r.overridable,
    validFrom: r.valid_from.toISOString(),
    validUntil: r.valid_until?.toISOString() ?? null,
    note: mine ? r.note : null,
    contributor: r.contributor,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    revoked: r.revoked_at !== null,
  };
}

/** Normal form of an identifier from a request, or a field error at `path`. */
function field(kind: IdentifierKind, raw: string | undefined, path: string, errors: FieldError[]): string | null {
  if (raw === undefined) return null;
  const n = normalise(kind, raw);
  if (n.ok) return n.value;
  errors.push({ path, code: n.code });
  return null;
}

/** A KATO code given with a request, checked against the kernel's areas (null when not given). */
function area(rt: FraudRuntime, kato: string | null | undefined, path: string, errors: FieldError[]): string | null {
  if (kato === undefined || kato === null) return null;
  if (!/^\d{9}$/.test(kato)) errors.push({ path, code: 'invalid_format', params: { format: 'KATO' } });
  else if (rt.regionOf(kato) === null) errors.push({ path, code: 'fraud.unknown_region', params: { kato } });
  else return kato;
  return null;
}

/** Calls or transfers in one batch request. */
const BATCH_MAX = 1000;

/** The amount in tenge; a currency without a configured rate is a field error naming the ones there are. */
function inTenge(rt: FraudRuntime, amount: number, currency: string, path: string, errors: FieldError[]): number {
  const kzt = toKzt(amount, currency, rt.settings.kztRates);
  if (kzt === null) errors.push({ path, code: 'fraud.currency_unrated', params: { currency, rated: [...rt.settings.kztRates.keys()].join(', ') } });
  return kzt ?? 0;
}

function txInput(rt: FraudRuntime, body: z.infer<typeof TxBody>, prefix: string): { input: TxInput; area: string | null } {
  const errors: FieldError[] = [];
  const where = area(rt, body.region, `${prefix}.region`, errors);
  const input: TxInput = {
    id: body.id,
    amount: body.amount,
    currency: body.currency,
    amountKzt: inTenge(rt, body.amount, body.currency, `${prefix}.currency`, errors),
    payer: {
      account: field('iban', body.payer.account, `${prefix}.payer.account`, errors) ?? '',
      phone: field('phone', body.payer.phone, `${prefix}.payer.phone`, errors),
      openedAt: body.payer.openedAt ?? null,
    },
    payee: {
      account: field('iban', body.payee.account, `${prefix}.payee.account`, errors) ?? '',
      phone: field('phone', body.payee.phone, `${prefix}.payee.phone`, errors),
      card: field('card', body.payee.card, `${prefix}.payee.card`, errors),
      openedAt: body.payee.openedAt ?? null,
    },
    override: body.override,
  };
  if (errors.length > 0) throw Problem.validation(errors);
  return { input, area: where };
}

// ---- routes ---------------------------------------------------------------------------------------------

export async function fraudRoutes(app: FastifyInstance, kernel: Kernel, rt: FraudRuntime) {
  // In their own scope, so the NDJSON and XML parsers are ours whichever module registers first.
  await app.register(async (scope) => routes(scope, kernel, rt));
}

async function routes(app: FastifyInstance, kernel: Kernel, rt: FraudRuntime) {
  const tags = ['fraud'];
  const { settings } = rt;
  if (!app.hasContentTypeParser('application/x-ndjson')) {
    app.addContentTypeParser('application/x-ndjson', { parseAs: 'string', bodyLimit: 64 * 1024 * 1024 }, (_req, body, done) => done(null, body));
  }
  if (!app.hasContentTypeParser('text/csv')) {
    app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 64 * 1024 * 1024 }, (_req, body, done) => done(null, body));
  }
  for (const type of ['application/xml', 'text/xml']) {
    if (!app.hasContentTypeParser(type)) app.addContentTypeParser(type, { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, body));
  }
  const partnerLimit = {
    max: settings.rateLimitPartner,
    timeWindow: 60_000,
    keyGenerator: (req: FastifyRequest) => (req.principal ? `fraud:${actorOf(req.principal)}` : `ip:${req.ip}`),
  };
  const origin = (req: FastifyRequest, where: string | null): DecisionOrigin => ({
    partner: actorOf(req.principal),
    channel: req.principal?.kind === 'partner' ? req.principal.channel : null,
    area: where,
  });
  const contributorFilter = (req: FastifyRequest) => (req.principal?.kind === 'partner' ? actorOf(req.principal) : null);

  // Operators' feeds — roaming, SIM registrations, call records — only from a telecom operator's key (or fraud staff):
  // a bank's key marking a number as roaming would switch off the block on calls spoofing it.
  const OPERATORS = ['telecom'] as const;
  const operatorFeed = anyOf(staff('fraud:write'), partner('fraud:screen', OPERATORS));

  // ---- indicators ---------------------------------------------------------------------------------------
  const writeIndicators = anyOf(staff('fraud:write'), partner('fraud:indicators'));
  const readIndicators = anyOf(staff('fraud:read'), partner('fraud:indicators'));

  app.post(
    '/api/v1/fraud/indicators',
    {
      config: { access: writeIndicators },
      schema: {
        tags,
        summary: 'Add or replace a shared indicator (phone, ICCID, IMSI, IMEI, IBAN, card) in the clear or as its shared hash',
        description:
          'One indicator per kind, identifier and contributor: sending it again replaces it. Phone numbers are normalised to E.164 (Kazakhstan’s 8 7xx… forms accepted), IMEI/ICCID/card numbers are checked with Luhn and IBANs with ISO 13616 check digits. A card number is hashed at once and never stored. `hash` = HMAC-SHA256(shared key, `<kind>:<normal form>`), lower-case hex.',
        body: IndicatorBody,
        response: { 201: IndicatorOut },
      },
    },
    async (req, reply) => {
      const c = checkIndicator(rt, req.body as IndicatorInput, 'body', kernel.clock.now(), sourcesFor(req.principal));
      if (!c.ok) throw Problem.validation(c.errors);
      const [row] = await upsertIndicators(kernel, rt, ctxOf(req), [c.value], 'single');
      return reply.code(201).send(present(row, req));
    },
  );

  app.post(
    '/api/v1/fraud/indicators/import',
    {
      config: { access: writeIndicators },
      schema: {
        tags,
        summary:
          'Bulk import: NDJSON (application/x-ndjson), one indicator per line as in POST /indicators, or as GET /indicators/export writes it; all or nothing; an identifier on several lines is stored once, as its last line says',
        response: { 200: z.object({ imported: z.number() }) },
      },
    },
    async (req) => {
      if (typeof req.body !== 'string') throw new Problem('unsupported_media_type');
      const lines = req.body.split('\n').map((l) => l.trim());
      const errors: FieldError[] = [];
      const items: CheckedIndicator[] = [];
      const now = kernel.clock.now();
      const sources = sourcesFor(req.principal);
      let n = 0;
      for (let i = 0; i < lines.length; i++) {
        if (lines[i] === '') continue;
        if (++n > settings.importMax) {
          errors.push({ path: `body.${i}`, code: 'fraud.too_many_lines', params: { maximum: settings.importMax } });
          break;
        }
        let raw: unknown;
        try {
          raw = JSON.parse(lines[i]);
        } catch {
          errors.push({ path: `body.${i}`, code: 'fraud.invalid_json_line' });
          continue;
        }
        const parsed = parseReporting(IndicatorBody, fromExported(raw));
        if (!parsed.success) {
          errors.push(...fieldErrorsFromZod(parsed.error.issues, `body.${i}`));
          continue;
        }
        const c = checkIndicator(rt, parsed.data, `body.${i}`, now, sources);
        if (c.ok) items.push(c.value);
        else errors.push(...c.errors);
        if (errors.length >= 100) break;
      }
      if (n === 0) errors.push({ path: 'body', code: 'required' });
      if (errors.length > 0) throw Problem.validation(errors);
      const rows = await upsertIndicators(kernel, rt, ctxOf(req), items, 'import');
      return { imported: rows.length };
    },
  );

  const ListQuery = z.strictObject({
    kind: z.enum(KINDS).optional(),
    value: z.string().min(1).max(64).optional(),
    hash: Hash.optional(),
    includeRevoked: z.enum(['true', 'false']).optional(),
    limit: Limit,
    cursor: Cursor.optional(),
  });
  type ListQuery = z.infer<typeof ListQuery>;
  const hashOf = (q: ListQuery): string | undefined => {
    if (q.value === undefined) return q.hash;
    if (!q.kind) throw Problem.validation([{ path: 'query.kind', code: 'required' }]);
    const n = normalise(q.kind, q.value);
    if (!n.ok) throw Problem.validation([{ path: 'query.value', code: n.code }]);
    return rt.hash(q.kind, n.value);
  };

  app.get(
    '/api/v1/fraud/indicators',
    {
      config: { access: readIndicators },
      schema: {
        tags,
        summary: 'Indicators, newest change first; find one by kind and value (normalised and hashed) or by hash. Audited.',
        querystring: ListQuery,
        response: { 200: z.object({ items: z.array(IndicatorOut), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const q = req.query as ListQuery;
      const after = q.cursor ? decodeCursor(q.cursor, z.tuple([z.iso.datetime(), z.uuid()])) : null;
      const rows = await listIndicators(
        kernel,
        ctxOf(req),
        { kind: q.kind, hash: hashOf(q), limit: q.limit + 1, after: after ? { updatedAt: after[0], id: after[1] } : undefined, includeRevoked: q.includeRevoked === 'true' },
        'indicators.read',
      );
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return { items: page.map((r) => present(r, req)), nextCursor: rows.length > q.limit ? encodeCursor([last.updated_at.toISOString(), last.id]) : null };
    },
  );

  app.get(
    '/api/v1/fraud/indicators/export',
    {
      config: { access: readIndicators },
      schema: {
        tags,
        summary: 'Export indicators in force as NDJSON (one object per line, as in GET /indicators). Audited.',
        querystring: z.strictObject({ kind: z.enum(KINDS).optional() }),
      },
    },
    async (req, reply) => {
      const q = req.query as { kind?: IdentifierKind };
      const out: string[] = [];
      let after: { updatedAt: string; id: string } | undefined;
      for (;;) {
        const rows = await listIndicators(kernel, ctxOf(req), { kind: q.kind, limit: 5000, after, includeRevoked: false, inForce: true }, 'indicators.exported');
        for (const r of rows) out.push(JSON.stringify(present(r, req)));
        if (rows.length < 5000) break;
        const last = rows[rows.length - 1];
        after = { updatedAt: last.updated_at.toISOString(), id: last.id };
      }
      return reply.type('application/x-ndjson').send(out.length ? `${out.join('\n')}\n` : '');
    },
  );

  app.delete(
    '/api/v1/fraud/indicators/:id',
    {
      config: { access: writeIndicators },
      schema: { tags, summary: 'Revoke an indicator (a partner: only its own)', params: z.strictObject({ id: z.uuid() }), response: { 200: IndicatorOut } },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      return present(await revokeIndicator(kernel, rt, ctxOf(req), id, contributorFilter(req)), req);
    },
  );

  app.patch(
    '/api/v1/fraud/indicators/:id',
    {
      config: { access: writeIndicators },
      schema: {
        tags,
        summary: 'Edit an indicator in force: effect, confidence, overridable, validity, note (a partner: only its own); kept in its history',
        description:
          'Send only what changes (`validUntil: null` = no end, `note: null` = no note) and, optionally, a `comment` saying why. The change, a history row, an audit record and `fraud.indicators.changed` commit together; every process applies it at once. A revoked indicator cannot be edited (409); an edit that changes nothing writes nothing.',
        params: z.strictObject({ id: z.uuid() }),
        body: IndicatorPatchBody,
        response: { 200: IndicatorOut },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const { row } = await editIndicator(kernel, rt, ctxOf(req), id, req.body as z.infer<typeof IndicatorPatchBody>, contributorFilter(req));
      return present(row, req);
    },
  );

  app.get(
    '/api/v1/fraud/indicators/:id/history',
    {
      config: { access: readIndicators },
      schema: {
        tags,
        summary: 'Every version of an indicator, oldest first: added, replaced, edited, revoked — who, when, why and which fields changed (a partner: only its own). Audited.',
        params: z.strictObject({ id: z.uuid() }),
        response: { 200: z.object({ indicator: IndicatorOut, history: z.array(HistoryOut) }) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const found = await indicatorHistory(kernel, ctxOf(req), id, contributorFilter(req));
      if (!found) throw Problem.notFound();
      return { indicator: present(found.indicator, req), history: found.history };
    },
  );

  // ---- the decision policy (typologies) -----------------------------------------------------------------
  const PolicyOut = PolicyVersionOut.extend({ policy: PolicyDoc, ruleIds: z.array(z.string()) });
  app.get(
    '/api/v1/fraud/policy',
    {
      config: { access: staff('fraud:read') },
      schema: {
        tags,
        summary: 'The decision policy in force and its version: rules’ bands, typologies’ weights, alert (hold) and interdiction (block) thresholds, the call policy',
        response: { 200: PolicyOut },
      },
    },
    async () => ({ ...(await currentPolicy(kernel, rt)), ruleIds: [...RULE_IDS] }),
  );

  app.put(
    '/api/v1/fraud/policy',
    {
      config: { access: staff('fraud:write') },
      schema: {
        tags,
        summary: 'Save a new version of the decision policy; every process decides by it at once (fraud.policy.changed)',
        description:
          'The whole policy, as GET /policy gives it, with a comment. Checked before anything is stored: each rule’s bands ordered and not overlapping (`lower ≤ v < upper`, only the last open-ended), band references unique, weights finite and only for rules and bands that exist, `alert` < `interdiction`. Refused → 400 with the fields named, and the version in force goes on deciding. `basedOn`: the version the edit started from; if another was saved since → 409. Audited.',
        body: z.strictObject({ policy: PolicyDoc, comment: Text(500), basedOn: z.number().int().min(1).optional() }),
        response: { 200: PolicyVersionOut },
      },
    },
    async (req) => {
      const body = req.body as { policy: PolicyDoc; comment: string; basedOn?: number };
      const checked = checkPolicy(body.policy, 'body.policy');
      if (!checked.ok) throw Problem.validation(checked.errors);
      return savePolicy(kernel, rt, ctxOf(req), checked.value, body.comment, body.basedOn ?? null);
    },
  );

  app.get(
    '/api/v1/fraud/policy/versions',
    {
      config: { access: staff('fraud:read') },
      schema: {
        tags,
        summary: 'Versions of the decision policy, newest first: who saved each, when and why',
        querystring: z.strictObject({ limit: Limit }),
        response: { 200: z.object({ current: z.number(), items: z.array(PolicyVersionOut) }) },
      },
    },
    async (req) => ({ current: rt.active.version, items: await policyVersions(kernel, (req.query as { limit: number }).limit) }),
  );

  // ---- roaming ------------------------------------------------------------------------------------------
  app.put(
    '/api/v1/fraud/roaming',
    {
      config: { access: operatorFeed },
      schema: {
        tags,
        summary: 'Operators: which of your numbers are roaming abroad (and until when); a roaming Kazakhstan number may arrive on an international ingress',
        body: z.strictObject({ items: z.array(z.strictObject({ msisdn: PhoneIn, roaming: z.boolean(), until: IsoIn.optional() })).min(1).max(10_000) }),
        response: { 200: z.object({ updated: z.number() }) },
      },
    },
    async (req) => {
      const body = req.body as { items: { msisdn: string; roaming: boolean; until?: string }[] };
      const errors: FieldError[] = [];
      const items = body.items.map((i, n) => ({
        msisdn: field('phone', i.msisdn, `body.items.${n}.msisdn`, errors) ?? '',
        roaming: i.roaming,
        until: i.until ? new Date(i.until).toISOString() : null,
      }));
      if (errors.length > 0) throw Problem.validation(errors);
      return { updated: await feedRoaming(kernel, rt, ctxOf(req), items) };
    },
  );

  // ---- citizens' fraud reports ---------------------------------------------------------------------------
  app.post(
    '/api/v1/fraud/citizen-reports',
    {
      config: { access: partner('reports:submit'), rateLimit: partnerLimit },
      schema: {
        tags,
        summary: '“I was defrauded” from the 102 app, eGov or a bank’s app: opens a case and turns the numbers, accounts and cards it names into citizens’ warn indicators at once',
        description:
          'Confidence grows with the number of distinct reporters naming an identifier within 30 days (0.4, 0.6, 0.7): reports with the same `reporter` count once, reports without one each count. Citizen reports alone never block. An identifier whose citizens’ indicator an analyst revoked stays revoked (`listed: false`); the case still names it.',
        body: z.strictObject({
          phones: z.array(PhoneIn).max(10).optional(),
          accounts: z.array(IbanIn).max(10).optional(),
          cards: z.array(z.string().min(1).max(32)).max(5).optional(),
          description: Text(4000).optional(),
          amount: z.number().positive().max(1e13).optional(),
          currency: z.string().regex(/^[A-Z]{3}$/).optional(),
          occurredAt: IsoIn.optional(),
          /** The citizen as the channel knows them — the app's device id or the citizen's phone; kept only as a keyed hash. One person's reports count once. */
          reporter: z.string().min(1).max(128).optional(),
        }),
        response: {
          201: z.object({
            caseId: z.string(),
            indicators: z.array(z.object({ kind: z.enum(KINDS), hash: z.string(), reports: z.number(), confidence: z.number(), listed: z.boolean() })),
          }),
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { phones?: string[]; accounts?: string[]; cards?: string[]; description?: string; amount?: number; currency?: string; occurredAt?: string; reporter?: string };
      const errors: FieldError[] = [];
      const identifiers: { kind: IdentifierKind; value: string }[] = [];
      const take = (kind: IdentifierKind, list: string[] | undefined, name: string) =>
        (list ?? []).forEach((raw, i) => {
          const v = field(kind, raw, `body.${name}.${i}`, errors);
          if (v && !identifiers.some((x) => x.kind === kind && x.value === v)) identifiers.push({ kind, value: v });
        });
      take('phone', b.phones, 'phones');
      take('iban', b.accounts, 'accounts');
      take('card', b.cards, 'cards');
      if (errors.length === 0 && identifiers.length === 0) errors.push({ path: 'body.phones', code: 'required' });
      if (errors.length > 0) throw Problem.validation(errors);
      const p = req.principal;
      const opened = await openCitizenCase(kernel, rt, ctxOf(req), {
        channel: p?.kind === 'partner' ? p.channel : 'unknown',
        reporter: b.reporter ?? null,
        identifiers,
        description: b.description ?? null,
        amount: b.amount ?? null,
        currency: b.amount === undefined ? null : (b.currency ?? 'KZT'),
        occurredAt: b.occurredAt ? new Date(b.occurredAt).toISOString() : null,
      });
      return reply.code(201).send(opened);
    },
  );

  app.get(
    '/api/v1/fraud/cases',
    {
      config: { access: staff('fraud:read') },
      schema: {
        tags,
        summary: 'Cases opened by citizens’ fraud reports, newest first, with the identifiers they name. Audited.',
        querystring: z.strictObject({ limit: Limit }),
        response: {
          200: z.object({
            items: z.array(
              z.object({
                id: z.string(),
                channel: z.string(),
                reporter: z.string(),
                description: z.string().nullable(),
                amount: z.number().nullable(),
                currency: z.string().nullable(),
                occurredAt: z.string().nullable(),
                status: z.string(),
                statusComment: z.string().nullable(),
                createdAt: z.string(),
                identifiers: z.array(z.object({ kind: z.string(), hash: z.string(), value: z.string().nullable() })),
              }),
            ),
          }),
        },
      },
    },
    async (req) => ({ items: await listCases(kernel, ctxOf(req), (req.query as { limit: number }).limit) }),
  );

  app.patch(
    '/api/v1/fraud/cases/:id',
    {
      config: { access: staff('fraud:write') },
      schema: {
        tags,
        summary: 'An analyst works a case: open → investigating → closed (or back), with a comment. Audited.',
        params: z.strictObject({ id: z.uuid() }),
        body: z.strictObject({ status: z.enum(CASE_STATUSES), comment: Text(1000).optional() }),
        response: { 200: z.object({ id: z.string(), status: z.enum(CASE_STATUSES), statusComment: z.string().nullable(), statusAt: z.string() }) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const body = req.body as { status: CaseStatus; comment?: string };
      return setCaseStatus(kernel, ctxOf(req), id, body.status, body.comment ?? null);
    },
  );

  // ---- SIM-box detection from call records -------------------------------------------------------------
  app.post(
    '/api/v1/fraud/cdrs',
    {
      config: { access: partner('fraud:screen', OPERATORS), rateLimit: partnerLimit },
      schema: {
        tags,
        summary: 'Operators: call records (NDJSON: imsi, iccid?, imei?, direction, cell, durationS, at, simActivatedAt?); SIMs matching the SIM-box pattern become indicators',
        description:
          'All lines are checked before any is taken (errors name `body.<line>.<field>`). A SIM with many short outgoing calls, almost no incoming ones and one or two cells within 24 h becomes `warn` indicators (IMSI, ICCID, the IMEIs it was seen in) contributed by the calling operator. Windows are per process.',
        response: {
          200: z.object({
            accepted: z.number(),
            flagged: z.array(
              z.object({ imsi: z.string(), msisdn: z.string().nullable(), iccid: z.string().nullable(), imeis: z.array(z.string()), newSim: z.boolean(), outgoing: z.number(), incoming: z.number(), cells: z.number(), meanDurationS: z.number() }),
            ),
          }),
        },
      },
    },
    async (req) => {
      if (typeof req.body !== 'string') throw new Problem('unsupported_media_type');
      const errors: FieldError[] = [];
      const cdrs: Cdr[] = [];
      const lines = req.body.split('\n');
      let n = 0;
      for (let i = 0; i < lines.length && errors.length < 100; i++) {
        const line = lines[i].trim();
        if (line === '') continue;
        if (++n > settings.importMax) {
          errors.push({ path: `body.${i}`, code: 'fraud.too_many_lines', params: { maximum: settings.importMax } });
          break;
        }
        let raw: unknown;
        try {
          raw = JSON.parse(line);
        } catch {
          errors.push({ path: `body.${i}`, code: 'fraud.invalid_json_line' });
          continue;
        }
        const parsed = parseReporting(CdrLine, raw);
        if (!parsed.success) {
          errors.push(...fieldErrorsFromZod(parsed.error.issues, `body.${i}`));
          continue;
        }
        const c = parsed.data;
        const imsi = field('imsi', c.imsi, `body.${i}.imsi`, errors);
        const msisdn = field('phone', c.msisdn, `body.${i}.msisdn`, errors);
        const iccid = field('iccid', c.iccid, `body.${i}.iccid`, errors);
        const imei = field('imei', c.imei, `body.${i}.imei`, errors);
        if (imsi) cdrs.push({ imsi, msisdn, iccid, imei, direction: c.direction, cell: c.cell, durationS: c.durationS, at: Date.parse(c.at), activatedAt: c.simActivatedAt ? Date.parse(c.simActivatedAt) : null });
      }
      if (n === 0) errors.push({ path: 'body', code: 'required' });
      if (errors.length > 0) throw Problem.validation(errors);
      cdrs.sort((a, b) => a.at - b.at);
      const flagged: SimBoxFinding[] = [];
      for (const c of cdrs) {
        const f = rt.simbox.add(c);
        if (f) flagged.push(f);
      }
      if (flagged.length > 0) {
        const now = kernel.clock.now();
        try {
          await upsertIndicators(kernel, rt, ctxOf(req), flagged.flatMap((f) => simboxIndicators(rt, f, now, SIMBOX_POLICY)), 'detected');
        } catch (e) {
          // Not stored: the operator's retry (or its next records) must be able to flag these SIMs again.
          for (const f of flagged) rt.simbox.unflag(f.imsi);
          throw e;
        }
      }
      return { accepted: cdrs.length, flagged };
    },
  );

  // ---- SIM cards per person -----------------------------------------------------------------------------
  app.post(
    '/api/v1/fraud/sim-registrations',
    {
      config: { access: operatorFeed },
      schema: {
        tags,
        summary: `Operators: SIM registrations and deregistrations (IIN, number, ICCID); people with more than ${SIM_LIMIT.maxPerIin} active SIMs across all operators are flagged`,
        body: z.strictObject({
          items: z
            .array(
              z.strictObject({
                iin: z.string().regex(/^\d{12}$/),
                msisdn: PhoneIn,
                iccid: z.string().min(1).max(32).optional(),
                event: z.enum(['registered', 'deregistered']),
                at: IsoIn,
              }),
            )
            .min(1)
            .max(10_000),
        }),
        response: { 200: z.object({ accepted: z.number(), overLimit: z.array(z.object({ iin: z.string(), active: z.number() })), limit: z.number() }) },
      },
    },
    async (req) => {
      const { items } = req.body as { items: { iin: string; msisdn: string; iccid?: string; event: 'registered' | 'deregistered'; at: string }[] };
      const errors: FieldError[] = [];
      const regs = items.map((i, n) => {
        if (!iinValid(i.iin)) errors.push({ path: `body.items.${n}.iin`, code: 'fraud.invalid_iin' });
        return {
          iin: i.iin,
          msisdn: field('phone', i.msisdn, `body.items.${n}.msisdn`, errors) ?? '',
          iccid: field('iccid', i.iccid, `body.items.${n}.iccid`, errors),
          event: i.event,
          at: new Date(i.at).toISOString(),
        };
      });
      if (errors.length > 0) throw Problem.validation(errors);
      const overLimit = await feedSimRegistrations(kernel, ctxOf(req), regs, SIM_LIMIT.maxPerIin);
      return { accepted: regs.length, overLimit, limit: SIM_LIMIT.maxPerIin };
    },
  );

  app.get(
    '/api/v1/fraud/sim-limits',
    {
      config: { access: staff('fraud:read') },
      schema: {
        tags,
        summary: `People (IIN) holding more than ${SIM_LIMIT.maxPerIin} active SIM cards, most first. Audited.`,
        querystring: z.strictObject({ limit: Limit }),
        response: { 200: z.object({ limit: z.number(), items: z.array(z.object({ iin: z.string(), active: z.number(), flaggedAt: z.string() })) }) },
      },
    },
    async (req) => ({ limit: SIM_LIMIT.maxPerIin, items: await simLimits(kernel, ctxOf(req), (req.query as { limit: number }).limit) }),
  );

  // ---- screening ----------------------------------------------------------------------------------------
  app.post(
    '/api/v1/fraud/calls/screen',
    {
      config: { access: partner('fraud:screen'), rateLimit: partnerLimit },
      schema: {
        tags,
        summary: 'Screen a call at the switch: allow, label or block, with reason codes',
        description:
          'Rules: listed callers (block or label per the indicator), a Kazakhstan number on an international ingress without roaming confirmation (block), STIR/SHAKEN PASSporT verification of the SIP Identity header (ES256, certificate chain to the trust anchors, iat freshness, orig/dest, attestation A/B/C). Decided from memory; recorded asynchronously.',
        body: CallBody,
        response: { 200: CallOut },
      },
    },
    async (req) => {
      const body = req.body as z.infer<typeof CallBody>;
      const errors: FieldError[] = [];
      const caller = field('phone', body.caller, 'body.caller', errors);
      const called = field('phone', body.called, 'body.called', errors);
      const imsi = field('imsi', body.imsi, 'body.imsi', errors);
      const imei = field('imei', body.imei, 'body.imei', errors);
      const where = area(rt, body.region, 'body.region', errors);
      if (!caller || !called || errors.length > 0) throw Problem.validation(errors);
      return rt.screenCall({ caller, called, ingress: body.ingress, trunk: body.trunk, identity: body.identity ?? null, imsi, imei }, origin(req, where));
    },
  );

  app.post(
    '/api/v1/fraud/transactions/screen',
    {
      config: { access: partner('fraud:screen'), rateLimit: partnerLimit },
      schema: {
        tags,
        summary: 'Screen a transfer: allow, hold or block, with the typology scores and the rules that contributed',
        body: TxBody,
        response: { 200: TxOut },
      },
    },
    async (req) => {
      const { input, area: where } = txInput(rt, req.body as z.infer<typeof TxBody>, 'body');
      return rt.screenTransaction(input, origin(req, where));
    },
  );

  app.post(
    '/api/v1/fraud/calls/screen/batch',
    {
      config: { access: partner('fraud:screen'), rateLimit: partnerLimit },
      schema: {
        tags,
        summary: 'Screen up to 1,000 calls in one request (a signalling gateway that gathers the call attempts of the last millisecond or two)',
        description:
          'The same rules and answer as `POST /api/v1/fraud/calls/screen`, one decision per call in the order sent. All calls are checked first: one bad call refuses the batch with errors naming `body.calls.<i>.<field>`, and nothing is decided or recorded.',
        body: z.strictObject({ calls: z.array(CallBody).min(1).max(BATCH_MAX) }),
        response: { 200: z.object({ decisions: z.array(CallOut) }) },
      },
    },
    async (req) => {
      const { calls } = req.body as { calls: z.infer<typeof CallBody>[] };
      const errors: FieldError[] = [];
      const inputs = calls.map((body, i) => {
        const p = `body.calls.${i}`;
        const caller = field('phone', body.caller, `${p}.caller`, errors);
        const called = field('phone', body.called, `${p}.called`, errors);
        const imsi = field('imsi', body.imsi, `${p}.imsi`, errors);
        const imei = field('imei', body.imei, `${p}.imei`, errors);
        const where = area(rt, body.region, `${p}.region`, errors);
        return { input: { caller: caller ?? '', called: called ?? '', ingress: body.ingress, trunk: body.trunk, identity: body.identity ?? null, imsi, imei }, where };
      });
      if (errors.length > 0) throw Problem.validation(errors);
      const decisions: CallResult[] = [];
      for (const { input, where } of inputs) decisions.push(await rt.screenCall(input, origin(req, where)));
      return { decisions };
    },
  );

  app.post(
    '/api/v1/fraud/transactions/screen/batch',
    {
      config: { access: partner('fraud:screen'), rateLimit: partnerLimit },
      schema: {
        tags,
        summary: 'Screen up to 1,000 transfers in one request, in order',
        description:
          'The same typologies and answer as `POST /api/v1/fraud/transactions/screen`, one decision per transfer in the order sent (a later transfer of the batch sees the earlier ones, as if sent one by one). One bad transfer refuses the batch with errors naming `body.transactions.<i>.<field>`; nothing is decided or recorded.',
        body: z.strictObject({ transactions: z.array(TxBody).min(1).max(BATCH_MAX) }),
        response: { 200: z.object({ decisions: z.array(TxOut) }) },
      },
    },
    async (req) => {
      const { transactions } = req.body as { transactions: z.infer<typeof TxBody>[] };
      const errors: FieldError[] = [];
      const inputs: { input: TxInput; area: string | null }[] = [];
      transactions.forEach((body, i) => {
        try {
          inputs.push(txInput(rt, body, `body.transactions.${i}`));
        } catch (e) {
          if (!(e instanceof Problem && e.code === 'validation_failed')) throw e;
          errors.push(...e.errors);
        }
      });
      if (errors.length > 0) throw Problem.validation(errors);
      return { decisions: inputs.map((x) => rt.screenTransaction(x.input, origin(req, x.area))) };
    },
  );

  app.post(
    '/api/v1/fraud/transactions/pacs.008',
    {
      config: { access: partner('fraud:screen'), rateLimit: partnerLimit },
      schema: {
        tags,
        summary: 'Screen an ISO 20022 pacs.008 (application/xml); answers a pacs.002 status report (ACCP allow, PDNG hold, RJCT block, StsId = decision id)',
      },
    },
    async (req, reply) => {
      if (typeof req.body !== 'string') throw new Problem('fraud.malformed_xml', { reason: 'send the pacs.008 document as application/xml' });
      const parsed = parsePacs008(req.body);
      if (!parsed.ok) {
        if ('malformed' in parsed) throw new Problem('fraud.malformed_xml', { reason: parsed.malformed });
        throw Problem.validation(parsed.errors);
      }
      const msg = parsed.value;
      const inputs = msg.txs.map((tx, i) => {
        const p = `body.Document.FIToFICstmrCdtTrf.CdtTrfTxInf.${i}`;
        const errors: FieldError[] = [];
        const input: TxInput = {
          id: tx.endToEndId,
          amount: tx.amount,
          currency: tx.currency,
          amountKzt: inTenge(rt, tx.amount, tx.currency, `${p}.IntrBkSttlmAmt.Ccy`, errors),
          payer: { account: field('iban', tx.debtorIban, `${p}.DbtrAcct.Id.IBAN`, errors) ?? '', phone: field('phone', tx.debtorPhone ?? undefined, `${p}.Dbtr.CtctDtls.MobNb`, errors), openedAt: null },
          payee: { account: field('iban', tx.creditorIban, `${p}.CdtrAcct.Id.IBAN`, errors) ?? '', phone: field('phone', tx.creditorPhone ?? undefined, `${p}.Cdtr.CtctDtls.MobNb`, errors), card: null, openedAt: null },
          override: false,
        };
        return { input, errors, where: area(rt, tx.debtorRegion, `${p}.Dbtr.PstlAdr.CtrySubDvsn`, errors) };
      });
      const errors = inputs.flatMap((x) => x.errors);
      if (errors.length > 0) throw Problem.validation(errors);
      const lines = inputs.map(({ input, where }) => {
        const r = rt.screenTransaction(input, origin(req, where));
        return { endToEndId: input.id, decisionId: r.id, outcome: r.outcome, score: r.score, reasons: r.reasons };
      });
      const xml = renderPacs002({ msgId: newId(), createdAt: kernel.clock.now().toISOString(), original: msg, lines });
      return reply.type('application/xml; charset=utf-8').send(xml);
    },
  );

  // ---- backtest -----------------------------------------------------------------------------------------
  const BacktestOut = z.object({
    id: z.string(),
    policyVersion: z.string().nullable(),
    draft: z.boolean(),
    fileName: z.string().nullable(),
    fileSha256: z.string(),
    createdBy: z.string(),
    createdAt: z.string(),
    rows: z.number(),
    frauds: z.number(),
    flagged: z.number(),
    truePositives: z.number(),
    precision: z.number().nullable(),
    recall: z.number().nullable(),
    auc: z.number().nullable(),
    outcomes: z.object({ allow: z.number(), hold: z.number(), block: z.number() }),
    typologies: z.array(z.object({ id: z.string(), alerts: z.number(), fraudAlerts: z.number() })),
  });
  const FileName = z.string().trim().min(1).max(200);
  /** Replays the file through a policy's typologies and keeps the result. */
  const runBacktest = async (req: FastifyRequest, csv: string, policy: Policy, version: number | null, fileName: string | null) => {
    const parsed = parsePaySim(csv, settings.importMax * 10);
    if (!parsed.ok) throw Problem.validation(parsed.errors);
    const result = backtest(parsed.rows, policy.transactions);
    return saveBacktest(kernel, ctxOf(req), { policy, policyVersion: version, fileName, fileSha256: createHash('sha256').update(csv).digest('hex'), result });
  };
  app.post(
    '/api/v1/fraud/backtests',
    {
      config: { access: staff('fraud:write') },
      schema: {
        tags,
        summary: 'Replay a labelled CSV with PaySim columns (text/csv) through the typologies of the version in force, or of `version`: precision and recall of hold-or-block, ROC AUC of the score, alerts per typology; the result is kept',
        querystring: z.strictObject({ version: queryNumber().pipe(z.number().int().min(1)).optional(), fileName: FileName.optional() }),
        response: { 200: BacktestOut },
      },
    },
    async (req) => {
      if (typeof req.body !== 'string') throw new Problem('unsupported_media_type');
      const q = req.query as { version?: number; fileName?: string };
      const version = q.version ?? rt.active.version;
      const policy = q.version === undefined ? { transactions: rt.active.transactions, calls: rt.active.calls } : await policyOfVersion(kernel, q.version);
      if (!policy) throw Problem.notFound();
      return runBacktest(req, req.body, policy, version, q.fileName ?? null);
    },
  );

  app.post(
    '/api/v1/fraud/backtests/draft',
    {
      config: { access: staff('fraud:write') },
      bodyLimit: 64 * 1024 * 1024,
      schema: {
        tags,
        summary: 'Backtest a draft policy before saving it: the CSV and the whole policy (as PUT /policy takes it) in one JSON body; the result is kept with the draft',
        description: 'The draft is checked as PUT /policy checks it (400 with the fields named under `body.policy`) and is not applied: only the backtest sees it.',
        // The CSV's size is bounded by the route's body limit (64 MiB) and its rows by parsePaySim.
        body: z.strictObject({ csv: z.string().min(1), policy: PolicyDoc, fileName: FileName.optional() }),
        response: { 200: BacktestOut },
      },
    },
    async (req) => {
      const body = req.body as { csv: string; policy: PolicyDoc; fileName?: string };
      const checked = checkPolicy(body.policy, 'body.policy');
      if (!checked.ok) throw Problem.validation(checked.errors);
      return runBacktest(req, body.csv, checked.value, null, body.fileName ?? null);
    },
  );

  app.get(
    '/api/v1/fraud/backtests',
    {
      config: { access: staff('fraud:read') },
      schema: {
        tags,
        summary: 'Backtests run, newest first: the policy version (or draft), the file and its SHA-256, who, when, and the result',
        querystring: z.strictObject({ limit: Limit, cursor: Cursor.optional() }),
        response: { 200: z.object({ items: z.array(BacktestOut), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => {
      const q = req.query as { limit: number; cursor?: string };
      const after = q.cursor ? decodeCursor(q.cursor, z.tuple([z.iso.datetime(), z.uuid()])) : null;
      const rows = await listBacktests(kernel, q.limit + 1, after);
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return { items: page, nextCursor: rows.length > q.limit ? encodeCursor([last.createdAt, last.id]) : null };
    },
  );

  app.get(
    '/api/v1/fraud/backtests/:id',
    {
      config: { access: staff('fraud:read') },
      schema: {
        tags,
        summary: 'One backtest, with the policy exactly as it was tested',
        params: z.strictObject({ id: z.uuid() }),
        response: { 200: BacktestOut.extend({ policy: PolicyDoc.nullable() }) },
      },
    },
    async (req) => {
      const found = await getBacktest(kernel, (req.params as { id: string }).id);
      if (!found) throw Problem.notFound();
      return found;
    },
  );

  // ---- feedback and statistics --------------------------------------------------------------------------
  app.post(
    '/api/v1/fraud/decisions/:id/outcome',
    {
      config: { access: anyOf(staff('fraud:write'), partner('fraud:screen')) },
      schema: {
        tags,
        summary: 'Confirm whether a screened transaction or call was fraud (once); feeds precision in GET /stats',
        params: z.strictObject({ id: z.uuid() }),
        body: z.strictObject({ fraud: z.boolean(), note: Text(1000).optional() }),
        response: { 200: z.object({ id: z.string(), kind: z.string(), outcome: z.string(), fraud: z.boolean(), at: z.string() }) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const p = req.principal;
      return recordOutcome(kernel, rt, ctxOf(req), id, req.body as { fraud: boolean; note?: string }, p?.kind === 'partner' ? actorOf(p) : null);
    },
  );

  app.get(
    '/api/v1/fraud/decisions',
    {
      config: { access: staff('fraud:read') },
      schema: {
        tags,
        summary: 'The decision log, newest first: outcome, score, reasons, and the bank’s verdict once given',
        description:
          '`search` finds the decisions about one thing: a phone number (a call’s caller or called number, any national form), an IBAN (transfers paid into it, matched by its hash) or else a transaction id. `outcome` or `flagged=true` (everything not allowed), and `from`/`to`, narrow the list. Searches are audited (who looked for what kind of identifier).',
        querystring: z.strictObject({
          kind: z.enum(['call', 'transaction']).optional(),
          search: z.string().trim().min(1).max(64).optional(),
          outcome: z.enum(['allow', 'label', 'block', 'hold']).optional(),
          flagged: z.enum(['true', 'false']).optional(),
          from: IsoIn.optional(),
          to: IsoIn.optional(),
          limit: queryNumber().pipe(z.number().int().min(1).max(500)).default(100),
          cursor: z.string().max(200).optional(),
        }),
        response: {
          200: z.object({
            items: z.array(
              z.object({
                id: z.string(),
                kind: z.string(),
                outcome: z.string(),
                score: z.number().nullable(),
                reasons: z.array(z.string()),
                latencyUs: z.number(),
                degraded: z.boolean(),
                policyVersion: z.string(),
                partner: z.string(),
                subject: z.unknown(),
                amount: z.number().nullable(),
                currency: z.string().nullable(),
                decidedAt: z.string(),
                confirmedFraud: z.boolean().nullable(),
                outcomeAt: z.string().nullable(),
                outcomeBy: z.string().nullable(),
                outcomeNote: z.string().nullable(),
              }),
            ),
            nextCursor: z.string().nullable(),
          }),
        },
      },
    },
    async (req) => {
      const q = req.query as { kind?: string; search?: string; outcome?: string; flagged?: 'true' | 'false'; from?: string; to?: string; limit: number; cursor?: string };
      const after = q.cursor ? decodeCursor(q.cursor, z.tuple([z.string(), z.uuid()])) : null;
      // What the search is: a number (calls), an account (transfers, by hash), else a transaction id.
      const phone = q.search ? normalise('phone', q.search) : null;
      const iban = q.search && !phone?.ok ? normalise('iban', q.search) : null;
      const searchBy = !q.search ? null : phone?.ok ? 'phone' : iban?.ok ? 'account' : 'transaction';
      // Each search is one value matched against one or two subject fields of one kind (their partial indexes: 0006).
      const phoneValue = phone?.ok ? phone.value : null;
      const accountHash = iban?.ok ? rt.hash('iban', iban.value) : null;
      const transactionId = q.search && !phoneValue && !accountHash ? q.search : null;
      const list = (db: Pick<typeof kernel.db, 'query'>) =>
        db.query<{
        id: string;
        kind: string;
        outcome: string;
        score: number | null;
        reasons: string[];
        latency_us: number;
        degraded: boolean;
        policy_version: string;
        partner: string;
        subject: unknown;
        amount: string | null;
        currency: string | null;
        decided_at: Date;
        confirmed_fraud: boolean | null;
        outcome_at: Date | null;
        outcome_by: string | null;
        outcome_note: string | null;
      }>(
        // A search first finds its decisions through the partial indexes (0006), one lookup per field, and the other
        // filters and the order apply to those few: the planner is not given the choice of walking the log by time.
        `select d.* from ${
          searchBy === null
            ? 'fraud_decision d'
            : `(select id from fraud_decision where kind = 'call' and (subject->>'caller') collate "C" = $5
                union select id from fraud_decision where kind = 'call' and (subject->>'called') collate "C" = $5
                union select id from fraud_decision where kind = 'transaction' and (subject->>'payeeHash') collate "C" = $10
                union select id from fraud_decision where kind = 'transaction' and (subject->>'transactionId') collate "C" = $11) h
               join fraud_decision d on d.id = h.id`
        }
         where ($1::text is null or d.kind = $1) and ($2::timestamptz is null or (d.decided_at, d.id) < ($2::timestamptz, $3::uuid))
           and ($6::text is null or d.outcome = $6) and (not $7 or d.outcome <> 'allow')
           and ($8::timestamptz is null or d.decided_at >= $8) and ($9::timestamptz is null or d.decided_at < $9)
           and ($5::text is null or true) and ($10::text is null or true) and ($11::text is null or true) -- types every parameter, used or not
         order by d.decided_at desc, d.id desc limit $4`,
          [
            q.kind ?? null,
            after?.[0] ?? null,
            after?.[1] ?? null,
            q.limit + 1,
            phoneValue,
            q.outcome ?? null,
            q.flagged === 'true',
            q.from ?? null,
            q.to ?? null,
            accountHash,
            transactionId,
          ],
        );
      // A search names a person's number or account: who looked for what kind of identifier is audited.
      const rows = searchBy
        ? await kernel.commands.run(ctxOf(req), async (uow) => {
            const found = await list(uow.tx);
            await uow.audit({ action: 'decisions.searched', entity: 'fraud_decision', data: { by: searchBy, found: Math.min(found.length, q.limit) } });
            return found;
          })
        : await list(kernel.db);
      const page = rows.slice(0, q.limit);
      const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
      const items = page.map((r) => ({
        id: r.id,
        kind: r.kind,
        outcome: r.outcome,
        score: r.score,
        reasons: r.reasons,
        latencyUs: r.latency_us,
        degraded: r.degraded,
        policyVersion: r.policy_version,
        partner: r.partner,
        subject: r.subject,
        amount: r.amount === null ? null : Number(r.amount),
        currency: r.currency,
        decidedAt: new Date(r.decided_at).toISOString(),
        confirmedFraud: r.confirmed_fraud,
        outcomeAt: iso(r.outcome_at),
        outcomeBy: r.outcome_by,
        outcomeNote: r.outcome_note,
      }));
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > q.limit ? encodeCursor([last.decidedAt, last.id]) : null };
    },
  );

  app.get(
    '/api/v1/fraud/stats',
    {
      config: { access: staff('fraud:read') },
      schema: {
        tags,
        summary: 'Decisions by kind and outcome, precision and recall from confirmed outcomes, prevented loss, and the live state of this process',
        querystring: z.strictObject({ from: IsoIn.optional(), to: IsoIn.optional() }),
        response: {
          200: z.object({
            policyVersion: z.string(),
            from: z.string().nullable(),
            to: z.string().nullable(),
            decisions: z.array(z.object({ kind: z.string(), outcome: z.string(), count: z.number(), degraded: z.number(), meanLatencyUs: z.number() })),
            feedback: z.array(
              z.object({
                kind: z.string(),
                truePositives: z.number(),
                falsePositives: z.number(),
                falseNegatives: z.number(),
                trueNegatives: z.number(),
                precision: z.number().nullable(),
                recall: z.number().nullable(),
              }),
            ),
            preventedLoss: z.array(z.object({ currency: z.string(), amount: z.number() })),
            byDay: z.array(z.object({ day: z.string(), partner: z.string(), currency: z.string().nullable(), preventedAmount: z.number(), callsBlocked: z.number() })),
            byRegion: z.array(
              Breakdown.extend({ region: z.string().nullable(), name: z.object({ ru: z.string(), kk: z.string(), en: z.string() }).nullable() }),
            ),
            byChannel: z.array(Breakdown.extend({ channel: z.string().nullable() })),
            live: z.object({ indicators: z.number(), degraded: z.boolean(), recorderPending: z.number(), recorderDropped: z.number() }),
          }),
        },
      },
    },
    async (req) => {
      const q = req.query as { from?: string; to?: string };
      return { policyVersion: String(rt.active.version), ...(await stats(kernel, rt, q.from ?? null, q.to ?? null)) };
    },
  );
}
