import { createHmac, timingSafeEqual } from 'node:crypto';

/** Webhook signing and retry schedule (pure). */

/** `X-Tartip-Signature`: `sha256=` + hex HMAC-SHA256 of the raw body with the partner's secret. */
export function signBody(secret: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody, 'utf8').digest('hex')}`;
}

/** What a partner does on receipt (documented for them; used by the tests). Constant-time. */
export function verifySignature(secret: string, rawBody: string, header: string | undefined | null): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(secret, rawBody));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * `X-Tartip-Signature-256`: `t=<unix seconds of this attempt>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. Signing the
 * time with the body lets a partner refuse a delivery replayed later (`verifyTimestamped`); `X-Tartip-Signature` (the
 * body alone) stays for partners who verify it already.
 */
export function signTimestamped(secret: string, rawBody: string, unixS: number): string {
  return `t=${unixS},v1=${createHmac('sha256', secret).update(`${unixS}.${rawBody}`, 'utf8').digest('hex')}`;
}

/**
 * What a partner does with `X-Tartip-Signature-256`: the signature matches (constant time) and its time is within
 * `toleranceS` of the partner's clock — an old delivery sent again by someone who recorded it is refused.
 */
export function verifyTimestamped(secret: string, rawBody: string, header: string | undefined | null, nowS: number, toleranceS = 300): boolean {
  const m = header ? /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header) : null;
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(nowS - t) > toleranceS) return false;
  const expected = Buffer.from(signTimestamped(secret, rawBody, t));
  const given = Buffer.from(header as string);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Delay before attempt `attempt + 1` after `attempt` failures: base, 2×base, 4×base … capped (1 h by default). */
export function backoffMs(failedAttempts: number, baseMs: number, capMs = 3_600_000): number {
  const n = Math.max(1, failedAttempts);
  return Math.min(capMs, baseMs * 2 ** Math.min(n - 1, 30));
}

export interface StatusChangedPayload {
  event: 'report.status_changed';
  reportId: string;
  /** The citizen's tracking token, so the partner's app can open the tracking page without a lookup of its own. */
  trackingToken: string;
  status: string;
  /** The note in Russian, the platform's default language (kept for partners who read it already). */
  statusNote: string | null;
  /** The note's code when the platform wrote it (`reports.note.<code>`), and the note in each language. */
  statusNoteCode: string | null;
  statusNotes: { ru: string | null; kk: string | null; en: string | null };
  incidentId: string | null;
  /** The report this one joined as a duplicate, if it did. */
  duplicateOf: string | null;
  at: string;
}

/** The body sent to the partner, serialised once (the signed bytes are stored and re-sent as they are). */
export function webhookBody(p: Omit<StatusChangedPayload, 'event'>): string {
  const payload: StatusChangedPayload = {
    event: 'report.status_changed',
    reportId: p.reportId,
    trackingToken: p.trackingToken,
    status: p.status,
    statusNote: p.statusNote,
    statusNoteCode: p.statusNoteCode,
    statusNotes: p.statusNotes,
    incidentId: p.incidentId,
    duplicateOf: p.duplicateOf,
    at: p.at,
  };
  return JSON.stringify(payload);
}
