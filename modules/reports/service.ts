
import { covers, jurisdictionFilter } from '../../packages/kernel/src/auth/jurisdiction.ts';
import type { Principal } from '../../packages/kernel/src/auth/principal.ts';
import type { BusEvent } from '../../packages/kernel/src/bus/types.ts';
import type { Queryable, } from '../../packages/kernel/src/db/types.ts';
import { type FieldError, Problem } from '../../packages/kernel/src/errors.ts';
import { type Locale, t } from '../../packages/kernel/src/i18n/index.ts';
import { newId, UUID_PATTERN } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { type CommandContext, markHandled, type UnitOfWork } from '../../packages/kernel/src/outbox.ts';
import { INCIDENT_CREATED, INCIDENT_UPDATED, IncidentChanged } from '../dispatch/events.ts';
import { categoryOf, MEDIA_RULES } from './config/categories.ts';
import type { ReportsSettings } from './config/settings.ts';
import { validateAttributes } from './domain/attributes.ts';
import { type MediaType, sniffType } from './domain/media.ts';
import { decideIncidentChange, type NoteCode, type ReportStatus } from './domain/status.ts';
import { webhookBody } from './domain/webhook.ts';
import { ReportIntake } from './intake.ts';
import { type LocationPrecision, REPORT_STATUS_CHANGED, type ReportStatusChanged } from './events.ts';

/** Durable group (and inbox consumer) that follows dispatch's incidents. */
export const INCIDENT_GROUP = 'reports.incident-status';

// ---- rows and views -------------------------------------------------------------------------------------

const REPORT_COLUMNS = `r.id, r.tracking_token, r.category, r.priority, r.categories_version, r.status, r.status_note,
  r.status_note_code, r.channel, r.partner_key_id, ST_X(r.location::geometry) as lon, ST_Y(r.location::geometry) as lat,
  r.address, r.kato, r.description, r.attributes, r.anonymous, r.contact_name, r.contact_phone, r.contact_email,
  r.device_id, r.media_url, r.media_count, r.duplicate_of, r.incident_id, r.incident_at, r.flagged, r.flag_reason,
  r.false_at, r.false_reason, r.false_by, r.idempotency_hash, r.submitted_at, r.updated_at, r.location_precision`;

export interface ReportRow {
  id: string;
  tracking_token: string;
  category: string;
  priority: 'P1' | 'P2' | 'P3' | 'P4';
  categories_version: string;
  status: ReportStatus;
  status_note: string | null;
  status_note_code: NoteCode | null;
  channel: string;
  partner_key_id: string | null;
  lon: number;
  lat: number;
  address: string | null;
  kato: string | null;
  description: string | null;
  attributes: Record<string, string>;
  anonymous: boolean;
  contact_name: string | null;
  contact_phone: string | null;
  contact_email: string | null;
  device_id: string | null;
  media_url: string | null;
  media_count: number;
  duplicate_of: string | null;
  incident_id: string | null;
  incident_at: Date | null;
  flagged: boolean;
  flag_reason: string | null;
  false_at: Date | null;
  false_reason: string | null;
  false_by: string | null;
  idempotency_hash: string | null;
  submitted_at: Date;
  updated_at: Date;
  location_precision: LocationPrecision;
}

interface HistoryRow {
  report_id: string;
  status: ReportStatus;
  note: string | null;
  note_code: NoteCode | null;
  at: Date;
}

const iso = (d: Date | string) => new Date(d).toISOString();

/** The note a reader sees: the free text, else the localised text of its code. */
export function noteText(note: string | null, code: string | null, locale: Locale): string | null {
  if (note) return note;
  return code ? t(locale, `reports.note.${code}`) : null;
}

/** The partner's webhook for a report's new status: the note in Russian as before, its code, and in each language. */
function partnerWebhookBody(r: ReportRow, status: string, note: string | null, code: string | null, incidentId: string | null, at: string): string {
  return webhookBody({
    reportId: r.id,
    trackingToken: r.tracking_token,
    status,
    statusNote: noteText(note, code, 'ru'),
    statusNoteCode: code,
    statusNotes: { ru: noteText(note, code, 'ru'), kk: noteText(note, code, 'kk'), en: noteText(note, code, 'en') },
    incidentId,
    duplicateOf: r.duplicate_of,
    at,
  });
}

