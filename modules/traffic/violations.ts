import { covers } from '../../packages/kernel/src/auth/jurisdiction.ts';
import { Problem } from '../../packages/kernel/src/errors.ts';
import { newId } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import type { CommandContext, UnitOfWork } from '../../packages/kernel/src/outbox.ts';
import type { Tx } from '../../packages/kernel/src/db/types.ts';
import type { NewViolation, ViolationSink } from './contract.ts';
import { certifiedAt, syncVerdict, type SyncVerdict } from './domain/clock-sync.ts';
import { decidePenalty, type Penalty, type PriorOffence } from './domain/penalties.ts';
import { normalisePlate } from './domain/plates.ts';
import { VIOLATION_CONFIRMED, VIOLATION_PAID, VIOLATION_RECORDED, VIOLATION_REJECTED, VIOLATION_VOIDED, type ViolationChanged } from './events.ts';
import { runtime } from './runtime.ts';
import type { ViolationRow, ViolationStatus } from './store.ts';

/**
 * The one violation path. Section control, cameras posting spot-speed or red-light violations, and the
 * vehicles part's observers all file through `recordViolations` (as a ViolationSink): it checks every read's
 * clock against the camera's sync history as known now, computes the provisional penalty, and stores each
 * violation once per source key, PENDING, with an audit record and an event. Officers confirm or reject
 * (`decide`); confirming checks the clocks again and fixes the penalty; only a confirmed violation has a notice.
 */

/** Kinds that rest on a measurement: the camera's certificate must be valid at the time of every read. */
export const MEASURING_KINDS = new Set(['average-speed', 'spot-speed', 'red-light']);
const KIND = /^[a-z][a-z0-9-]{1,40}$/;
const DAY_MS = 86_400_000;

export interface ReadCheck {
  readId: string;
  cameraId: string;
  at: string;
  clock: SyncVerdict;
  certified: boolean;
}

/** Judges stored reads by the cameras' current sync history and certificates. */
async function checkReads(kernel: Kernel, q: Tx | Kernel['db'], readIds: string[]): Promise<Map<string, ReadCheck>> {
  const rt = runtime(kernel);
  const rows = readIds.length === 0 ? [] : await q.query<{ id: string; camera_id: string; at: Date }>('select id, camera_id, at from traffic_read where id = any($1::uuid[])', [readIds]);
  const out = new Map<string, ReadCheck>();
  for (const r of rows) {
    const atMs = new Date(r.at).getTime();
    const c = rt.cameras.get(r.camera_id);
    out.set(r.id, {
      readId: r.id,
      cameraId: r.camera_id,
      at: new Date(atMs).toISOString(),
      clock: c ? syncVerdict(c.sync, atMs, rt.syncPolicy) : 'unknown',
      certified: c ? certifiedAt(c.certificate, atMs) : false,
    });
  }
  return out;
}

type Refusal = 'no_reads' | 'unknown_read' | 'clock_not_in_sync' | 'not_certified';

function refusalOf(kind: string, readIds: string[], checks: Map<string, ReadCheck>): Refusal | null {
  if (readIds.length === 0) return 'no_reads';
  for (const id of readIds) {
    const c = checks.get(id);
    if (!c) return 'unknown_read';
    if (c.clock !== 'in_sync') return 'clock_not_in_sync';
    if (MEASURING_KINDS.has(kind) && !c.certified) return 'not_certified';
  }
  return null;
}

async function priorsOf(q: Tx | Kernel['db'], plates: string[], fromMs: number, toMs: number, exceptId?: string): Promise<Map<string, PriorOffence[]>> {
  const rows = await q.query<{ plate: string; part: string; at: Date }>(
    `select plate, penalty->>'part' as part, at from traffic_violation
     where plate = any($1::text[]) and status = 'CONFIRMED' and penalty->>'part' is not null and at >= $2 and at < $3 and id <> $4`,
    [plates, new Date(fromMs - 365 * DAY_MS).toISOString(), new Date(toMs).toISOString(), exceptId ?? '00000000-0000-0000-0000-000000000000'],
  );
  const out = new Map<string, PriorOffence[]>();
  for (const r of rows) {
    const list = out.get(r.plate) ?? [];
    list.push({ part: r.part, atMs: new Date(r.at).getTime() });
    out.set(r.plate, list);
  }
  return out;
}

