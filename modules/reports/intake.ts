import { randomBytes } from 'node:crypto';
import { Problem } from '../../packages/kernel/src/errors.ts';
import { haversineM } from '../../packages/kernel/src/geo/distance.ts';
import { GroupCommit, type Outcome } from '../../packages/kernel/src/group-commit.ts';
import { newId } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import type { UnitOfWork } from '../../packages/kernel/src/outbox.ts';
import { CATEGORIES_VERSION, type Category, FALSE_REPORT_RULE } from './config/categories.ts';
import type { ReportsSettings } from './config/settings.ts';
import { abuseFlag } from './domain/abuse.ts';
import { type DuplicateCandidate, duplicateLockKeys, gridCell, gridCellsWithin, pickDuplicate } from './domain/duplicate.ts';
import type { ReportStatus } from './domain/status.ts';
import { isExactLocation, type LocationPrecision, REPORT_SUBMITTED, type ReportSubmitted } from './events.ts';
import type { IdempotencyRef, ReportRow, Submitted, Submitter, SubmitInput } from './service.ts';

/** A submission that passed validation, waiting for its batch. */
export interface Accepted {
  input: SubmitInput;
  /** The reporter's point, or where the gazetteer placed the address. */
  location: { lon: number; lat: number };
  precision: LocationPrecision;
  category: Category;
  kato: string;
  who: Submitter;
  idem: IdempotencyRef | null;
}

/** The grid cells each item's duplicate search reads, as two parallel arrays: item number (from 1), cell. */
function searchCells(items: readonly Accepted[], radiusM: number): [number[], number[]] {
  const ns: number[] = [];
  const cells: number[] = [];
  items.forEach((it, i) => {
    if (!isExactLocation(it.precision)) return; // an approximate place is not compared by distance
    for (const cell of gridCellsWithin(it.location.lon, it.location.lat, radiusM)) {
      ns.push(i + 1);
      cells.push(cell);
    }
  });
  return [ns, cells];
}

/** Most reports one intake transaction takes. */
const MAX_BATCH = 200;

const idemKey = (ref: IdempotencyRef) => `${ref.scope}\u0000${ref.key}`;

/**
 * Report intake by group commit: submissions that arrive while earlier ones are committing are stored together,
 * in one transaction of about ten statements however many reports it holds — duplicate locks, idempotency,
 * device limits, abuse counts and duplicate search each done for the whole batch at once, then one multi-row
 * insert per table, one audit append and one outbox insert. Every rule is the same as for a report stored on
 * its own: a batch decides its reports in arrival order, and a report may duplicate an earlier one in its own
 * batch. A caller is answered only after its batch commits.
 */
export class ReportIntake {
  private readonly commit: GroupCommit<Accepted, Submitted>;

  constructor(
    private readonly kernel: Kernel,
    private readonly settings: ReportsSettings,
    private readonly columns: string,
  ) {
    // PGlite runs one transaction at a time: one batch in flight. PostgreSQL: a few, so one batch's round trips
    // overlap the next one's.
    const maxInFlight = kernel.db.kind === 'pglite' ? 1 : 4;
    this.commit = new GroupCommit((items) => this.store(items), { maxBatch: MAX_BATCH, maxInFlight });
  }

  submit(item: Accepted): Promise<Submitted> {
    return this.commit.submit(item);
  }

  get stats() {
    return { batches: this.commit.batches, reports: this.commit.items };
  }

  private store(items: Accepted[]): Promise<Outcome<Submitted>[]> {
    return this.kernel.commands.run({ actor: 'system:reports.intake' }, (uow) => this.storeIn(uow, items));
  }