export interface ReportSummary {
  id: string;
  category: string;
  priority: string;
  status: ReportStatus;
  statusNote: string | null;
  channel: string;
  location: { type: 'Point'; coordinates: [number, number] };
  locationPrecision: LocationPrecision;
  address: string | null;
  kato: string | null;
  description: string | null;
  anonymous: boolean;
  mediaCount: number;
  duplicateOf: string | null;
  incidentId: string | null;
  flagged: boolean;
  flagReason: string | null;
  falseReport: boolean;
  submittedAt: string;
  updatedAt: string;
}

export interface ReportDetail extends ReportSummary {
  categoriesVersion: string;
  attributes: Record<string, string>;
  contact: { name: string | null; phone: string | null; email: string | null } | null;
  deviceId: string | null;
  mediaUrl: string | null;
  media: { n: number; contentType: string; size: number }[];
  falseReason: string | null;
  history: { status: ReportStatus; at: string; note: string | null }[];
}

export function toSummary(r: ReportRow, locale: Locale): ReportSummary {
  return {
    id: r.id,
    category: r.category,
    priority: r.priority,
    status: r.status,
    statusNote: noteText(r.status_note, r.status_note_code, locale),
    channel: r.channel,
    location: { type: 'Point', coordinates: [r.lon, r.lat] },
    locationPrecision: r.location_precision,
    address: r.address,
    kato: r.kato,
    description: r.description,
    anonymous: r.anonymous,
    mediaCount: r.media_count,
    duplicateOf: r.duplicate_of,
    incidentId: r.incident_id,
    flagged: r.flagged,
    flagReason: r.flag_reason,
    falseReport: r.false_at !== null,
    submittedAt: iso(r.submitted_at),
    updatedAt: iso(r.updated_at),
  };
}

// ---- inputs ---------------------------------------------------------------------------------------------

export const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export interface DeliveryRow {
  seq: string;
  id: string;
  report_id: string;
  attempts: number;
  next_attempt_at: Date;
  last_status: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  failed_at: Date | null;
  created_at: Date;
  body: string;
}

/** A webhook delivery as its partner reads it: its state derived from the stamps, the body as sent. */
export function presentDelivery(d: DeliveryRow) {
  const done = d.delivered_at ?? d.failed_at;
  return {
    id: d.id,
    reportId: d.report_id,
    state: d.delivered_at ? ('delivered' as const) : d.failed_at ? ('failed' as const) : ('pending' as const),
    attempts: d.attempts,
    nextAttemptAt: done ? null : iso(d.next_attempt_at),
    lastStatus: d.last_status,
    lastError: d.last_error,
    deliveredAt: d.delivered_at ? iso(d.delivered_at) : null,
    failedAt: d.failed_at ? iso(d.failed_at) : null,
    createdAt: iso(d.created_at),
    body: JSON.parse(d.body) as unknown,
  };
}

/** Where a report was placed, and how precisely. */
export interface Located {
  point: { lon: number; lat: number };
  precision: LocationPrecision;
}

export interface SubmitInput {
  category: string;
  /** The reporter's point; null when only an address was given (then the gazetteer places it). */
  location: { lon: number; lat: number } | null;
  address: string | null;
  description: string | null;
  media: { contentType: MediaType; bytes: Buffer }[];
  mediaUrl: string | null;
  anonymous: boolean;
  contact: { name: string | null; phone: string | null; email: string | null };
  deviceId: string | null;
  attributes: Record<string, string>;
}

/** Where each input sits in the caller's request, for field errors (`body.location` or Open311's `lat`). */
export interface InputPaths {
  location: string;
  address: string;
  attribute: (code: string) => string;
  media: (index: number) => string;
}

export interface Submitter {
  channel: string;
  partner: Extract<Principal, { kind: 'partner' }> | null;
  ctx: CommandContext;
}

/** The caller's Idempotency-Key, stored with the report so a retry finds it even after a crash. */
export interface IdempotencyRef {
  scope: string;
  key: string;
  hash: string;
}

