import type { Lang } from '../i18n.ts';
import type { Translate } from './lang.tsx';

const locales: Record<Lang, string> = { ru: 'ru-RU', kk: 'kk-KZ', en: 'en-GB' };

export function formatDateTime(iso: string, lang: Lang): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locales[lang], { dateStyle: 'short', timeStyle: 'medium' }).format(d);
}

/** Hours and minutes of a moment, as a reader of `lang` writes them. */
export function formatTime(iso: string, lang: Lang): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locales[lang], { hour: '2-digit', minute: '2-digit' }).format(d);
}

/** Sorts names the way a reader of `lang` expects (Kazakh letters after their Russian neighbours, …). */
export function collator(lang: Lang): Intl.Collator {
  return new Intl.Collator(locales[lang]);
}

/**
 * "5 min ago" from the catalogue (`time.*`): Intl.RelativeTimeFormat has no Kazakh data in every browser's ICU,
 * where it prints "-7 s". A time a little ahead of the local clock (server clock skew) is "just now".
 */
export function formatAgo(iso: string | null | undefined, now: number, t: Translate): string {
  if (!iso) return '—';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 5) return t('time.justNow');
  if (s < 60) return t('time.secondsAgo', { n: s });
  if (s < 3600) return t('time.minutesAgo', { n: Math.round(s / 60) });
  if (s < 86_400) return t('time.hoursAgo', { n: Math.round(s / 3600) });
  return t('time.daysAgo', { n: Math.round(s / 86_400) });
}

/** A countdown or an age as `m:ss` or `h:mm:ss` (no sign). */
export function formatClock(ms: number): string {
  const total = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** "850 m", "3.4 km" in the interface language. */
export function formatDistance(meters: number, lang: Lang): string {
  if (meters < 1000) return new Intl.NumberFormat(locales[lang], { style: 'unit', unit: 'meter', maximumFractionDigits: 0 }).format(Math.round(meters / 10) * 10);
  return new Intl.NumberFormat(locales[lang], { style: 'unit', unit: 'kilometer', maximumFractionDigits: 1 }).format(meters / 1000);
}

/** An ETA of `seconds` as "4 min" (or "45 s" under a minute). */
export function formatEta(seconds: number, lang: Lang): string {
  if (seconds < 60) return new Intl.NumberFormat(locales[lang], { style: 'unit', unit: 'second', maximumFractionDigits: 0 }).format(seconds);
  return new Intl.NumberFormat(locales[lang], { style: 'unit', unit: 'minute', maximumFractionDigits: 0 }).format(Math.round(seconds / 60));
}

/** Coordinates as "43.25670, 76.92860" (lat, lon — the order people read them in). */
export function formatLatLon(lat: number, lon: number): string {
  return `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
}