  private async storeIn(uow: UnitOfWork, items: Accepted[]): Promise<Outcome<Submitted>[]> {
    const tx = uow.tx;
    const rule = { radiusM: this.settings.duplicateRadiusM, windowMin: this.settings.duplicateWindowMin };
    const now = uow.now.toISOString();

    // 1. Reports of one category near one place take turns, across batches and processes, and so do reports of
    //    one device or phone (its hourly limit is counted exactly): every lock any item needs, taken in one
    //    sorted order so two batches cannot deadlock.
    const locks = [
      ...new Set(
        items.flatMap((it) => [
          ...(isExactLocation(it.precision) ? duplicateLockKeys(it.category.code, it.location.lon, it.location.lat, rule.radiusM) : []),
          ...(it.input.deviceId === null ? [] : [`reports.device:${it.input.deviceId}`]),
          ...(it.input.contact.phone === null ? [] : [`reports.phone:${it.input.contact.phone}`]),
        ]),
      ),
    ].sort();
    // Steps 1–4 depend on nothing but the batch, so they are sent together, in order: the reads still run after the
    // locks are held (one connection runs its statements in turn), and the batch waits for one answer, not four.
    const locked = tx.query('select pg_advisory_xact_lock(hashtext(k)::int8) from unnest($1::text[]) with ordinality as u(k, n) order by n', [locks]);

    // 2. Retries: reports already stored under the same Idempotency-Key.
    const idems = items.filter((it) => it.idem).map((it) => it.idem as IdempotencyRef);
    const stored = new Map<string, ReportRow>();
    const retries =
      idems.length === 0
        ? Promise.resolve([])
        : tx.query<ReportRow & { idempotency_scope: string; idempotency_key: string }>(
            `select ${this.columns}, r.idempotency_scope, r.idempotency_key from reports_report r
             join unnest($1::text[], $2::text[]) as k(scope, key) on r.idempotency_scope = k.scope and r.idempotency_key = k.key`,
            [idems.map((i) => i.scope), idems.map((i) => i.key)],
          );

    // 3. Counts per device and phone: reports in the last hour (rate limit) and reports marked false in the
    //    abuse window (flag). Each device and phone is looked up on its own, through its (id, time) index, whatever
    //    the statistics say: on a young table, stale statistics made the planner read the whole table for every
    //    batch (a sequential scan that grew with each report stored).
    const devices = [...new Set(items.map((it) => it.input.deviceId).filter((d): d is string => d !== null))];
    const phones = [...new Set(items.map((it) => it.input.contact.phone).filter((p): p is string => p !== null))];
    const hourAgo = new Date(uow.now.getTime() - 3_600_000).toISOString();
    const falseSince = new Date(uow.now.getTime() - FALSE_REPORT_RULE.windowDays * 86_400_000).toISOString();
    const recent = { device: new Map<string, number>(), phone: new Map<string, number>() };
    const falses = { device: new Map<string, number>(), phone: new Map<string, number>() };
    const counted =
      devices.length + phones.length === 0
        ? Promise.resolve([])
        : tx.query<{ kind: 'device' | 'phone'; id: string; recent: number; false_reports: number }>(
            `select 'device' as kind, d.id, r.n as recent, f.n as false_reports
             from unnest($1::text[]) as d(id)
             cross join lateral (select count(*)::int8 as n from (select 1 from reports_report where device_id = d.id and submitted_at >= $3 offset 0) x) r
             cross join lateral (select count(*)::int8 as n from (select 1 from reports_report where device_id = d.id and false_at >= $4 offset 0) x) f
             where r.n > 0 or f.n > 0
             union all
             select 'phone', p.id, r.n, f.n
             from unnest($2::text[]) as p(id)
             cross join lateral (select count(*)::int8 as n from (select 1 from reports_report where contact_phone = p.id and submitted_at >= $3 offset 0) x) r
             cross join lateral (select count(*)::int8 as n from (select 1 from reports_report where contact_phone = p.id and false_at >= $4 offset 0) x) f
             where r.n > 0 or f.n > 0`,
            [devices, phones, hourAgo, falseSince],
          );

    // 4. Duplicate candidates for every item: reports of its category within the radius and window, read cell by
    //    cell through (category, grid_cell, submitted_at). `offset 0` keeps each cell's lookup a parameterised
    //    index scan whatever the table's statistics say (on a young table the planner would otherwise read every
    //    report of the window).
    const searched = tx.query<{
      n: number;
      id: string;
      category: string;
      status: ReportStatus;
      duplicate_of: string | null;
      false_report: boolean;
      submitted_at: Date;
      distance_m: number;
    }>(
      `with q as (
         select u.n, u.category, ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326)::geography as g
         from unnest($1::float8[], $2::float8[], $3::text[]) with ordinality as u(lon, lat, category, n)),
       near as (
         select q.n, r.id, r.category, r.status, r.duplicate_of, r.false_report, r.submitted_at, ST_Distance(r.location, q.g) as distance_m
         from unnest($7::int8[], $8::int8[]) as v(n, cell)
         join q on q.n = v.n
         cross join lateral (
           select id, category, status, duplicate_of, false_at is not null as false_report, submitted_at, location
           from reports_report
           where category = q.category and grid_cell = v.cell and submitted_at >= $4 and submitted_at <= $5
           offset 0) r
         where ST_DWithin(r.location, q.g, $6))
       select * from (select near.*, row_number() over (partition by n order by distance_m) as k from near) x where k <= 50`,
      [
        items.map((it) => it.location.lon),
        items.map((it) => it.location.lat),
        items.map((it) => it.category.code),
        new Date(uow.now.getTime() - rule.windowMin * 60_000).toISOString(),
        now,
        rule.radiusM,
        ...searchCells(items, rule.radiusM),
      ],
    );
    const [, retried, counts, candidateRows] = await Promise.all([locked, retries, counted, searched]);
    for (const r of retried) stored.set(`${r.idempotency_scope}\u0000${r.idempotency_key}`, r);
    for (const c of counts) {
      recent[c.kind].set(c.id, c.recent);
      falses[c.kind].set(c.id, c.false_reports);
    }
    const candidates = new Map<number, DuplicateCandidate[]>();
    for (const c of candidateRows) {
      const list = candidates.get(Number(c.n)) ?? [];
      list.push({
        id: c.id,
        category: c.category,
        status: c.status,
        duplicateOf: c.duplicate_of,
        falseReport: c.false_report,
        submittedAt: new Date(c.submitted_at),
        distanceM: Number(c.distance_m),
      });
      candidates.set(Number(c.n), list);
    }

    // 5. Decide each item in arrival order; earlier items of this batch count as stored.
    type Decision = { kind: 'new'; id: string; token: string; duplicateOf: string | null; flag: ReturnType<typeof abuseFlag> } | { kind: 'replay'; of: number | ReportRow } | { kind: 'refused'; error: unknown };
    const decisions: Decision[] = [];
    const inBatch = new Map<string, number>(); // idempotency key → index of the item that stores it
    const bump = (m: Map<string, number>, k: string | null) => {
      if (k !== null) m.set(k, (m.get(k) ?? 0) + 1);
    };
    items.forEach((it, i) => {
      const { input } = it;
      if (it.idem) {
        const k = idemKey(it.idem);
        const earlier = stored.get(k);
        const sibling = inBatch.get(k);
        const hash = earlier?.idempotency_hash ?? (sibling !== undefined ? items[sibling].idem?.hash : undefined);
        if (hash !== undefined && hash !== it.idem.hash) {
          decisions.push({ kind: 'refused', error: new Problem('idempotency_conflict') });
          return;
        }
        if (earlier || sibling !== undefined) {
          decisions.push({ kind: 'replay', of: earlier ?? (sibling as number) });
          return;
        }
      }
      const device = input.deviceId;
      const phone = input.contact.phone;
      if ((device !== null && (recent.device.get(device) ?? 0) >= this.settings.rateLimitDevice) || (phone !== null && (recent.phone.get(phone) ?? 0) >= this.settings.rateLimitDevice)) {
        decisions.push({ kind: 'refused', error: new Problem('rate_limited', { seconds: 3600 }) });
        return;
      }
      const own: DuplicateCandidate[] = [];
      decisions.forEach((d, j) => {
        const other = items[j];
        if (d.kind !== 'new' || other.category.code !== it.category.code || !isExactLocation(other.precision) || !isExactLocation(it.precision)) return;
        own.push({
          id: d.id,
          category: other.category.code,
          status: 'received',
          duplicateOf: d.duplicateOf,
          falseReport: false,
          submittedAt: uow.now,
          distanceM: haversineM(other.location, it.location),
        });
      });
      const duplicateOf = pickDuplicate({ category: it.category.code, submittedAt: uow.now }, [...(candidates.get(i + 1) ?? []), ...own], rule);
      const flag = abuseFlag({ device: device === null ? 0 : (falses.device.get(device) ?? 0), phone: phone === null ? 0 : (falses.phone.get(phone) ?? 0) });
      decisions.push({ kind: 'new', id: newId(), token: randomBytes(32).toString('base64url'), duplicateOf, flag });
      bump(recent.device, device);
      bump(recent.phone, phone);
      if (it.idem) inBatch.set(idemKey(it.idem), i);
    });

    // 6. Store the new reports with their first history entries (one statement), their media; audit and events.
    const fresh = items.map((it, i) => ({ it, d: decisions[i] })).filter((x): x is { it: Accepted; d: Extract<Decision, { kind: 'new' }> } => x.d.kind === 'new');
    const rows = new Map<string, ReportRow>();
    if (fresh.length > 0) {
      const col = <T>(f: (x: (typeof fresh)[number]) => T) => fresh.map(f);
      const inserted = await tx.query<ReportRow>(
        `with inserted as (
           insert into reports_report (id, tracking_token, category, priority, categories_version, status, channel, partner_key_id,
             location, address, kato, description, attributes, anonymous, contact_name, contact_phone, contact_email, device_id,
             media_url, media_count, duplicate_of, flagged, flag_reason, idempotency_scope, idempotency_key, idempotency_hash,
             submitted_at, updated_at, grid_cell, location_precision)
           select id, token, category, priority, $5, 'received', channel, partner_key_id,
             ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography, address, kato, description, attributes, anonymous, contact_name,
             contact_phone, contact_email, device_id, media_url, media_count, duplicate_of, flagged, flag_reason, idempotency_scope,
             idempotency_key, idempotency_hash, $27, $27, grid_cell, location_precision
           from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $6::text[], $7::uuid[], $8::float8[], $9::float8[], $10::text[],
             $11::text[], $12::text[], $13::jsonb[], $14::boolean[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[],
             $20::int[], $21::uuid[], $22::boolean[], $23::text[], $24::text[], $25::text[], $26::text[], $28::int8[], $29::text[])
             as u(id, token, category, priority, channel, partner_key_id, lon, lat, address, kato, description, attributes, anonymous,
               contact_name, contact_phone, contact_email, device_id, media_url, media_count, duplicate_of, flagged, flag_reason,
               idempotency_scope, idempotency_key, idempotency_hash, grid_cell, location_precision)
           returning *),
         history as (insert into reports_history (report_id, status, at) select id, 'received', $27 from inserted)
         select ${this.columns} from inserted r`,
        [
          col((x) => x.d.id),
          col((x) => x.d.token),
          col((x) => x.it.category.code),
          col((x) => x.it.category.priority),
          CATEGORIES_VERSION,
          col((x) => x.it.who.channel),
          col((x) => x.it.who.partner?.id ?? null),
          col((x) => x.it.location.lon),
          col((x) => x.it.location.lat),
          col((x) => x.it.input.address),
          col((x) => x.it.kato),
          col((x) => x.it.input.description),
          col((x) => JSON.stringify(x.it.input.attributes)),
          col((x) => x.it.input.anonymous),
          col((x) => x.it.input.contact.name),
          col((x) => x.it.input.contact.phone),
          col((x) => x.it.input.contact.email),
          col((x) => x.it.input.deviceId),
          col((x) => x.it.input.mediaUrl),
          col((x) => x.it.input.media.length),
          col((x) => x.d.duplicateOf),
          col((x) => x.d.flag.flagged),
          col((x) => x.d.flag.reason),
          col((x) => x.it.idem?.scope ?? null),
          col((x) => x.it.idem?.key ?? null),
          col((x) => x.it.idem?.hash ?? null),
          now,
          // No grid cell for an approximate place: no later report is joined to it by distance.
          col((x) => (isExactLocation(x.it.precision) ? gridCell(x.it.location.lon, x.it.location.lat) : null)),
          col((x) => x.it.precision),
        ],
      );
      for (const r of inserted) rows.set(r.id, r);
      for (const { it, d } of fresh) {
        for (const [n, m] of it.input.media.entries()) {
          await tx.query('insert into reports_media (report_id, n, content_type, size, data) values ($1, $2, $3, $4, $5)', [d.id, n, m.contentType, m.bytes.length, m.bytes]);
        }
      }
      for (const { it, d } of fresh) {
        const { input, category, kato, who, location, precision } = it;
        await uow.audit({
          action: 'report.submitted',
          entity: 'report',
          entityId: d.id,
          jurisdiction: kato,
          actor: who.ctx.actor,
          requestId: who.ctx.requestId ?? null,
          data: { category: category.code, channel: who.channel, locationPrecision: precision, duplicateOf: d.duplicateOf, flagged: d.flag.flagged, flagReason: d.flag.reason, media: input.media.length },
        });
        const event: ReportSubmitted = {
          reportId: d.id,
          category: category.code,
          priority: category.priority,
          location: { lon: location.lon, lat: location.lat },
          locationPrecision: precision,
          address: input.address,
          kato,
          description: input.description,
          attributes: input.attributes,
          channel: who.channel,
          anonymous: input.anonymous,
          mediaCount: input.media.length,
          duplicateOf: d.duplicateOf,
          submittedAt: now,
        };
        await uow.emit({ subject: REPORT_SUBMITTED, key: d.id, jurisdiction: kato, permission: 'reports:read', data: event });
      }
    }

    return decisions.map((d): Outcome<Submitted> => {
      if (d.kind === 'refused') return { ok: false, error: d.error };
      if (d.kind === 'new') return { ok: true, value: { report: rows.get(d.id) as ReportRow, created: true } };
      if (typeof d.of !== 'number') return { ok: true, value: { report: d.of, created: false } };
      const sibling = decisions[d.of] as Extract<Decision, { kind: 'new' }>;
      return { ok: true, value: { report: rows.get(sibling.id) as ReportRow, created: false } };
    });
  }
}