export interface Submitted {
  report: ReportRow;
  created: boolean;
}

/** Accepts a staff list filter value; a jurisdiction-filtered, cursor-paginated page. */
export interface ListQuery {
  limit: number;
  before: string | null;
  status?: ReportStatus;
  category?: string;
  flagged?: boolean;
  /** Only these reports (an incident's, for the console). */
  ids?: string[];
}

// ---- the service ----------------------------------------------------------------------------------------

export class ReportsService {
  /** Called after a commit that queued webhook deliveries. */
  onDeliveriesQueued: () => void = () => {};

  private readonly intake: ReportIntake;

  constructor(
    private readonly kernel: Kernel,
    readonly settings: ReportsSettings,
  ) {
    this.intake = new ReportIntake(kernel, settings, REPORT_COLUMNS);
  }

  private get db() {
    return this.kernel.db;
  }

  async byId(q: Queryable, id: string, lock = false): Promise<ReportRow | null> {
    if (!UUID_PATTERN.test(id)) return null;
    const rows = await q.query<ReportRow>(`select ${REPORT_COLUMNS} from reports_report r where r.id = $1${lock ? ' for update' : ''}`, [id]);
    return rows[0] ?? null;
  }

  async byToken(token: string): Promise<ReportRow | null> {
    const rows = await this.db.query<ReportRow>(`select ${REPORT_COLUMNS} from reports_report r where r.tracking_token = $1`, [token]);
    return rows[0] ?? null;
  }

  private async byIdempotency(q: Queryable, ref: IdempotencyRef): Promise<ReportRow | null> {
    const rows = await q.query<ReportRow>(
      `select ${REPORT_COLUMNS} from reports_report r where r.idempotency_scope = $1 and r.idempotency_key = $2`,
      [ref.scope, ref.key],
    );
    const row = rows[0];
    if (row && row.idempotency_hash !== ref.hash) throw new Problem('idempotency_conflict');
    return row ?? null;
  }

  /**
   * Where the report is: the reporter's point, or the address placed by the gazetteer — refused (400, on the address)
   * when it cannot be found, fits several places, or names no more than a city or region: a unit cannot be sent
   * there, and the citizen can add the street or drop a pin.
   */
  place(input: SubmitInput, paths: InputPaths): Located | FieldError {
    if (input.location) return { point: input.location, precision: 'point' };
    if (!input.address) return { path: paths.location, code: 'required' };
    const found = this.kernel.gazetteer.geocode(input.address);
    if (!found.found) return { path: paths.address, code: found.reason === 'ambiguous' ? 'address_ambiguous' : 'address_not_found' };
    const { precision } = found.place;
    if (precision === 'region') return { path: paths.address, code: 'address_too_vague' };
    return { point: { lon: found.place.lon, lat: found.place.lat }, precision };
  }

  /** Everything that can be wrong with a submission, found before anything is written. */
  validate(input: SubmitInput, paths: InputPaths): { errors: FieldError[]; kato: string | null; located: Located | null } {
    const errors: FieldError[] = [];
    const category = categoryOf(input.category);
    if (category) errors.push(...validateAttributes(category, input.attributes, paths.attribute));
    input.media.forEach((m, i) => {
      if (m.bytes.length > MEDIA_RULES.maxBytes) {
        errors.push({ path: paths.media(i), code: 'media_too_large', params: { maximum: MEDIA_RULES.maxBytes / (1024 * 1024) } });
      } else if (sniffType(m.bytes) !== m.contentType) {
        errors.push({ path: paths.media(i), code: 'media_type_mismatch', params: { contentType: m.contentType } });
      }
    });
    const placed = this.place(input, paths);
    if ('code' in placed) {
      errors.push(placed);
      return { errors, kato: null, located: null };
    }
    const kato = this.kernel.areas.katoOf(placed.point.lon, placed.point.lat);
    if (!kato) errors.push({ path: input.location ? paths.location : paths.address, code: 'outside_kazakhstan' });
    return { errors, kato, located: placed };
  }