const penaltyLabel = (p: Penalty) => (p.type === 'fine' ? `fine ${p.fineMrp} MRP` : p.type);

export function changedEvent(v: ViolationRow, at: Date): ViolationChanged {
  return {
    violationId: v.id,
    kind: v.kind,
    plate: v.plate,
    status: v.status,
    at: new Date(v.at).toISOString(),
    cameraId: v.camera_id,
    sectionId: v.section_id,
    kato: v.kato,
    speedKmh: v.speed_kmh,
    limitKmh: v.limit_kmh,
    part: v.penalty.part,
    penalty: penaltyLabel(v.penalty),
    noticeNumber: v.notice_number,
    paymentDueAt: v.payment_due_at ? new Date(v.payment_due_at).toISOString() : null,
    paidAt: v.paid_at ? new Date(v.paid_at).toISOString() : null,
    changedAt: at.toISOString(),
  };
}

async function emitChange(uow: UnitOfWork, v: ViolationRow, subject: string): Promise<void> {
  await uow.emit({ subject, key: v.id, jurisdiction: v.kato, permission: 'traffic:read', data: changedEvent(v, uow.now) });
}

export interface RecordResult {
  recorded: ViolationRow[];
  /** Already filed under the same source key. */
  duplicates: number;
  refused: { sourceKey: string; reason: Refusal }[];
}

