/**
 * «Қорғау»: the dangerous-driver score of every plate and every person (ИИН/БИН), its inputs and its list.
 *
 * Inputs (`traffic_score_event`): violations as the violation path reports them (`recordViolationFacts`, fed by its
 * events) and cloned-plate findings; plus what the register says now (wanted, insurance) and unpaid fines. The
 * score itself is `domain/score.ts`. Scores are stored (`traffic_score`) for the list and recomputed when an input
 * changes and every `TARTIP_TRAFFIC_SCORE_REFRESH_S` (decay). A plate crossing the threshold either way is
 * audited, published as `traffic.korgau.changed` and put into (or taken out of) the flagged set.
 *
 * A person's score covers the violations of the vehicles they own now (unless the violation names another driver)
 * and those naming them as the driver; ownership history is not kept, so a car's past follows its current owner.
 */
import type { BusEvent } from '../../../packages/kernel/src/bus/types.ts';
import type { Queryable, Tx } from '../../../packages/kernel/src/db/types.ts';
import { type Locale, t } from '../../../packages/kernel/src/i18n/index.ts';
import type { Kernel } from '../../../packages/kernel/src/kernel.ts';
import { newId } from '../../../packages/kernel/src/ids.ts';
import { handleOnce } from '../../../packages/kernel/src/outbox.ts';
import { normalisePlate } from '../domain/plates.ts';
import { ViolationChanged } from '../events.ts';
import { SCORE_RULES } from './config/rules.ts';
import { computeScore, type Score, type ScoreEvent, type ScoreItem, type VehicleState } from './domain/score.ts';
import { SCORE_CHANGED, type ScoreChanged, ViolationFact } from './events.ts';
import { vehiclesRuntime } from './runtime.ts';

const ACTOR = 'system:traffic.korgau';
/** Namespace of the per-subject advisory locks taken while a score is recomputed. */
const SCORE_LOCK = 7_461_402;
const CHUNK = 1000;
const DAY_MS = 86_400_000;

interface EventRow {
  source: string;
  ref: string;
  plate: string;
  kind: string;
  at: Date;
  speed_kmh: number | null;
  limit_kmh: number | null;
  distance_km: number | null;
  implied_speed_kmh: number | null;
  subject: string;
}

interface VehicleRow {
  plate: string;
  owner_iin: string;
  wanted: boolean;
  wanted_reason: string | null;
  insurance_valid_until: string | null;
}

const VEHICLE_STATE = `plate, owner_iin, wanted, wanted_reason, insurance_valid_until::text as insurance_valid_until`;

const toEvent = (r: EventRow): ScoreEvent => ({
  kind: r.source === 'clone' ? 'cloned-plate' : r.kind,
  at: new Date(r.at).toISOString(),
  ref: `${r.source}:${r.ref}`,
  plate: r.plate,
  speedKmh: r.speed_kmh,
  limitKmh: r.limit_kmh,
  distanceKm: r.distance_km,
  impliedSpeedKmh: r.implied_speed_kmh,
});
const toState = (v: VehicleRow): VehicleState => ({ plate: v.plate, wanted: v.wanted, wantedReason: v.wanted_reason, insuranceValidUntil: v.insurance_valid_until });