  /**
   * Files a report: validates everything first (nothing is stored when anything is wrong), then hands it to the
   * intake, which — in one transaction with the other reports arriving at the same moment — finds the report it
   * duplicates, applies the device limit, flags abuse, stores the report, its media and first history entry,
   * the audit record and `reports.report.submitted`. Resolves after that transaction commits.
   */
  async submit(input: SubmitInput, paths: InputPaths, who: Submitter, idem: IdempotencyRef | null, preErrors: FieldError[] = []): Promise<Submitted> {
    if (idem) {
      const existing = await this.byIdempotency(this.db, idem);
      if (existing) return { report: existing, created: false };
    }
    const category = categoryOf(input.category);
    if (!category) throw Problem.validation([{ path: 'body.category', code: 'invalid_value' }]);
    const { errors, kato, located } = this.validate(input, paths);
    if (preErrors.length + errors.length > 0 || !kato || !located) throw Problem.validation([...preErrors, ...errors]);
    return this.intake.submit({ input, location: located.point, precision: located.precision, category, kato, who, idem });
  }

  /** The citizen's view: no personal data. */
  async track(token: string, locale: Locale) {
    const r = await this.byToken(token);
    if (!r) throw Problem.notFound();
    const history = await this.history(this.db, r.id, locale);
    return {
      id: r.id,
      category: r.category,
      status: r.status,
      statusNote: noteText(r.status_note, r.status_note_code, locale),
      submittedAt: iso(r.submitted_at),
      updatedAt: iso(r.updated_at),
      history,
      duplicateOf: r.duplicate_of,
    };
  }

  async history(q: Queryable, reportId: string, locale: Locale) {
    const rows = await q.query<HistoryRow>('select report_id, status, note, note_code, at from reports_history where report_id = $1 order by seq', [reportId]);
    return rows.map((h) => ({ status: h.status, at: iso(h.at), note: noteText(h.note, h.note_code, locale) }));
  }

  /** Open311 by ids: sensitive categories only for the key they came through. */
  async open311ByIds(ids: string[], sensitive: string[], ownKeyId: string | null): Promise<ReportRow[]> {
    if (ids.length === 0) return [];
    return this.db.query<ReportRow>(
      `select ${REPORT_COLUMNS} from reports_report r
       where r.id = any($1::uuid[]) and (r.category <> all($2::text[]) or r.partner_key_id = $3::uuid)
       order by r.submitted_at desc`,
      [ids, sensitive, ownKeyId],
    );
  }

  /** Open311 list: a time window, optional service codes and open/closed, newest first, at most `limit`. */
  async open311List(q: {
    start: Date;
    end: Date;
    codes: string[] | null;
    statuses: string[] | null;
    limit: number;
    sensitive: string[];
    own: string | null;
  }): Promise<ReportRow[]> {
    const open = !q.statuses || q.statuses.includes('open');
    const closed = !q.statuses || q.statuses.includes('closed');
    return this.db.query<ReportRow>(
      `select ${REPORT_COLUMNS} from reports_report r
       where r.submitted_at >= $1 and r.submitted_at <= $2 and ($3::text[] is null or r.category = any($3::text[]))
         and (($4::boolean and r.status <> 'closed') or ($5::boolean and r.status = 'closed'))
         and (r.category <> all($6::text[]) or r.partner_key_id = $7::uuid)
       order by r.submitted_at desc limit $8`,
      [q.start.toISOString(), q.end.toISOString(), q.codes, open, closed, q.sensitive, q.own, q.limit],
    );
  }

  /** Staff list, newest first, inside the caller's jurisdictions. */
  async list(jurisdictions: string[], q: ListQuery): Promise<ReportRow[]> {
    const [filter, params] = jurisdictionFilter('r.kato', jurisdictions, 7);
    return this.db.query<ReportRow>(
      `select ${REPORT_COLUMNS} from reports_report r
       where ($1::uuid is null or r.id < $1) and ($2::text is null or r.status = $2) and ($3::text is null or r.category = $3)
         and ($4::boolean is null or r.flagged = $4) and ($6::uuid[] is null or r.id = any($6::uuid[])) and (${filter})
       order by r.id desc limit $5`,
      [q.before, q.status ?? null, q.category ?? null, q.flagged ?? null, q.limit + 1, q.ids ?? null, ...params],
    );
  }

