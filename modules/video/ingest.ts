import { covers } from '../../packages/kernel/src/auth/jurisdiction.ts';
import { type FieldError, Problem } from '../../packages/kernel/src/errors.ts';
import { newId } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import type { UnitOfWork } from '../../packages/kernel/src/outbox.ts';
import { PLATE_READ } from '../traffic/events.ts';
import { type CameraRow, markHeard } from './cameras.ts';
import type { VideoEvent } from './domain/formats.ts';
import { flowKey, VEHICLE_LABELS } from './domain/flow.ts';
import { normalise } from './domain/vectors.ts';
import { ALERT_RAISED, type AlertRaised } from './events.ts';
import { decideAlert } from './alerts.ts';
import { runtime } from './runtime.ts';

/**
 * The event intake, whatever the transport (HTTP JSON / NDJSON, MQTT): a batch is judged whole — every event's camera
 * registered (and, for a partner key, in its jurisdiction), times not in the future, embeddings of the configured
 * dimension — and any fault refuses the batch with a field error per fault (`body.<line>.<field>`), storing nothing.
 * A good batch is stored in one transaction:
 *
 * - events, idempotent by (source, source id): a resent event is a duplicate; a Frigate object or review is one row
 *   whose state follows new → update* → end;
 * - the cameras heard (heartbeat);
 * - alerts, one per condition: a face matching a live watchlist entry at or above the threshold, an abandoned object
 *   (ONVIF ObjectAbandoned, or a Frigate object with a zone rule's label stationary past the rule's dwell), a Frigate
 *   review of severity `alert`;
 * - plate reads forwarded to the traffic module (`traffic.plate.read`) under the camera's traffic code;
 * - vehicles counted into the 5-minute flow series;
 * - a face event that matched nothing is kept only until TARTIP_VIDEO_UNMATCHED_RETENTION_H after it happened, and its
 *   embedding is never stored.
 */

export interface SourcedEvent {
  event: VideoEvent;
  /** Where it came from, for error paths: `body.3`, `item.0`. */
  path: string;
}

export interface IngestResult {
  received: number;
  stored: number;
  updated: number;
  duplicates: number;
  alerts: number;
  platesForwarded: number;
}

interface ZoneRule {
  zone: string;
  labels: string[];
  dwell_s: number;
  auto_incident: boolean;
}

interface NewAlert {
  kind: AlertRaised['kind'];
  event: VideoEvent;
  camera: CameraRow;
  condition: string;
  score: number | null;
  entryId: string | null;
  details: Record<string, unknown>;
  autoIncident: boolean;
}

const CHUNK = 1000;
/** A camera's last-seen time is moved at most this often by events (the silence check works in heartbeats of ≥ 10 s). */
const HEARD_EVERY_MS = 5000;
const FIVE_MIN = 300_000;

