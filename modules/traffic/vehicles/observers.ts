/**
 * What the vehicles part watches on the read pipeline (`ReadObserver`, ../contract.ts): flagged vehicles passing a
 * camera, cloned plates, unregistered mopeds. Each keeps its work off the common path: a set look-up per read, the
 * clone detector in memory, and database work only for the rare read that matters, in bulk per batch.
 */
import type { Queryable } from '../../../packages/kernel/src/db/types.ts';
import { locate } from '../../../packages/kernel/src/geo/geo.ts';
import { t } from '../../../packages/kernel/src/i18n/index.ts';
import { newId } from '../../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../../packages/kernel/src/kernel.ts';
import { raiseIncident } from '../../dispatch/index.ts';
import type { NewViolation, PlateRead, ReadObserver, ViolationSink } from '../contract.ts';
import { MOPED_RULE } from './config/rules.ts';
import type { CloneFinding } from './domain/clones.ts';
import { CLONE_DETECTED, type CloneDetected, FLAGGED_SEEN, type FlaggedSeen } from './events.ts';
import { refreshScores } from './korgau.ts';
import { vehiclesRuntime } from './runtime.ts';

const SOURCE = 'traffic';

export async function katoAt(q: Queryable, lon: number, lat: number): Promise<string | null> {
  const placed = await locate(q, lon, lat);
  return placed.district?.kato ?? placed.region?.kato ?? null;
}

/** Kazakhstan's civil date (UTC+5 since 1 March 2024) of an instant, for one-per-day keys. */
export const kzDate = (iso: string) => new Date(Date.parse(iso) + 5 * 3_600_000).toISOString().slice(0, 10);

// ---- flagged vehicles ---------------------------------------------------------------------------------------------

/**
 * A wanted vehicle, or one whose score is at or above the threshold, passed a camera: an incident near the camera
 * through dispatch's `raiseIncident` (idempotent per read: `externalRef` = the read id), so the nearest patrol can
 * stop it. Every sighting is recorded; within `TARTIP_TRAFFIC_FLAGGED_COOLDOWN_S` of the plate's last incident the
 * sighting is recorded and published (`traffic.flagged.seen`, so the console follows the vehicle) without a new
 * incident.
 */
export async function handleFlaggedSighting(kernel: Kernel, read: PlateRead): Promise<FlaggedSeen | null> {
  const { flagged, settings } = vehiclesRuntime(kernel);
  const entry = flagged.get(read.plate);
  if (!entry) return null;
  const [known] = await kernel.db.query('select 1 from traffic_flagged_sighting where read_id = $1', [read.id]);
  if (known) return null;
  const reason = entry.wantedReason !== null ? 'wanted' : 'score';
  const kato = await katoAt(kernel.db, read.lon, read.lat);
  const cooldownMs = settings.flagged.cooldownS * 1000;
  const [recent] = cooldownMs
    ? await kernel.db.query<{ incident_id: string }>(
        `select incident_id from traffic_flagged_sighting where plate = $1 and incident_id is not null
           and at > $2::timestamptz - make_interval(secs => $3) and at <= $2::timestamptz + make_interval(secs => $3) limit 1`,
        [read.plate, read.at, settings.flagged.cooldownS],
      )
    : [];
  let incidentId: string | null = null;
  if (!recent) {
    const params = { plate: read.plate, reason: entry.wantedReason ?? '', score: entry.score ?? '', camera: read.cameraId, at: read.at };
    const raised = await raiseIncident(kernel, {
      source: SOURCE,
      // A wanted vehicle is a camera alert (a watch-list hit); a high score is dangerous driving.
      category: reason === 'wanted' ? 'camera-alert' : 'dangerous-driving',
      location: { lon: read.lon, lat: read.lat },
      description: t('ru', reason === 'wanted' ? 'traffic.flagged.incident_wanted' : 'traffic.flagged.incident_score', params),
      externalRef: `read:${read.id}`,
    });
    incidentId = raised.incidentId;
  }
  const data: FlaggedSeen = {
    plate: read.plate,
    readId: read.id,
    cameraId: read.cameraId,
    at: new Date(read.at).toISOString(),
    location: { lon: read.lon, lat: read.lat },
    reason,
    wantedReason: entry.wantedReason,
    score: entry.score,
    incidentId,
  };
  const stored = await kernel.commands.run({ actor: 'system:traffic.flagged' }, async (uow) => {
    const inserted = await uow.tx.query(
      `insert into traffic_flagged_sighting (read_id, plate, camera_id, at, lon, lat, kato, reason, score, incident_id, recorded_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) on conflict (read_id) do nothing returning read_id`,
      [read.id, read.plate, read.cameraId, data.at, read.lon, read.lat, kato, reason, entry.score, incidentId, uow.now.toISOString()],
    );
    if (inserted.length === 0) return false;
    await uow.emit({ subject: FLAGGED_SEEN, key: read.plate, jurisdiction: kato, permission: 'traffic:read', data });
    await uow.audit({ action: 'vehicle.flagged_seen', entity: 'vehicle', entityId: read.plate, jurisdiction: kato, data: { readId: read.id, cameraId: read.cameraId, reason, incidentId } });
    return true;
  });
  return stored ? data : null;
}

