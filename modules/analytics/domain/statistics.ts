import { ARTICLE_NAMES, articleOf } from '../config/categories.ts';

/**
 * Crime statistics as the ministry reports them: counts for a period against the same period a year earlier
 * (change in numbers and percent), clearance rate, rate per 10,000 people — and the summary sentence of a
 * statistics release, in ru, kk and en, generated from those figures. Pure: the service runs the SQL.
 */
export type Locale = 'ru' | 'kk' | 'en';

export interface Tally {
  /** Registered in the period. */
  count: number;
  /** Registered in the same period a year earlier. */
  previous: number;
  /** Of those in the period with an outcome recorded, how many were cleared. */
  cleared: number;
  withOutcome: number;
}

export interface StatLine extends Tally {
  change: number;
  /** Percent change on a year earlier; null when there was nothing a year earlier. */
  changePercent: number | null;
  /** cleared ÷ records with an outcome; null when none has one. */
  clearanceRate: number | null;
  /** Per 10,000 residents over the period; null when the population is not known. */
  ratePer10k: number | null;
}

/** One decimal, halves away from zero (−6.25 → −6.3), as the release rounds. */
const round1 = (v: number) => (Math.sign(v) * Math.round(Math.abs(v) * 10)) / 10;

export function statLine(t: Tally, population: number | null): StatLine {
  return {
    ...t,
    change: t.count - t.previous,
    changePercent: t.previous > 0 ? round1(((t.count - t.previous) / t.previous) * 100) : null,
    clearanceRate: t.withOutcome > 0 ? Math.round((t.cleared / t.withOutcome) * 1000) / 1000 : null,
    ratePer10k: population && population > 0 ? Math.round((t.count / population) * 10_000 * 100) / 100 : null,
  };
}

/** The same instant a year earlier (29 February rolls over to 1 March, as Date.UTC does). */
export function yearEarlier(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear() - 1, d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
}

export function categoryName(category: string, locale: Locale): string {
  const article = articleOf(category);
  return (article && ARTICLE_NAMES[article]?.[locale]) || category;
}

function formatNumber(v: number, locale: Locale, digits = 0): string {
  // ru-RU groups thousands with a no-break space, so a figure never breaks across lines.
  return Math.abs(v).toLocaleString(locale === 'en' ? 'en-GB' : 'ru-RU', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function formatDate(ms: number, locale: Locale): string {
  const iso = new Date(ms).toISOString().slice(0, 10);
  if (locale === 'en') return iso;
  const [y, m, d] = iso.split('-');
  return `${d}.${m}.${y}`;
}

const WORDS = {
  en: {
    head: (n: string, from: string, to: string) => `${n} crimes were registered from ${from} to ${to}`,
    fewer: (pct: string, n: string) => `: ${pct}% fewer than a year earlier (${n} fewer).`,
    more: (pct: string, n: string) => `: ${pct}% more than a year earlier (${n} more).`,
    same: () => ', as many as a year earlier.',
    none: () => '; there are no records for a year earlier to compare with.',
    fell: 'Fell',
    rose: 'Rose',
  },
  ru: {
    head: (n: string, from: string, to: string) => `С ${from} по ${to} зарегистрировано преступлений: ${n}`,
    fewer: (pct: string, n: string) => ` — на ${pct}% меньше, чем годом ранее (на ${n} меньше).`,
    more: (pct: string, n: string) => ` — на ${pct}% больше, чем годом ранее (на ${n} больше).`,
    same: () => ' — столько же, сколько годом ранее.',
    none: () => '; данных за тот же период прошлого года нет.',
    fell: 'Снизились',
    rose: 'Выросли',
  },
  kk: {
    head: (n: string, from: string, to: string) => `${from} – ${to} аралығында ${n} қылмыс тіркелді`,
    fewer: (pct: string, n: string) => ` — бір жыл бұрынғыдан ${pct}%-ға аз (${n} кем).`,
    more: (pct: string, n: string) => ` — бір жыл бұрынғыдан ${pct}%-ға көп (${n} артық).`,
    same: () => ' — бір жыл бұрынғыдай.',
    none: () => '; өткен жылдың осы кезеңі бойынша деректер жоқ.',
    fell: 'Азайғандар',
    rose: 'Көбейгендер',
  },
} as const;

/**
 * The release's summary: "N crimes were registered from … to …: X% fewer than a year earlier (M fewer). Fell:
 * murders (−3), thefts (−40). Rose: frauds (+12)." Up to `top` categories each way, the largest changes first.
 * `to` is exclusive; the sentence names the last day.
 */
export function summarise(
  total: Tally,
  byCategory: readonly ({ category: string } & Tally)[],
  period: { from: number; to: number },
  locale: Locale,
  top = 5,
): string {
  const w = WORDS[locale];
  const lastDay = period.to - 86_400_000;
  let text = w.head(formatNumber(total.count, locale), formatDate(period.from, locale), formatDate(lastDay, locale));
  const change = total.count - total.previous;
  if (total.previous === 0) text += w.none();
  else if (change === 0) text += w.same();
  else {
    const pct = formatNumber((Math.abs(change) / total.previous) * 100, locale, 1);
    text += change < 0 ? w.fewer(pct, formatNumber(-change, locale)) : w.more(pct, formatNumber(change, locale));
  }
  const moved = byCategory.map((c) => ({ name: categoryName(c.category, locale), change: c.count - c.previous }));
  const list = (items: typeof moved) =>
    items
      .slice(0, top)
      .map((c) => `${c.name} (${c.change < 0 ? '−' : '+'}${formatNumber(Math.abs(c.change), locale)})`)
      .join(', ');
  const fell = moved.filter((c) => c.change < 0).sort((a, b) => a.change - b.change);
  const rose = moved.filter((c) => c.change > 0).sort((a, b) => b.change - a.change);
  if (total.previous > 0 && fell.length) text += ` ${w.fell}: ${list(fell)}.`;
  if (total.previous > 0 && rose.length) text += ` ${w.rose}: ${list(rose)}.`;
  return text;
}

/** RFC 4180 CSV of rows (a header from the first row's keys); fields with a comma, quote or newline are quoted. */
export function toCsv(rows: readonly Record<string, string | number | boolean | null>[]): string {
  if (rows.length === 0) return '';
  const keys = Object.keys(rows[0]);
  const cell = (v: string | number | boolean | null) => {
    const s = v === null ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return `${[keys.join(','), ...rows.map((r) => keys.map((k) => cell(r[k])).join(','))].join('\r\n')}\r\n`;
}