  /** One report for staff, contact included: the read is audited. */
  async detail(jurisdictions: string[], id: string, ctx: CommandContext, locale: Locale): Promise<ReportDetail> {
    const r = await this.byId(this.db, id);
    if (!r) throw Problem.notFound();
    if (!covers(jurisdictions, r.kato)) throw new Problem('outside_jurisdiction');
    const media = await this.db.query<{ n: number; content_type: string; size: number }>(
      'select n, content_type, size from reports_media where report_id = $1 order by n',
      [id],
    );
    const history = await this.history(this.db, id, locale);
    await this.kernel.commands.run(ctx, (uow) =>
      uow.audit({ action: 'report.read', entity: 'report', entityId: id, jurisdiction: r.kato, data: { contact: r.contact_phone !== null || r.contact_email !== null || r.contact_name !== null } }),
    );
    const hasContact = r.contact_name !== null || r.contact_phone !== null || r.contact_email !== null;
    return {
      ...toSummary(r, locale),
      categoriesVersion: r.categories_version,
      attributes: r.attributes ?? {},
      contact: hasContact ? { name: r.contact_name, phone: r.contact_phone, email: r.contact_email } : null,
      deviceId: r.device_id,
      mediaUrl: r.media_url,
      media: media.map((m) => ({ n: m.n, contentType: m.content_type, size: m.size })),
      falseReason: r.false_reason,
      history,
    };
  }

  /** A photo or video of a report, for staff; audited. */
  async media(jurisdictions: string[], id: string, n: number, ctx: CommandContext): Promise<{ contentType: string; data: Buffer }> {
    const r = await this.byId(this.db, id);
    if (!r) throw Problem.notFound();
    if (!covers(jurisdictions, r.kato)) throw new Problem('outside_jurisdiction');
    const [m] = await this.db.query<{ content_type: string; data: Uint8Array }>('select content_type, data from reports_media where report_id = $1 and n = $2', [
      id,
      n,
    ]);
    if (!m) throw Problem.notFound();
    await this.kernel.commands.run(ctx, (uow) =>
      uow.audit({ action: 'report.media.read', entity: 'report', entityId: id, jurisdiction: r.kato, data: { n } }),
    );
    return { contentType: m.content_type, data: Buffer.from(m.data) };
  }

  /** Staff mark a report false: it closes, the reason is kept (staff-only), and it counts toward the abuse flag. */
  async markFalse(jurisdictions: string[], id: string, reason: string, ctx: CommandContext, locale: Locale): Promise<ReportSummary> {
    const row = await this.kernel.commands.run(ctx, async (uow) => {
      const r = await this.byId(uow.tx, id, true);
      if (!r) throw Problem.notFound();
      if (!covers(jurisdictions, r.kato)) throw new Problem('outside_jurisdiction');
      if (r.false_at) throw new Problem('report_already_false', {}, [], 409);
      await uow.tx.query('update reports_report set false_at = $2, false_reason = $3, false_by = $4 where id = $1', [
        id,
        uow.now.toISOString(),
        reason,
        ctx.actor,
      ]);
      await uow.audit({ action: 'report.marked_false', entity: 'report', entityId: id, jurisdiction: r.kato, data: { reason } });
      await this.changeStatus(uow, { ...r, false_at: uow.now }, { status: 'closed', note: null, noteCode: 'false_report', incidentId: r.incident_id, incidentAt: r.incident_at });
      return this.byId(uow.tx, id);
    });
    this.onDeliveriesQueued();
    return toSummary(row as ReportRow, locale);
  }

