import type { Penalty } from './domain/penalties.ts';

/** Rows of the read pipeline's tables and their API shapes. */

export type ViolationStatus = 'PENDING' | 'CONFIRMED' | 'REJECTED' | 'VOID';

export interface ViolationRow {
  id: string;
  source_key: string;
  kind: string;
  plate: string;
  country: string | null;
  at: Date;
  camera_id: string | null;
  section_id: string | null;
  kato: string | null;
  speed_kmh: number | null;
  limit_kmh: number | null;
  read_ids: string[];
  evidence: Record<string, unknown>;
  rule_version: string;
  penalty: Penalty;
  status: ViolationStatus;
  recorded_by: string;
  recorded_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  decision_note: string | null;
  void_reason: string | null;
  notice_number: string | null;
  payment_due_at: Date | null;
  paid_at: Date | null;
  payment_ref: string | null;
}

export interface ReadRow {
  id: string;
  camera_id: string;
  plate: string;
  plate_raw: string;
  country: string | null;
  vehicle_class: string | null;
  at: Date;
  received_at: Date;
  speed_kmh: number | null;
  lane: number | null;
  confidence: number | null;
  clock_in_sync: boolean;
  cert_valid: boolean;
  image_url: string | null;
  source: string;
  source_ref: string | null;
}

const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());

export function presentViolation(v: ViolationRow, withEvidence = false) {
  return {
    id: v.id,
    kind: v.kind,
    plate: v.plate,
    country: v.country,
    at: iso(v.at) as string,
    cameraId: v.camera_id,
    sectionId: v.section_id,
    kato: v.kato,
    speedKmh: v.speed_kmh,
    limitKmh: v.limit_kmh,
    status: v.status,
    /** Provisional while PENDING (the prior offences may still change), final once decided. */
    penalty: {
      type: v.penalty.type,
      part: v.penalty.part,
      fineMrp: v.penalty.fineMrp,
      mrpYear: v.penalty.mrpYear,
      mrpTenge: v.penalty.mrpTenge,
      fineTenge: v.penalty.fineTenge,
      repeatOf: v.penalty.repeatOf,
      rulesVersion: v.penalty.rulesVersion,
      final: v.status === 'CONFIRMED',
    },
    ruleVersion: v.rule_version,
    readIds: v.read_ids,
    recordedAt: iso(v.recorded_at) as string,
    decidedBy: v.decided_by,
    decidedAt: iso(v.decided_at),
    decisionNote: v.decision_note,
    voidReason: v.void_reason,
    noticeNumber: v.notice_number,
    /** Fines only: when it is due, and when it was paid. */
    payment: v.payment_due_at ? { dueAt: iso(v.payment_due_at) as string, paidAt: iso(v.paid_at), reference: v.payment_ref } : null,
    ...(withEvidence ? { evidence: v.evidence } : {}),
  };
}

export type ViolationOut = ReturnType<typeof presentViolation>;

export function presentRead(r: ReadRow) {
  return {
    id: r.id,
    cameraId: r.camera_id,
    plate: r.plate,
    plateRaw: r.plate_raw,
    country: r.country,
    vehicleClass: r.vehicle_class,
    at: new Date(r.at).toISOString(),
    receivedAt: new Date(r.received_at).toISOString(),
    speedKmh: r.speed_kmh,
    lane: r.lane,
    confidence: r.confidence,
    clockInSync: r.clock_in_sync,
    certValid: r.cert_valid,
    imageUrl: r.image_url,
    source: r.source,
    sourceRef: r.source_ref,
  };
}
