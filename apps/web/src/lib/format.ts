import type { Lang } from '../i18n.ts';

const locales: Record<Lang, string> = { ru: 'ru-RU', kk: 'kk-KZ', en: 'en-GB' };

export function formatDateTime(iso: string, lang: Lang): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locales[lang], { dateStyle: 'short', timeStyle: 'medium' }).format(d);
}

/** Sorts names the way a reader of `lang` expects (Kazakh letters after their Russian neighbours, …). */
export function collator(lang: Lang): Intl.Collator {
  return new Intl.Collator(locales[lang]);
}