function groupBy<T>(rows: T[], key: (r: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

/** Computes the scores of `plates` now, from the stored inputs. */
export async function computePlateScores(kernel: Kernel, q: Queryable, plates: string[]): Promise<Map<string, Score>> {
  const { settings } = vehiclesRuntime(kernel);
  const now = kernel.clock.now();
  const since = new Date(now.getTime() - settings.score.horizonDays * DAY_MS).toISOString();
  const vehicles = groupBy(await q.query<VehicleRow>(`select ${VEHICLE_STATE} from traffic_vehicle where plate = any($1::text[])`, [plates]), (v) => v.plate);
  const events = groupBy(
    await q.query<EventRow>(
      `select *, plate as subject from traffic_score_event where plate = any($1::text[]) and counts and at >= $2`,
      [plates, since],
    ),
    (e) => e.plate,
  );
  const unpaid = new Map(
    (await q.query<{ plate: string; n: number }>(
      `select plate, count(*)::int8 as n from traffic_score_event where plate = any($1::text[]) and counts and unpaid group by plate`,
      [plates],
    )).map((r) => [r.plate, r.n]),
  );
  const out = new Map<string, Score>();
  for (const plate of plates) {
    const input = { events: (events.get(plate) ?? []).map(toEvent), vehicles: (vehicles.get(plate) ?? []).map(toState), unpaidFines: unpaid.get(plate) ?? 0 };
    out.set(plate, computeScore(input, now, SCORE_RULES, settings.score));
  }
  return out;
}

/** Computes the scores of people (ИИН/БИН) now: their vehicles' violations (unless another driver is named) and their own. */
export async function computePersonScores(kernel: Kernel, q: Queryable, persons: string[]): Promise<Map<string, Score>> {
  const { settings } = vehiclesRuntime(kernel);
  const now = kernel.clock.now();
  const since = new Date(now.getTime() - settings.score.horizonDays * DAY_MS).toISOString();
  const vehicles = groupBy(await q.query<VehicleRow>(`select ${VEHICLE_STATE} from traffic_vehicle where owner_iin = any($1::text[])`, [persons]), (v) => v.owner_iin);
  const events = groupBy(
    await q.query<EventRow & { unpaid: boolean }>(
      `select e.*, v.owner_iin as subject from traffic_score_event e join traffic_vehicle v on v.plate = e.plate
        where v.owner_iin = any($1::text[]) and e.driver_iin is null and e.counts and (e.at >= $2 or e.unpaid)
       union all
       select e.*, e.driver_iin as subject from traffic_score_event e where e.driver_iin = any($1::text[]) and e.counts and (e.at >= $2 or e.unpaid)`,
      [persons, since],
    ),
    (e) => e.subject,
  );
  const out = new Map<string, Score>();
  for (const iin of persons) {
    const mine = events.get(iin) ?? [];
    const input = {
      events: mine.filter((e) => new Date(e.at).toISOString() >= since).map(toEvent),
      vehicles: (vehicles.get(iin) ?? []).map(toState),
      unpaidFines: mine.filter((e) => e.unpaid).length,
    };
    out.set(iin, computeScore(input, now, SCORE_RULES, settings.score));
  }
  return out;
}

/**
 * Recomputes and stores the scores of `plates` and `persons` (and of the owners of those plates). A plate whose
 * flag flips is audited, published and updated in the flagged set. Returns the plates whose flag flipped.
 */
export async function refreshScores(kernel: Kernel, target: { plates?: string[]; persons?: string[] }): Promise<string[]> {
  const rt = vehiclesRuntime(kernel);
  const threshold = rt.settings.score.threshold;
  const plates = [...new Set(target.plates ?? [])];
  const owners = plates.length
    ? (await kernel.db.query<{ owner_iin: string }>('select distinct owner_iin from traffic_vehicle where plate = any($1::text[])', [plates])).map((r) => r.owner_iin)
    : [];
  const persons = [...new Set([...(target.persons ?? []), ...owners])];
  const flipped: string[] = [];
  const flaggedNow = new Map<string, number | null>();
  for (let i = 0; i < Math.max(plates.length, persons.length); i += CHUNK) {
    const p = plates.slice(i, i + CHUNK);
    const o = persons.slice(i, i + CHUNK);
    await kernel.commands.run({ actor: ACTOR }, async (uow) => {
      // One refresh of a subject at a time (another process, or another input arriving): a refresh that computed
      // from older inputs must not overwrite a newer one. Locks in a fixed order, so two refreshes cannot deadlock.
      await uow.tx.query(
        `select pg_advisory_xact_lock(${SCORE_LOCK}, h) from (select distinct hashtext(k) as h from unnest($1::text[]) as k order by 1) as keys`,
        [[...p.map((x) => `plate:${x}`), ...o.map((x) => `person:${x}`)]],
      );
      const plateScores = p.length ? await computePlateScores(kernel, uow.tx, p) : new Map<string, Score>();
      const personScores = o.length ? await computePersonScores(kernel, uow.tx, o) : new Map<string, Score>();
      const before = new Map(
        (await uow.tx.query<{ subject: string; flagged: boolean }>(
          `select subject, flagged from traffic_score where subject_kind = 'plate' and subject = any($1::text[])`,
          [p],
        )).map((r) => [r.subject, r.flagged]),
      );
      await storeScores(uow.tx, 'plate', plateScores, threshold);
      await storeScores(uow.tx, 'person', personScores, threshold);
      for (const [plate, s] of plateScores) {
        const flagged = s.score >= threshold;
        flaggedNow.set(plate, flagged ? s.score : null);
        if (flagged === (before.get(plate) ?? false)) continue;
        flipped.push(plate);
        const data: ScoreChanged = { plate, score: s.score, flagged, threshold, at: uow.now.toISOString() };
        await uow.emit({ subject: SCORE_CHANGED, key: plate, permission: 'traffic:read', data });
        await uow.audit({ action: flagged ? 'korgau.flagged' : 'korgau.unflagged', entity: 'vehicle', entityId: plate, data: { score: s.score, threshold, rulesVersion: s.rulesVersion } });
      }
    });
  }
  for (const [plate, score] of flaggedNow) rt.flagged.setScore(plate, score);
  return flipped;
}

async function storeScores(tx: Tx, kind: 'plate' | 'person', scores: Map<string, Score>, threshold: number): Promise<void> {
  const keep = [...scores].filter(([, s]) => s.score > 0);
  const zero = [...scores].filter(([, s]) => s.score <= 0).map(([k]) => k);
  if (zero.length) await tx.query('delete from traffic_score where subject_kind = $1 and subject = any($2::text[])', [kind, zero]);
  if (keep.length === 0) return;
  await tx.query(
    `insert into traffic_score (subject_kind, subject, score, flagged, items, rules_version, computed_at)
     select $1, s.subject, s.score, s.score >= $6, s.items::jsonb, $4, $5
       from unnest($2::text[], $3::float8[], $7::text[]) as s(subject, score, items)
     on conflict (subject_kind, subject) do update set score = excluded.score, flagged = excluded.flagged, items = excluded.items,
       rules_version = excluded.rules_version, computed_at = excluded.computed_at`,
    [
      kind,
      keep.map(([k]) => k),
      keep.map(([, s]) => s.score),
      SCORE_RULES.version,
      keep[0][1].computedAt,
      threshold,
      keep.map(([, s]) => JSON.stringify(s.items)),
    ],
  );
}

const HOLDER = newId();

/**
 * Takes the lease `name` for `seconds` (or renews it when this process holds it); false when another process holds
 * a lease that has not run out. Leases live in the database, so they work on PostgreSQL with a pool and on PGlite.
 */
export async function takeLease(kernel: Kernel, name: string, seconds: number): Promise<boolean> {
  const now = kernel.clock.now();
  const rows = await kernel.db.query(
    `insert into traffic_job_lease (name, holder, until) values ($1, $2, $3)
     on conflict (name) do update set holder = excluded.holder, until = excluded.until
       where traffic_job_lease.until < $4 or traffic_job_lease.holder = excluded.holder
     returning name`,
    [name, HOLDER, new Date(now.getTime() + seconds * 1000).toISOString(), now.toISOString()],
  );
  return rows.length > 0;
}

/** Recomputes every stored score and every plate with inputs in the horizon (decay). One process at a time. */
export async function refreshAllScores(kernel: Kernel): Promise<number> {
  const { settings } = vehiclesRuntime(kernel);
  // Held for most of the interval: the holder runs the job each time; another process takes over when it stops.
  if (!(await takeLease(kernel, 'korgau.refresh', Math.max(60, settings.score.refreshS * 2)))) return 0;
  const since = new Date(kernel.clock.now().getTime() - settings.score.horizonDays * DAY_MS).toISOString();
  // Fines whose due date has passed unpaid count from now on.
  await kernel.db.query('update traffic_score_event set unpaid = true where not unpaid and counts and unpaid_after <= $1', [kernel.clock.now().toISOString()]);
  const plates = (
    await kernel.db.query<{ plate: string }>(
      `select subject as plate from traffic_score where subject_kind = 'plate'
       union select plate from traffic_score_event where at >= $1 or unpaid
       union select plate from traffic_vehicle where wanted`,
      [since],
    )
  ).map((r) => r.plate);
  const persons = (
    await kernel.db.query<{ iin: string }>(
      `select subject as iin from traffic_score where subject_kind = 'person'
       union select driver_iin from traffic_score_event where driver_iin is not null and (at >= $1 or unpaid)`,
      [since],
    )
  ).map((r) => r.iin);
  await refreshScores(kernel, { plates, persons });
  return plates.length + persons.length;
}

// ---- inputs -----------------------------------------------------------------------------------------------------

/**
 * Stores violations as score inputs (insert or update by violation id) and refreshes the scores they touch. The
 * interface the violation path calls (directly, or through its events — see `violationSubscriber`). Facts that do
 * not parse are returned, not stored.
 */
export async function recordViolationFacts(kernel: Kernel, facts: ViolationFact[], tx?: Queryable): Promise<{ stored: number; refused: number; plates: string[]; persons: string[] }> {
  const rows: {
    ref: string;
    plate: string;
    driverIin: string | null;
    kind: string;
    at: string;
    speed: number | null;
    limit: number | null;
    counts: boolean;
    unpaid: boolean;
    unpaidAfter: string | null;
  }[] = [];
  const nowMs = kernel.clock.now().getTime();
  let refused = 0;
  for (const f of facts) {
    const parsed = ViolationFact.safeParse(f);
    const plate = parsed.success ? normalisePlate(parsed.data.plate) : null;
    if (!parsed.success || !plate?.ok) {
      refused++;
      continue;
    }
    const v = parsed.data;
    rows.push({
      ref: v.violationId,
      plate: plate.value.plate,
      driverIin: v.driverIin ?? null,
      kind: v.kind,
      at: new Date(v.at).toISOString(),
      speed: v.speedKmh ?? null,
      limit: v.limitKmh ?? null,
      counts: v.status === 'confirmed',
      unpaid: v.status === 'confirmed' && (v.unpaid || (v.unpaidAfter != null && new Date(v.unpaidAfter).getTime() <= nowMs)),
      unpaidAfter: v.status === 'confirmed' ? (v.unpaidAfter ?? null) : null,
    });
  }
  const q = tx ?? kernel.db;
  if (rows.length > 0) {
    await q.query(
      `insert into traffic_score_event (source, ref, plate, driver_iin, kind, at, speed_kmh, limit_kmh, counts, unpaid, unpaid_after, updated_at)
       select 'violation', r.ref, r.plate, r.driver_iin, r.kind, r.at, r.speed, r.lim, r.counts, r.unpaid, r.unpaid_after, $10
         from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::float8[], $7::float8[], $8::bool[], $9::bool[], $11::timestamptz[])
           as r(ref, plate, driver_iin, kind, at, speed, lim, counts, unpaid, unpaid_after)
       on conflict (source, ref) do update set plate = excluded.plate, driver_iin = excluded.driver_iin, kind = excluded.kind, at = excluded.at,
         speed_kmh = excluded.speed_kmh, limit_kmh = excluded.limit_kmh, counts = excluded.counts, unpaid = excluded.unpaid,
         unpaid_after = excluded.unpaid_after, updated_at = excluded.updated_at`,
      [
        rows.map((r) => r.ref),
        rows.map((r) => r.plate),
        rows.map((r) => r.driverIin),
        rows.map((r) => r.kind),
        rows.map((r) => r.at),
        rows.map((r) => r.speed),
        rows.map((r) => r.limit),
        rows.map((r) => r.counts),
        rows.map((r) => r.unpaid),
        kernel.clock.now().toISOString(),
        rows.map((r) => r.unpaidAfter),
      ],
    );
  }
  const plates = [...new Set(rows.map((r) => r.plate))];
  const persons = [...new Set(rows.flatMap((r) => (r.driverIin ? [r.driverIin] : [])))];
  // Inside a caller's transaction the refresh waits for its commit (the caller runs it); otherwise it runs now.
  if (!tx && rows.length > 0) await refreshScores(kernel, { plates, persons });
  return { stored: rows.length, refused, plates, persons };
}

/**
 * Maps a `traffic.violation.*` event (`ViolationChanged`, ../events.ts) to a fact: CONFIRMED counts; PENDING waits
 * for an officer; REJECTED and VOID never count. A confirmed fine carries its due date until it is paid
 * (`traffic.violation.paid` clears it); past that date unpaid, it counts among unpaid fines.
 */
export function factsFromViolationEvent(data: unknown): ViolationFact[] {
  const parsed = ViolationChanged.safeParse(data);
  if (!parsed.success) return [];
  const v = parsed.data;
  const status = v.status === 'CONFIRMED' ? 'confirmed' : v.status === 'PENDING' ? 'pending' : 'rejected';
  const unpaidAfter = v.status === 'CONFIRMED' && v.paymentDueAt && !v.paidAt ? v.paymentDueAt : null;
  return [{ violationId: v.violationId, plate: v.plate, kind: v.kind, at: v.at, speedKmh: v.speedKmh, limitKmh: v.limitKmh, status, unpaid: false, unpaidAfter, driverIin: null }];
}

/** Durable consumer of the violation path's events (`traffic.violation.>`), exactly once per event. */
export const VIOLATION_GROUP = 'traffic.korgau-violations';

export async function handleViolationEvent(event: BusEvent, kernel: Kernel): Promise<void> {
  const facts = factsFromViolationEvent(event.data);
  if (facts.length === 0) {
    kernel.log.warn({ eventId: event.id, subject: event.subject }, 'traffic: violation event not understood; ignored by «Қорғау»');
    return;
  }
  let touched: { plates: string[]; persons: string[] } = { plates: [], persons: [] };
  await handleOnce(kernel.db, VIOLATION_GROUP, event, async (tx) => {
    touched = await recordViolationFacts(kernel, facts, tx);
  });
  if (touched.plates.length > 0 || touched.persons.length > 0) await refreshScores(kernel, touched);
}

// ---- presentation -------------------------------------------------------------------------------------------------

export interface PresentedItem extends ScoreItem {
  /** The explanation in the caller's language. */
  text: string;
}

export function presentItems(items: ScoreItem[], locale: Locale): PresentedItem[] {
  return items.map((i) => ({ ...i, text: t(locale, `traffic.korgau.${i.code}`, { ...i.params, plate: i.plate ?? '', points: i.points, weight: i.weight }) }));
}
