/**
 * Names of the Criminal Code of the Republic of Kazakhstan's articles (УК РК, 03.07.2014 № 226-V) the summary
 * names, in the plural as a statistics release uses them. Article numbers from the reference notes; those marked
 * there as from memory (296, 297) are to be checked on adilet.zan.kz. A category that is not an article listed
 * here is named by itself.
 */
export const ARTICLE_NAMES: Record<string, { ru: string; kk: string; en: string }> = {
  '99': { ru: 'убийства', kk: 'кісі өлтіру', en: 'murders' },
  '106': { ru: 'тяжкие телесные повреждения', kk: 'денсаулыққа ауыр зиян келтіру', en: 'grievous bodily harm' },
  '107': { ru: 'причинения вреда здоровью средней тяжести', kk: 'денсаулыққа орташа зиян келтіру', en: 'actual bodily harm' },
  '188': { ru: 'кражи', kk: 'ұрлық', en: 'thefts' },
  '190': { ru: 'мошенничества', kk: 'алаяқтық', en: 'frauds' },
  '191': { ru: 'грабежи', kk: 'тонау', en: 'open thefts' },
  '192': { ru: 'разбои', kk: 'қарақшылық', en: 'robberies' },
  '293': { ru: 'хулиганства', kk: 'бұзақылық', en: 'hooliganism' },
  '296': { ru: 'незаконный оборот наркотиков без цели сбыта', kk: 'өткізу мақсатынсыз есірткі айналымы', en: 'drug possession' },
  '297': { ru: 'сбыт наркотиков', kk: 'есірткі өткізу', en: 'drug dealing' },
};

/** The article of a category such as `188`, `188 ч.2`, `УК 188-1`, `st. 190`: its leading article number, or null. */
export function articleOf(category: string | null): string | null {
  if (!category) return null;
  const m = /(\d{2,3}(?:-\d)?)/.exec(category);
  return m ? m[1] : null;
}

/**
 * Outcomes that count as cleared (раскрыто) for the clearance rate: matched case-insensitively. Covers the
 * platform's own words, the ministry's «раскрыто / направлено в суд», Kazakh «ашылды», and police.uk's outcome
 * texts (charged, cautioned, summonsed, penalty notice, community resolution).
 */
export const CLEARED_OUTCOME = /^(cleared|solved|раскрыт|раскрыто|ашылды|ашылған)$|направлен\w* в суд|сотқа жіберіл|charged|caution|summons|penalty notice|community resolution|offender (?:sent|given|fined|ordered|deprived|otherwise)|court/i;

/** cleared: true/false when the outcome is known, null when the record has none. */
export function isCleared(outcome: string | null): boolean | null {
  if (!outcome) return null;
  return CLEARED_OUTCOME.test(outcome.trim());
}
