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

/** Delay before attempt `attempt + 1` after `attempt` failures: base, 2×base, 4×base … capped (1 h by default). */
export function backoffMs(failedAttempts: number, baseMs: number, capMs = 3_600_000): number {
  const n = Math.max(1, failedAttempts);
  return Math.min(capMs, baseMs * 2 ** Math.min(n - 1, 30));
}

export interface StatusChangedPayload {
  event: 'report.status_changed';
  reportId: string;
  status: string;
  statusNote: string | null;
  at: string;
}

/** The body sent to the partner, serialised once (the signed bytes are stored and re-sent as they are). */
export function webhookBody(p: Omit<StatusChangedPayload, 'event'>): string {
  const payload: StatusChangedPayload = { event: 'report.status_changed', reportId: p.reportId, status: p.status, statusNote: p.statusNote, at: p.at };
  return JSON.stringify(payload);
}