/** Files violations (see the file's comment). Idempotent per `sourceKey`. */
export async function recordViolations(kernel: Kernel, ctx: CommandContext, list: NewViolation[]): Promise<RecordResult> {
  const rt = runtime(kernel);
  await rt.load(kernel);
  if (list.length === 0) return { recorded: [], duplicates: 0, refused: [] };
  const prepared = list.map((v) => {
    if (!KIND.test(v.kind)) throw new Error(`violation kind ${JSON.stringify(v.kind)} is not a-z0-9- (2–41 characters)`);
    const atMs = Date.parse(v.at);
    if (!Number.isFinite(atMs)) throw new Error(`violation time ${JSON.stringify(v.at)} is not ISO-8601`);
    const plate = normalisePlate(v.plate);
    if (!plate.ok) throw new Error(`violation plate ${JSON.stringify(v.plate)} is not a plate (${plate.reason})`);
    if (!v.sourceKey || v.sourceKey.length > 400) throw new Error('violation sourceKey must be 1–400 characters');
    return { v, atMs, plate: plate.value };
  });
  const checks = await checkReads(kernel, kernel.db, [...new Set(list.flatMap((v) => v.readIds))]);
  const refused: RecordResult['refused'] = [];
  const accepted = prepared.filter(({ v }) => {
    const reason = refusalOf(v.kind, v.readIds, checks);
    if (reason) refused.push({ sourceKey: v.sourceKey, reason });
    return reason === null;
  });
  if (refused.length > 0) {
    rt.intake.violationsRefusedClock += refused.filter((r) => r.reason === 'clock_not_in_sync').length;
    kernel.log.warn({ refused }, 'traffic: violations refused');
  }
  if (accepted.length === 0) return { recorded: [], duplicates: 0, refused };
  const result = await kernel.commands.run(ctx, async (uow) => {
    const atMin = Math.min(...accepted.map((p) => p.atMs));
    const atMax = Math.max(...accepted.map((p) => p.atMs));
    const priors = await priorsOf(uow.tx, [...new Set(accepted.map((p) => p.plate.plate))], atMin, atMax);
    const recorded: ViolationRow[] = [];
    let duplicates = 0;
    for (const { v, atMs, plate } of accepted) {
      const camera = v.cameraId ? rt.cameras.get(v.cameraId) : undefined;
      const firstRead = checks.get(v.readIds[0]);
      const kato = camera?.kato ?? (firstRead ? (rt.cameras.get(firstRead.cameraId)?.kato ?? null) : null);
      const excess = v.speedKmh != null && v.limitKmh != null ? v.speedKmh - v.limitKmh : null;
      const penalty = decidePenalty({ kind: v.kind, atMs, excessKmh: excess }, priors.get(plate.plate) ?? []);
      const evidence = {
        ...v.evidence,
        clockCheck: { checkedAt: uow.now.toISOString(), reads: v.readIds.map((id) => checks.get(id)) },
      };
      const sectionId = typeof v.evidence.section === 'object' && v.evidence.section !== null ? ((v.evidence.section as { id?: unknown }).id ?? null) : null;
      const ruleVersion = typeof v.evidence.ruleVersion === 'string' ? v.evidence.ruleVersion : `${v.kind}; penalties ${penalty.rulesVersion}`;
      const [row] = await uow.tx.query<ViolationRow>(
        `insert into traffic_violation (id, source_key, kind, plate, country, at, camera_id, section_id, kato, speed_kmh, limit_kmh, read_ids,
           evidence, rule_version, penalty, status, recorded_by, recorded_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::uuid[], $13::jsonb, $14, $15::jsonb, 'PENDING', $16, $17)
         on conflict (source_key) do nothing returning *`,
        [
          newId(),
          v.sourceKey,
          v.kind,
          plate.plate,
          plate.country,
          new Date(atMs).toISOString(),
          v.cameraId,
          typeof sectionId === 'string' ? sectionId : null,
          kato,
          v.speedKmh ?? null,
          v.limitKmh ?? null,
          v.readIds,
          JSON.stringify(evidence),
          ruleVersion,
          JSON.stringify(penalty),
          ctx.actor,
          uow.now.toISOString(),
        ],
      );
      if (!row) {
        duplicates++;
        continue;
      }
      recorded.push(row);
      await uow.audit({ action: 'violation.recorded', entity: 'traffic_violation', entityId: row.id, jurisdiction: kato, data: { kind: row.kind, plate: row.plate, sourceKey: row.source_key } });
      await emitChange(uow, row, VIOLATION_RECORDED);
    }
    return { recorded, duplicates };
  });
  rt.intake.violationsRecorded += result.recorded.length;
  return { ...result, refused };
}

/** A ViolationSink for the read pipeline's observers, acting as `actor`. */
export function violationSink(kernel: Kernel, actor = 'system:traffic'): ViolationSink {
  return {
    record: async (violations) => {
      await recordViolations(kernel, { actor }, violations);
    },
  };
}

// ---- verification ------------------------------------------------------------------------------------------

export type Decision = 'confirm' | 'reject';

export async function getViolation(kernel: Kernel, id: string, jurisdictions: string[]): Promise<ViolationRow> {
  const [v] = await kernel.db.query<ViolationRow>('select * from traffic_violation where id = $1', [id]);
  if (!v) throw Problem.notFound();
  if (!covers(jurisdictions, v.kato)) throw new Problem('outside_jurisdiction');
  return v;
}

async function nextNoticeNumber(tx: Tx, at: Date): Promise<string> {
  const [{ n }] = await tx.query<{ n: number }>("select nextval('traffic_notice_seq')::int8 as n");
  return `TRF-${at.getUTCFullYear()}-${String(n).padStart(7, '0')}`;
}

/**
 * An officer's decision on one PENDING violation. Confirming checks the reads' clocks once more (a camera may
 * have reported since that its clock was off): a violation that fails is VOID and the officer gets 409
 * `traffic.clock_not_in_sync`. The penalty is then decided against the vehicle's confirmed offences.
 */