export async function ingestEvents(kernel: Kernel, items: SourcedEvent[], who: { actor: string; jurisdictions: string[] | null; requestId?: string }): Promise<IngestResult> {
  const rt = runtime(kernel);
  const { settings } = rt;
  const result: IngestResult = { received: items.length, stored: 0, updated: 0, duplicates: 0, alerts: 0, platesForwarded: 0 };
  if (items.length === 0) return result;

  // ---- judge the batch whole ------------------------------------------------------------------------------------
  const codes = [...new Set(items.map((i) => i.event.camera))];
  const cameras = new Map((await kernel.db.query<CameraRow>('select * from video_camera where code = any($1::text[])', [codes])).map((c) => [c.code, c]));
  const nowMs = kernel.clock.now().getTime();
  const errors: FieldError[] = [];
  const vectors = new Map<SourcedEvent, Float32Array>();
  for (const item of items) {
    const e = item.event;
    const c = cameras.get(e.camera);
    if (!c) errors.push({ path: `${item.path}.camera`, code: 'unknown_camera' });
    else if (who.jurisdictions && !covers(who.jurisdictions, c.kato)) errors.push({ path: `${item.path}.camera`, code: 'not_own_camera' });
    if (Date.parse(e.at) > nowMs + settings.maxFutureSkewMs) errors.push({ path: `${item.path}.at`, code: 'in_future' });
    if (e.embedding) {
      if (e.embedding.length !== settings.embeddingDim) errors.push({ path: `${item.path}.embedding`, code: 'wrong_dimension', params: { expected: String(settings.embeddingDim) } });
      else {
        const v = normalise(e.embedding);
        if (!v) errors.push({ path: `${item.path}.embedding`, code: 'zero_vector' });
        else vectors.set(item, v);
      }
    }
    if (errors.length >= 100) break;
  }
  if (errors.length > 0) throw Problem.validation(errors);

  // ---- face matches (in memory, before the transaction) --------------------------------------------------------
  const matches = new Map<SourcedEvent, { entryId: string; watchlistId: string; score: number }>();
  if (vectors.size > 0) {
    await rt.matcher.ensure(kernel);
    for (const [item, v] of vectors) {
      const m = rt.matcher.match(v, nowMs);
      if (m) matches.set(item, m);
    }
  }

  // ---- zone rules for abandoned objects ---------------------------------------------------------------------------
  const zoneOf = (item: SourcedEvent) => item.event.zone ?? (cameras.get(item.event.camera) as CameraRow).zone;
  const zones = [...new Set(items.map(zoneOf).filter((z): z is string => !!z))];
  const rules = new Map(
    zones.length === 0 ? [] : (await kernel.db.query<ZoneRule>('select zone, labels, dwell_s, auto_incident from video_zone_rule where zone = any($1::text[])', [zones])).map((r) => [r.zone, r]),
  );

  // One row per (source, source id): the first of plain events, the last state of upserted ones.
  const plain = new Map<string, SourcedEvent>();
  const upserts = new Map<string, SourcedEvent>();
  for (const item of items) {
    const k = `${item.event.source}\u0000${item.event.sourceId}`;
    if (item.event.upsert) upserts.set(k, item);
    else if (!plain.has(k)) plain.set(k, item);
  }
  result.duplicates += items.length - plain.size - upserts.size;

  const autoConfirm: string[] = [];
  await kernel.commands.run({ actor: who.actor, requestId: who.requestId }, async (uow) => {
    const now = uow.now.toISOString();
    const stored = new Map<SourcedEvent, { id: string; inserted: boolean }>();
    const rowsOf = (list: SourcedEvent[]) =>
      list.map((item) => {
        const e = item.event;
        const c = cameras.get(e.camera) as CameraRow;
        const face = e.kind === 'face';
        const purge = face && !matches.has(item) ? new Date(Date.parse(e.at) + settings.unmatchedRetentionMs).toISOString() : null;
        return [newId(), c.id, e.source, e.sourceId, e.kind, e.label, e.at, e.zone, e.score, e.snapshot, JSON.stringify(e.data), c.kato, now, purge];
      });
    const insert = async (list: SourcedEvent[], upsert: boolean) => {
      for (let i = 0; i < list.length; i += CHUNK) {
        const part = list.slice(i, i + CHUNK);
        const rows = rowsOf(part);
        const params = rows.flat();
        const values = rows.map((_, r) => `(${Array.from({ length: 14 }, (_, j) => `$${r * 14 + j + 1}${j === 10 ? '::jsonb' : ''}`).join(', ')})`).join(', ');
        const tail = upsert
          ? `on conflict (source, source_id) do update set label = excluded.label, zone = excluded.zone, score = excluded.score, snapshot = excluded.snapshot,
               data = excluded.data, received_at = excluded.received_at returning id, source, source_id, (xmax = 0) as inserted`
          : 'on conflict (source, source_id) do nothing returning id, source, source_id, true as inserted';
        const back = await uow.tx.query<{ id: string; source: string; source_id: string; inserted: boolean }>(
          `insert into video_event (id, camera_id, source, source_id, kind, label, at, zone, score, snapshot, data, kato, received_at, purge_after) values ${values} ${tail}`,
          params,
        );
        const byKey = new Map(back.map((b) => [`${b.source}\u0000${b.source_id}`, b]));
        for (const item of part) {
          const b = byKey.get(`${item.event.source}\u0000${item.event.sourceId}`);
          if (b) stored.set(item, { id: b.id, inserted: b.inserted });
        }
      }
    };
    await insert([...plain.values()], false);
    await insert([...upserts.values()], true);
    for (const s of stored.values()) {
      if (s.inserted) result.stored++;
      else result.updated++;
    }
    result.duplicates += plain.size - [...plain.values()].filter((i) => stored.has(i)).length;


    // ---- alerts ----------------------------------------------------------------------------------------------
    const alerts: NewAlert[] = [];
    for (const [item, s] of stored) {
      const e = item.event;
      const camera = cameras.get(e.camera) as CameraRow;
      const match = matches.get(item);
      if (match && s.inserted) {
        alerts.push({ kind: 'face_match', event: e, camera, condition: `face:${s.id}`, score: match.score, entryId: match.entryId, details: { watchlistId: match.watchlistId }, autoIncident: false });
      }
      const rule = rules.get(zoneOf(item) ?? '');
      if (e.kind === 'abandoned') {
        alerts.push({ kind: 'abandoned_object', event: e, camera, condition: `abandoned:${s.id}`, score: e.score, entryId: null, details: { zone: zoneOf(item), rule: e.source }, autoIncident: rule?.auto_incident ?? false });
      } else if (rule && e.stationaryS !== null && e.label && rule.labels.includes(e.label) && e.stationaryS >= rule.dwell_s) {
        alerts.push({
          kind: 'abandoned_object',
          event: e,
          camera,
          condition: `abandoned:${s.id}`,
          score: e.score,
          entryId: null,
          details: { zone: rule.zone, label: e.label, stationaryS: Math.round(e.stationaryS), dwellS: rule.dwell_s },
          autoIncident: rule.auto_incident,
        });
      }
      if (e.kind === 'review' && e.severity === 'alert') {
        alerts.push({ kind: 'review', event: e, camera, condition: `review:${s.id}`, score: e.score, entryId: null, details: { label: e.label, zone: e.zone }, autoIncident: false });
      }
    }
    const eventIdOf = new Map([...stored].map(([item, s]) => [item.event, s.id]));
    for (const a of alerts) {
      const id = await raiseAlert(uow, a, eventIdOf.get(a.event) ?? null);
      if (id) {
        result.alerts++;
        if (a.autoIncident) autoConfirm.push(id);
      }
    }

    // ---- plates → traffic -------------------------------------------------------------------------------------
    for (const [item, s] of stored) {
      const e = item.event;
      const c = cameras.get(e.camera) as CameraRow;
      if (!s.inserted || !e.plateRead || !c.traffic_code) continue;
      await uow.emit({ subject: PLATE_READ, key: c.traffic_code, permission: 'traffic:read', jurisdiction: c.kato, data: { ...e.plateRead, camera: c.traffic_code } });
      result.platesForwarded++;
    }

    // ---- traffic flow -----------------------------------------------------------------------------------------
    const flows = new Map<string, { cameraId: string; lane: number; bucket: string; vehicles: number; speedSum: number; speedN: number }>();
    for (const [item, s] of stored) {
      const e = item.event;
      if (!s.inserted) continue;
      const vehicles = e.count ?? (e.kind === 'object' && e.label && VEHICLE_LABELS.has(e.label) ? 1 : e.kind === 'plate' ? 1 : 0);
      if (vehicles === 0 && e.speedKmh === null) continue;
      const c = cameras.get(e.camera) as CameraRow;
      const bucket = new Date(Math.floor(Date.parse(e.at) / FIVE_MIN) * FIVE_MIN).toISOString();
      const k = flowKey(c.id, e.lane ?? 0, bucket);
      const f = flows.get(k) ?? { cameraId: c.id, lane: e.lane ?? 0, bucket, vehicles: 0, speedSum: 0, speedN: 0 };
      f.vehicles += vehicles;
      if (e.speedKmh !== null) {
        f.speedSum += e.speedKmh;
        f.speedN++;
      }
      flows.set(k, f);
    }
    if (flows.size > 0) {
      // In key order: concurrent batches upserting the same buckets then lock them in the same order (no deadlock).
      const list = [...flows.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, f]) => f);
      await uow.tx.query(
        `insert into video_flow (camera_id, lane, bucket, vehicles, speed_sum, speed_n)
         select * from unnest($1::uuid[], $2::int2[], $3::timestamptz[], $4::int4[], $5::float8[], $6::int4[])
         on conflict (camera_id, lane, bucket) do update set vehicles = video_flow.vehicles + excluded.vehicles,
           speed_sum = video_flow.speed_sum + excluded.speed_sum, speed_n = video_flow.speed_n + excluded.speed_n`,
        [list.map((f) => f.cameraId), list.map((f) => f.lane), list.map((f) => f.bucket), list.map((f) => f.vehicles), list.map((f) => f.speedSum), list.map((f) => f.speedN)],
      );
    }
    // Heard: only cameras not online or not marked within HEARD_EVERY_MS, so busy cameras are not a hot row.
    const heard = [...cameras.values()].filter((c) => c.status !== 'online' || !c.last_seen_at || uow.now.getTime() - new Date(c.last_seen_at).getTime() > HEARD_EVERY_MS);
    await markHeard(uow, heard.map((c) => c.id));
    if (result.stored + result.updated > 0) {
      await uow.audit({ action: 'events.ingested', entity: 'video_event', data: { stored: result.stored, updated: result.updated, alerts: result.alerts, platesForwarded: result.platesForwarded } });
    }
  });
  rt.counters.events += result.stored + result.updated;
  rt.counters.duplicates += result.duplicates;
  rt.counters.alerts += result.alerts;
  rt.counters.platesForwarded += result.platesForwarded;
  for (const id of autoConfirm) await decideAlert(kernel, { actor: 'system:video-zone-rule' }, null, id, 'confirm', 'zone rule: incident at once');
  return result;
}