export function flaggedObserver(kernel: Kernel): ReadObserver {
  return {
    name: 'vehicles.flagged',
    async observe(reads) {
      const { flagged } = vehiclesRuntime(kernel);
      if (flagged.size === 0) return;
      for (const read of reads) {
        if (!read.plate || !flagged.get(read.plate)) continue;
        try {
          await handleFlaggedSighting(kernel, read);
        } catch (e) {
          kernel.log.error({ err: e, readId: read.id }, 'traffic: alert for a flagged vehicle failed');
        }
      }
    },
  };
}

// ---- cloned plates ------------------------------------------------------------------------------------------------

/** Stores findings (once per pair of reads), feeds them to the score and publishes them. */
export async function recordCloneFindings(kernel: Kernel, findings: CloneFinding[]): Promise<number> {
  if (findings.length === 0) return 0;
  const { settings } = vehiclesRuntime(kernel);
  const cfg = { maxSpeedKmh: settings.clone.maxSpeedKmh, minDistanceM: settings.clone.minDistanceM, clockToleranceS: settings.clone.clockToleranceS };
  const katos = await Promise.all(findings.map((f) => katoAt(kernel.db, f.second.lon, f.second.lat)));
  const stored = await kernel.commands.run({ actor: 'system:traffic.clones' }, async (uow) => {
    let n = 0;
    for (const [i, f] of findings.entries()) {
      const id = newId();
      const iso = (ms: number) => new Date(ms).toISOString();
      const inserted = await uow.tx.query(
        `insert into traffic_clone_finding (id, plate, first_read_id, first_camera_id, first_at, first_lon, first_lat,
           second_read_id, second_camera_id, second_at, second_lon, second_lat, distance_m, dt_s, implied_speed_kmh, settings, detected_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::jsonb, $17)
         on conflict (first_read_id, second_read_id) do nothing returning id`,
        [
          id,
          f.plate,
          f.first.readId,
          f.first.cameraId,
          iso(f.first.atMs),
          f.first.lon,
          f.first.lat,
          f.second.readId,
          f.second.cameraId,
          iso(f.second.atMs),
          f.second.lon,
          f.second.lat,
          f.distanceM,
          f.dtS,
          f.impliedSpeedKmh,
          JSON.stringify(cfg),
          uow.now.toISOString(),
        ],
      );
      if (inserted.length === 0) continue;
      n++;
      await uow.tx.query(
        `insert into traffic_score_event (source, ref, plate, kind, at, distance_km, implied_speed_kmh, counts, updated_at)
         values ('clone', $1, $2, 'cloned-plate', $3, $4, $5, true, $6) on conflict (source, ref) do nothing`,
        [id, f.plate, iso(f.second.atMs), f.distanceM / 1000, f.impliedSpeedKmh, uow.now.toISOString()],
      );
      const place = (s: CloneFinding['first']) => ({ readId: s.readId, cameraId: s.cameraId, at: iso(s.atMs), location: { lon: s.lon, lat: s.lat } });
      const data: CloneDetected = { findingId: id, plate: f.plate, first: place(f.first), second: place(f.second), distanceM: f.distanceM, impliedSpeedKmh: f.impliedSpeedKmh };
      await uow.emit({ subject: CLONE_DETECTED, key: f.plate, jurisdiction: katos[i], permission: 'traffic:read', data });
      await uow.audit({ action: 'clone_finding.recorded', entity: 'vehicle', entityId: f.plate, jurisdiction: katos[i], data: { findingId: id, distanceM: Math.round(f.distanceM), impliedSpeedKmh: Math.round(f.impliedSpeedKmh) } });
    }
    return n;
  });
  if (stored > 0) await refreshScores(kernel, { plates: [...new Set(findings.map((f) => f.plate))] });
  return stored;
}