export async function decide(kernel: Kernel, ctx: CommandContext, jurisdictions: string[], id: string, decision: Decision, note: string | null): Promise<ViolationRow> {
  const rt = runtime(kernel);
  await rt.load(kernel);
  const outcome = await kernel.commands.run(ctx, async (uow) => {
    const [v] = await uow.tx.query<ViolationRow>('select * from traffic_violation where id = $1 for update', [id]);
    if (!v) throw Problem.notFound();
    if (!covers(jurisdictions, v.kato)) throw new Problem('outside_jurisdiction');
    if (v.status !== 'PENDING') throw new Problem('traffic.already_decided', { status: v.status, by: v.decided_by ?? 'system' }, [], 409);
    const now = uow.now.toISOString();
    if (decision === 'reject') {
      const [row] = await uow.tx.query<ViolationRow>(
        `update traffic_violation set status = 'REJECTED', decided_by = $2, decided_at = $3, decision_note = $4 where id = $1 returning *`,
        [id, ctx.actor, now, note],
      );
      await uow.audit({ action: 'violation.rejected', entity: 'traffic_violation', entityId: id, jurisdiction: v.kato, data: { note } });
      await emitChange(uow, row, VIOLATION_REJECTED);
      return { row, voided: false };
    }
    const checks = await checkReads(kernel, uow.tx, v.read_ids);
    const refusal = refusalOf(v.kind, v.read_ids, checks);
    if (refusal) {
      const [row] = await uow.tx.query<ViolationRow>(
        `update traffic_violation set status = 'VOID', void_reason = $2, decided_by = $3, decided_at = $4 where id = $1 returning *`,
        [id, refusal, 'system:clock-check', now],
      );
      await uow.audit({ action: 'violation.voided', entity: 'traffic_violation', entityId: id, jurisdiction: v.kato, data: { reason: refusal, checks: [...checks.values()] } });
      await emitChange(uow, row, VIOLATION_VOIDED);
      return { row, voided: true };
    }
    const atMs = new Date(v.at).getTime();
    const priors = (await priorsOf(uow.tx, [v.plate], atMs, atMs, v.id)).get(v.plate) ?? [];
    const excess = v.speed_kmh !== null && v.limit_kmh !== null ? v.speed_kmh - v.limit_kmh : null;
    const penalty = decidePenalty({ kind: v.kind, atMs, excessKmh: excess }, priors);
    const number = await nextNoticeNumber(uow.tx, uow.now);
    const due = penalty.type === 'fine' ? new Date(uow.now.getTime() + rt.settings.paymentTermDays * 86_400_000).toISOString() : null;
    const [row] = await uow.tx.query<ViolationRow>(
      `update traffic_violation set status = 'CONFIRMED', decided_by = $2, decided_at = $3, decision_note = $4, penalty = $5::jsonb, notice_number = $6,
         payment_due_at = $7
       where id = $1 returning *`,
      [id, ctx.actor, now, note, JSON.stringify(penalty), number, due],
    );
    await uow.audit({ action: 'violation.confirmed', entity: 'traffic_violation', entityId: id, jurisdiction: v.kato, data: { penalty: penaltyLabel(penalty), part: penalty.part, noticeNumber: number } });
    await emitChange(uow, row, VIOLATION_CONFIRMED);
    return { row, voided: false };
  });
  if (outcome.voided) throw new Problem('traffic.clock_not_in_sync', { reason: outcome.row.void_reason ?? '' }, [], 409);
  return outcome.row;
}

/**
 * Records the payment of a confirmed fine (reported by the treasury or a bank through an officer or a partner
 * system). Paying twice is a 409; a violation without a fine cannot be paid.
 */