  /**
   * Writes a status change: the report, a history entry, `reports.report.status_changed`, and one webhook delivery
   * when the report's partner key has a webhook — all in the caller's transaction.
   */
  private async changeStatus(
    uow: UnitOfWork,
    r: ReportRow,
    change: { status: ReportStatus; note: string | null; noteCode: NoteCode | null; incidentId: string | null; incidentAt: Date | string | null },
  ): Promise<void> {
    const at = uow.now.toISOString();
    await uow.tx.query(
      `update reports_report set status = $2, status_note = $3, status_note_code = $4, incident_id = $5, incident_at = $6, updated_at = $7
       where id = $1`,
      [r.id, change.status, change.note, change.noteCode, change.incidentId, change.incidentAt ? iso(change.incidentAt) : null, at],
    );
    await uow.tx.query('insert into reports_history (report_id, status, note, note_code, incident_id, at) values ($1, $2, $3, $4, $5, $6)', [
      r.id,
      change.status,
      change.note,
      change.noteCode,
      change.incidentId,
      at,
    ]);
    const event: ReportStatusChanged = {
      reportId: r.id,
      status: change.status,
      statusNote: change.note,
      statusNoteCode: change.noteCode,
      incidentId: change.incidentId,
      falseReport: r.false_at !== null,
      at,
    };
    await uow.emit({ subject: REPORT_STATUS_CHANGED, key: r.id, jurisdiction: r.kato, permission: 'reports:read', data: event });
    if (r.partner_key_id) {
      const body = partnerWebhookBody(r, change.status, change.note, change.noteCode, change.incidentId, at);
      await uow.tx.query(
        `insert into reports_webhook_delivery (id, partner_key_id, report_id, body, next_attempt_at, created_at)
         select $1, partner_key_id, $2, $3, $4, $4 from reports_webhook where partner_key_id = $5`,
        [newId(), r.id, body, at, r.partner_key_id],
      );
    }
  }

  /** Registers (or replaces) the calling partner key's webhook. */
  async registerWebhook(partner: Extract<Principal, { kind: 'partner' }>, url: string, secret: string, ctx: CommandContext) {
    return this.kernel.commands.run(ctx, async (uow) => {
      const now = uow.now.toISOString();
      await uow.tx.query(
        `insert into reports_webhook (partner_key_id, partner_name, channel, url, secret, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $6)
         on conflict (partner_key_id) do update set url = excluded.url, secret = excluded.secret, updated_at = excluded.updated_at`,
        [partner.id, partner.name, partner.channel, url, secret, now],
      );
      await uow.audit({ action: 'report.webhook.registered', entity: 'report_webhook', entityId: partner.id, data: { url, channel: partner.channel } });
      return { url, channel: partner.channel, updatedAt: now };
    });
  }

  /**
   * The calling key's webhook deliveries, newest first: what was sent, how often, what its endpoint answered —
   * so an integration engineer sees what their side missed. `state`: pending (not yet delivered, retrying),
   * delivered, failed (given up after the last attempt).
   */
  async deliveries(partnerId: string, q: { state?: DeliveryState; limit: number; beforeSeq: number | null }): Promise<DeliveryRow[]> {
    return this.db.query<DeliveryRow>(
      `select seq, id, report_id, attempts, next_attempt_at, last_status, last_error, delivered_at, failed_at, created_at, body
       from reports_webhook_delivery
       where partner_key_id = $1 and ($2::int8 is null or seq < $2)
         and case $3::text when 'pending' then delivered_at is null and failed_at is null
                           when 'delivered' then delivered_at is not null
                           when 'failed' then failed_at is not null
                           else true end
       order by seq desc limit $4`,
      [partnerId, q.beforeSeq, q.state ?? null, q.limit],
    );
  }

  /**
   * Sends deliveries again, once the partner's endpoint is fixed: one (by its event id, delivered or failed — a
   * partner that lost what it received may ask again; it deduplicates by the same `X-Tartip-Event-Id`), or every
   * failed one of the key. Each goes back to the queue as new — first attempt now, its own report's order kept.
   * A delivery still pending is left alone (it is being retried). Audited.
   */
  async redeliver(partner: Extract<Principal, { kind: 'partner' }>, which: { id: string } | { failed: true }, ctx: CommandContext): Promise<number> {
    const n = await this.kernel.commands.run(ctx, async (uow) => {
      const rows = await uow.tx.query<{ id: string }>(
        `update reports_webhook_delivery
         set delivered_at = null, failed_at = null, attempts = 0, lease_until = null, next_attempt_at = $3
         where partner_key_id = $1 and (delivered_at is not null or failed_at is not null)
           and ${'id' in which ? 'id = $2::uuid' : '$2::uuid is null and failed_at is not null'}
         returning id`,
        [partner.id, 'id' in which ? which.id : null, uow.now.toISOString()],
      );
      if ('id' in which && rows.length === 0) {
        const [exists] = await uow.tx.query<{ id: string }>('select id from reports_webhook_delivery where partner_key_id = $1 and id = $2', [partner.id, which.id]);
        throw exists ? new Problem('reports.delivery_pending', {}, [], 409) : Problem.notFound();
      }
      if (rows.length > 0) {
        await uow.audit({
          action: 'report.webhook.redelivered',
          entity: 'report_webhook',
          entityId: partner.id,
          data: { deliveries: rows.length, ...('id' in which ? { id: which.id } : { failed: true }) },
        });
      }
      return rows.length;
    });
    if (n > 0) this.onDeliveriesQueued();
    return n;
  }