/** Stores an alert unless one exists for its condition; emits `video.alert.raised`. Returns the new alert's id. */
async function raiseAlert(uow: UnitOfWork, a: NewAlert, eventId: string | null): Promise<string | null> {
  const id = newId();
  const now = uow.now.toISOString();
  const [row] = await uow.tx.query<{ id: string }>(
    `insert into video_alert (id, kind, camera_id, event_id, entry_id, score, snapshot, details, kato, condition, status, raised_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11) on conflict (condition) do nothing returning id`,
    [id, a.kind, a.camera.id, eventId, a.entryId, a.score, a.event.snapshot, JSON.stringify(a.details), a.camera.kato, a.condition, now],
  );
  if (!row) return null;
  const data: AlertRaised = {
    alertId: id,
    kind: a.kind,
    cameraId: a.camera.id,
    cameraCode: a.camera.code,
    location: { lon: a.camera.lon, lat: a.camera.lat },
    kato: a.camera.kato,
    score: a.score,
    snapshot: a.event.snapshot,
    eventId,
    raisedAt: now,
  };
  await uow.emit({ subject: ALERT_RAISED, key: a.camera.id, permission: 'video:read', jurisdiction: a.camera.kato, data });
  await uow.audit({ action: 'alert.raised', entity: 'video_alert', entityId: id, jurisdiction: a.camera.kato, data: { kind: a.kind, camera: a.camera.code, eventId, entryId: a.entryId, score: a.score } });
  return id;
}

/** Deletes face events that matched nothing once their retention is over; returns how many. */
export async function purgeUnmatched(kernel: Kernel): Promise<number> {
  const rows = await kernel.db.query<{ n: number }>(
    `with gone as (delete from video_event where purge_after is not null and purge_after <= $1 returning 1) select count(*)::int8 as n from gone`,
    [kernel.clock.now().toISOString()],
  );
  return rows[0].n;
}