export async function recordPayment(
  kernel: Kernel,
  ctx: CommandContext,
  jurisdictions: string[],
  id: string,
  payment: { paidAt: string | null; reference: string },
): Promise<ViolationRow> {
  return kernel.commands.run(ctx, async (uow) => {
    const [v] = await uow.tx.query<ViolationRow>('select * from traffic_violation where id = $1 for update', [id]);
    if (!v) throw Problem.notFound();
    if (!covers(jurisdictions, v.kato)) throw new Problem('outside_jurisdiction');
    if (v.status !== 'CONFIRMED' || v.payment_due_at === null) throw new Problem('traffic.no_fine_to_pay', { status: v.status }, [], 409);
    if (v.paid_at !== null) throw new Problem('traffic.already_paid', { paidAt: new Date(v.paid_at).toISOString() }, [], 409);
    const paidAt = payment.paidAt ?? uow.now.toISOString();
    if (new Date(paidAt).getTime() > uow.now.getTime()) throw Problem.validation([{ path: 'body.paidAt', code: 'in_future' }]);
    const [row] = await uow.tx.query<ViolationRow>('update traffic_violation set paid_at = $2, payment_ref = $3 where id = $1 returning *', [id, paidAt, payment.reference]);
    await uow.audit({ action: 'violation.paid', entity: 'traffic_violation', entityId: id, jurisdiction: v.kato, data: { paidAt, reference: payment.reference } });
    await emitChange(uow, row, VIOLATION_PAID);
    return row;
  });
}

export interface BulkItem {
  id: string;
  ok: boolean;
  status: ViolationStatus | null;
  code: string | null;
}

/** Decides many; each in its own transaction, so one refusal does not hold back the others. */
export async function decideMany(kernel: Kernel, ctx: CommandContext, jurisdictions: string[], ids: string[], decision: Decision, note: string | null): Promise<BulkItem[]> {
  const out: BulkItem[] = [];
  for (const id of [...new Set(ids)]) {
    try {
      const row = await decide(kernel, ctx, jurisdictions, id, decision, note);
      out.push({ id, ok: true, status: row.status, code: null });
    } catch (e) {
      if (!(e instanceof Problem)) throw e;
      const [row] = await kernel.db.query<{ status: ViolationStatus }>('select status from traffic_violation where id = $1', [id]);
      out.push({ id, ok: false, status: e.code === 'outside_jurisdiction' ? null : (row?.status ?? null), code: e.code });
    }
  }
  return out;
}

/**
 * After a camera reported (perhaps late) that its clock was not in sync from `since`: every PENDING violation
 * resting on a read of that camera from then on is checked again, and VOID when a read fails.
 */
export async function revalidatePending(kernel: Kernel, ctx: CommandContext, cameraId: string, since: string): Promise<number> {
  const candidates = await kernel.db.query<ViolationRow>(
    `select v.* from traffic_violation v
     where v.status = 'PENDING' and exists (select 1 from traffic_read r where r.id = any(v.read_ids) and r.camera_id = $1 and r.at >= $2)`,
    [cameraId, since],
  );
  let voided = 0;
  for (const v of candidates) {
    const checks = await checkReads(kernel, kernel.db, v.read_ids);
    const refusal = refusalOf(v.kind, v.read_ids, checks);
    if (!refusal) continue;
    const done = await kernel.commands.run(ctx, async (uow) => {
      const [row] = await uow.tx.query<ViolationRow>(
        `update traffic_violation set status = 'VOID', void_reason = $2, decided_by = 'system:clock-check', decided_at = $3 where id = $1 and status = 'PENDING' returning *`,
        [v.id, refusal, uow.now.toISOString()],
      );
      if (!row) return false;
      await uow.audit({ action: 'violation.voided', entity: 'traffic_violation', entityId: v.id, jurisdiction: v.kato, data: { reason: refusal, cameraId, since } });
      await emitChange(uow, row, VIOLATION_VOIDED);
      return true;
    });
    if (done) voided++;
  }
  return voided;
}