  /**
   * Follows dispatch: each `dispatch.incident.created|updated` moves the reports it lists (and those following the
   * incident) once. A batch of events is applied in order, in memory, to the reports it touches (read once, locked),
   * then written in one transaction with the inbox marks: one update for the reports, one insert each for history
   * and webhook deliveries, one audit append and one outbox insert, however many events.
   */
  async onIncidentEvents(events: BusEvent[]): Promise<void> {
    const changed = await this.kernel.commands.run({ actor: `system:${INCIDENT_GROUP}` }, async (uow) => {
      const incs: IncidentChanged[] = [];
      for (const event of await markHandled(uow.tx, INCIDENT_GROUP, events)) {
        if (event.subject !== INCIDENT_CREATED && event.subject !== INCIDENT_UPDATED) continue;
        const parsed = IncidentChanged.safeParse(event.data);
        // A malformed event would be redelivered forever; it is logged and left behind.
        if (parsed.success) incs.push(parsed.data);
        else this.kernel.log.warn({ eventId: event.id, subject: event.subject, issues: parsed.error.issues.slice(0, 5) }, 'reports: ignored a malformed incident event');
      }
      return incs.length > 0 ? this.followIncidents(uow, incs) : false;
    });
    if (changed) this.onDeliveriesQueued();
  }

