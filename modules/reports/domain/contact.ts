/** Contact details (pure). */

/** Kazakhstan mobile and landline numbers in E.164: +7 and ten digits. */
export const PHONE = /^\+7\d{10}$/;

/**
 * A phone written the way people write it (`8 701 234-56-78`, `+7 (701) 234 56 78`) in E.164, or null when it is
 * not a Kazakhstan number. Open311 clients send free text; the JSON API takes E.164 only.
 */
export function normalizePhone(raw: string): string | null {
  const digits = raw.replace(/[\s()\-.]/g, '');
  if (PHONE.test(digits)) return digits;
  if (/^8\d{10}$/.test(digits)) return `+7${digits.slice(1)}`;
  if (/^7\d{10}$/.test(digits)) return `+${digits}`;
  return null;
}