/**
 * Feeds every read whose camera clock was in sync to the clone detector. A read from an unsynced camera is left
 * out: its time cannot prove an impossible speed. State is per process: the detector sees the pairs that reach it,
 * which is all of them when reads are partitioned by plate.
 */
export function cloneObserver(kernel: Kernel): ReadObserver {
  return {
    name: 'vehicles.clones',
    async observe(reads) {
      const { clones } = vehiclesRuntime(kernel);
      const findings: CloneFinding[] = [];
      for (const r of reads) {
        if (!r.clockInSync || !r.plate) continue;
        const atMs = Date.parse(r.at);
        if (Number.isNaN(atMs)) continue;
        const f = clones.observe(r.plate, { readId: r.id, cameraId: r.cameraId, lon: r.lon, lat: r.lat, atMs });
        if (f) findings.push(f);
      }
      if (findings.length > 0) await recordCloneFindings(kernel, findings);
    },
  };
}

// ---- unregistered mopeds ------------------------------------------------------------------------------------------

const MOPED_OK_CLASSES = new Set(['moped', 'motorcycle']);

/**
 * The violations a batch's moped reads make (pure apart from the register look-up `registered`). A moped read
 * counts from 5 April 2025 (00:00 in Kazakhstan) when its plate is not in the register (`not_registered`) or
 * belongs to a vehicle of another class, i.e. not to this moped (`registered_as_other_class`). One violation per
 * plate per Kazakhstan day: the offence goes on, the fine does not multiply with the cameras passed.
 *
 * What a read carries decides the rest. A read exists only because a plate was read (the pipeline refuses reads
 * whose plate does not normalise), so a moped with no plate at all never reaches this observer — finding one is
 * the video analytics' job (vehicle class without a plate), not ANPR's; an empty plate is skipped here. A read
 * without a class (`vehicleClass: null`) is not known to be a moped. A foreign plate (the camera gave another
 * country) is another state's registration. A plate of an unknown format is kept: moped plates need not look like
 * car plates, and the officer who verifies the violation sees the image.
 */
export function mopedViolations(reads: readonly PlateRead[], registered: Map<string, string>): NewViolation[] {
  const from = Date.parse(MOPED_RULE.inForceFrom);
  const out = new Map<string, NewViolation>();
  for (const r of reads) {
    if (r.vehicleClass !== 'moped' || Date.parse(r.at) < from) continue;
    if (r.country !== null && r.country !== 'KZ') continue;
    const plate = r.plate.trim();
    if (!plate) continue;
    const registeredClass = registered.get(plate);
    let reason: 'not_registered' | 'registered_as_other_class';
    if (registeredClass === undefined) reason = 'not_registered';
    else if (!MOPED_OK_CLASSES.has(registeredClass)) reason = 'registered_as_other_class';
    else continue;
    const sourceKey = `${MOPED_RULE.kind}:${plate}:${kzDate(r.at)}`;
    if (out.has(sourceKey)) continue;
    out.set(sourceKey, {
      kind: MOPED_RULE.kind,
      plate,
      at: new Date(r.at).toISOString(),
      cameraId: r.cameraId,
      readIds: [r.id],
      evidence: {
        reason,
        registeredClass: registeredClass ?? null,
        plateRaw: r.plateRaw,
        country: r.country,
        vehicleClass: r.vehicleClass,
        imageUrl: r.imageUrl,
        location: { lon: r.lon, lat: r.lat },
        clockInSync: r.clockInSync,
        article: MOPED_RULE.article,
        fineMrp: MOPED_RULE.fineMrp,
        ruleVersion: MOPED_RULE.version,
      },
      sourceKey,
    });
  }
  return [...out.values()];
}

export function mopedObserver(kernel: Kernel): ReadObserver {
  return {
    name: 'vehicles.mopeds',
    async observe(reads, sink: ViolationSink) {
      const mopeds = reads.filter((r) => r.vehicleClass === 'moped');
      if (mopeds.length === 0) return;
      const plates = [...new Set(mopeds.map((r) => r.plate.trim()).filter(Boolean))];
      const registered = new Map(
        plates.length
          ? (await kernel.db.query<{ plate: string; class: string }>('select plate, class from traffic_vehicle where plate = any($1::text[])', [plates])).map((r) => [r.plate, r.class])
          : [],
      );
      const violations = mopedViolations(mopeds, registered);
      if (violations.length > 0) await sink.record(violations);
    },
  };
}

/** The observers of the vehicles part, in the order they should run. */
export function vehicleObservers(kernel: Kernel): ReadObserver[] {
  return [flaggedObserver(kernel), cloneObserver(kernel), mopedObserver(kernel)];
}