  /** Incident changes applied, in order, to their reports; true when a report's status changed. */
  private async followIncidents(uow: UnitOfWork, incs: IncidentChanged[]): Promise<boolean> {
    const tx = uow.tx;
    const at = uow.now.toISOString();
    const incidentIds = [...new Set(incs.map((i) => i.incidentId))];
    const mergedAway = new Set(
      (await tx.query<{ incident_id: string }>('select incident_id from reports_incident_merge where incident_id = any($1::text[])', [incidentIds])).map((r) => r.incident_id),
    );
    const listed = [...new Set(incs.flatMap((i) => i.reportIds.filter((id) => UUID_PATTERN.test(id))))];
    const reports = await tx.query<ReportRow>(
      // Reports named by the events, and reports on their incidents (found through reports_incident_report, so no
      // index on reports_report covers the incident; migration 0003), read by primary key.
      // Each incident's links and each report are looked up on their own (`offset 0`), through their keys, whatever
      // the statistics say: on a young table, stale statistics had the planner read every link for each batch.
      `select ${REPORT_COLUMNS} from reports_report r
       where r.id = any(array(
           select unnest($1::uuid[])
           union
           select l.report_id from unnest($2::text[]) as i(id) cross join lateral (select report_id from reports_incident_report where incident_id = i.id offset 0) l))
         and (r.id = any($1::uuid[]) or r.incident_id = any($2::text[]))
       order by r.id for update`,
      [listed, incidentIds],
    );
    const touched = new Set<ReportRow>();
    const history: { reportId: string; status: ReportStatus; note: string | null; noteCode: NoteCode | null; incidentId: string | null }[] = [];
    const deliveries: { id: string; reportId: string; partnerKeyId: string; body: string }[] = [];
    for (const inc of incs) {
      if (inc.status === 'MERGED' && inc.mergedInto && inc.mergedInto !== inc.incidentId) {
        await tx.query(
          `insert into reports_incident_merge (incident_id, merged_into, at) values ($1, $2, $3)
           on conflict (incident_id) do update set merged_into = excluded.merged_into, at = excluded.at`,
          [inc.incidentId, inc.mergedInto, at],
        );
        mergedAway.add(inc.incidentId);
      }
      const merged = inc.status !== 'MERGED' && mergedAway.has(inc.incidentId);
      const named = new Set(inc.reportIds);
      for (const r of reports) {
        if (!named.has(r.id) && r.incident_id !== inc.incidentId) continue;
        const decision = decideIncidentChange(
          {
            status: r.status,
            statusNote: r.status_note,
            noteCode: r.status_note_code,
            incidentId: r.incident_id,
            incidentAt: r.incident_at ? iso(r.incident_at) : null,
            falseReport: r.false_at !== null,
          },
          inc,
          merged,
        );
        if (decision.kind === 'ignore') continue;
        touched.add(r);
        if (decision.kind === 'follow') {
          r.incident_id = decision.incidentId;
          r.incident_at = null;
          continue;
        }
        r.incident_id = decision.incidentId;
        r.incident_at = new Date(decision.incidentAt);
        if (!decision.changed) continue;
        r.status = decision.status;
        r.status_note = decision.statusNote;
        r.status_note_code = decision.noteCode;
        r.updated_at = uow.now;
        history.push({ reportId: r.id, status: r.status, note: r.status_note, noteCode: r.status_note_code, incidentId: r.incident_id });
        const event: ReportStatusChanged = {
          reportId: r.id,
          status: r.status,
          statusNote: r.status_note,
          statusNoteCode: r.status_note_code,
          incidentId: r.incident_id,
          falseReport: r.false_at !== null,
          at,
        };
        await uow.emit({ subject: REPORT_STATUS_CHANGED, key: r.id, jurisdiction: r.kato, permission: 'reports:read', data: event });
        if (r.partner_key_id) {
          const body = partnerWebhookBody(r, r.status, r.status_note, r.status_note_code, r.incident_id, at);
          deliveries.push({ id: newId(), reportId: r.id, partnerKeyId: r.partner_key_id, body });
        }
        await uow.audit({
          action: 'report.status_changed',
          entity: 'report',
          entityId: r.id,
          jurisdiction: r.kato,
          data: { status: r.status, incidentId: r.incident_id, incidentStatus: inc.status },
        });
      }
    }
    if (touched.size > 0) {
      const rows = [...touched];
      await tx.query(
        `update reports_report r set status = u.status, status_note = u.note, status_note_code = u.code, incident_id = u.incident_id,
           incident_at = u.incident_at, updated_at = u.updated_at
         from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[])
           as u(id, status, note, code, incident_id, incident_at, updated_at)
         where r.id = u.id`,
        [
          rows.map((r) => r.id),
          rows.map((r) => r.status),
          rows.map((r) => r.status_note),
          rows.map((r) => r.status_note_code),
          rows.map((r) => r.incident_id),
          rows.map((r) => (r.incident_at ? iso(r.incident_at) : null)),
          rows.map((r) => iso(r.updated_at)),
        ],
      );
    }
    if (history.length > 0) {
      await tx.query(
        `insert into reports_history (report_id, status, note, note_code, incident_id, at)
         select report_id, status, note, note_code, incident_id, $6
         from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) with ordinality as u(report_id, status, note, note_code, incident_id, n)
         order by n`,
        [history.map((h) => h.reportId), history.map((h) => h.status), history.map((h) => h.note), history.map((h) => h.noteCode), history.map((h) => h.incidentId), at],
      );
    }
    if (deliveries.length > 0) {
      // Only for partners with a webhook registered; in order, so a partner hears a report's changes as they happened.
      await tx.query(
        `insert into reports_webhook_delivery (id, partner_key_id, report_id, body, next_attempt_at, created_at)
         select u.id, w.partner_key_id, u.report_id, u.body, $5, $5
         from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[]) with ordinality as u(id, partner_key_id, report_id, body, n)
         join reports_webhook w on w.partner_key_id = u.partner_key_id
         order by u.n`,
        [deliveries.map((d) => d.id), deliveries.map((d) => d.partnerKeyId), deliveries.map((d) => d.reportId), deliveries.map((d) => d.body), at],
      );
    }
    return history.length > 0;
  }
}

