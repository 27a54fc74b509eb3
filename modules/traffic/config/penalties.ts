import type { Locale } from '../../../packages/kernel/src/i18n/index.ts';

/**
 * Administrative penalties for camera-recorded traffic offences: КоАП РК (Code of Administrative Offences,
 * 05.07.2014 № 235-V), versioned by the date each edition took effect, with the source of every figure.
 * Fines are in МРП (monthly calculation index); tenge come from the МРП of the year of the offence.
 * Figures and sources: ../../../../shared/reference/kazakhstan.md §3 and road-video.md §1. Entries marked
 * [verify] are as the reference gives them and should be checked against adilet.zan.kz (K1400000235).
 */

export interface ArticlePart {
  /** `<article>.<part>`, e.g. `592.3-1`. */
  id: string;
  title: Record<Locale, string>;
  /** The fine; null when the sanction is not a fine the platform can impose (arrest, licence). */
  fineMrp: number | null;
  /** The sanction reads «предупреждение или штраф»: a first offence gets a warning. */
  warningAllowed: boolean;
  /** A repeat within `withinDays` of an offence under one of `after` is this other part instead. */
  repeat?: { part: string; after: string[]; withinDays: number };
  source: string;
}

/** Speeding bands by the excess over the limit: the highest band whose bound the excess passes applies. */
export interface SpeedBand {
  part: string;
  /** Excess strictly above this (км/ч «свыше»), or at least this (`atLeast`). */
  overKmh?: number;
  atLeastKmh?: number;
}

export interface PenaltyRules {
  version: string;
  /** First day the edition applies (offence date, UTC+5 ignored: whole days in UTC). */
  effectiveFrom: string;
  source: string;
  parts: Record<string, ArticlePart>;
  speedBands: SpeedBand[];
  /** Violation kinds other than speed → article part. Kinds not listed are left to the officer. */
  kinds: Record<string, string>;
  /** Kinds judged by the speed bands. */
  speedKinds: string[];
}

const P592 = 'КоАП РК ст. 592 (informburo.kz «Насколько вырастут штрафы… в 2025»; allinsurance.kz; bekavto.com/pdd)';

const parts2014: Record<string, ArticlePart> = {
  '592.1': {
    id: '592.1',
    title: { ru: 'Превышение скорости на 10–20 км/ч', kk: 'Жылдамдықты 10–20 км/сағ асыру', en: 'Speeding by more than 10 and up to 20 km/h' },
    fineMrp: 5,
    warningAllowed: false,
    source: P592,
  },
  '592.2': {
    id: '592.2',
    title: { ru: 'Превышение скорости на 20–40 км/ч', kk: 'Жылдамдықты 20–40 км/сағ асыру', en: 'Speeding by more than 20 and up to 40 km/h' },
    fineMrp: 10,
    warningAllowed: false,
    repeat: { part: '592.4', after: ['592.2', '592.3', '592.4'], withinDays: 365 },
    source: P592,
  },
  '592.3': {
    id: '592.3',
    title: { ru: 'Превышение скорости более чем на 40 км/ч', kk: 'Жылдамдықты 40 км/сағ-тан астам асыру', en: 'Speeding by more than 40 km/h' },
    fineMrp: 20,
    warningAllowed: false,
    repeat: { part: '592.4', after: ['592.2', '592.3', '592.4'], withinDays: 365 },
    source: P592,
  },
  '592.4': {
    id: '592.4',
    title: {
      ru: 'Повторное в течение года превышение скорости по ч. 2 или 3',
      kk: 'Бір жыл ішінде 2 немесе 3-бөлік бойынша жылдамдықты қайта асыру',
      en: 'Repeated speeding under part 2 or 3 within a year',
    },
    fineMrp: 30,
    warningAllowed: false,
    source: P592,
  },
  '599.1': {
    id: '599.1',
    title: { ru: 'Проезд на запрещающий сигнал светофора', kk: 'Бағдаршамның тыйым салатын белгісіне өту', en: 'Driving through a red light' },
    fineMrp: 10,
    warningAllowed: false,
    repeat: { part: '599.2', after: ['599.1', '599.2'], withinDays: 365 },
    source: 'КоАП РК ст. 599 ч. 1 (24pdd.kz)',
  },
  '599.2': {
    id: '599.2',
    title: { ru: 'Повторный проезд на запрещающий сигнал в течение года', kk: 'Бір жыл ішінде тыйым салатын белгіге қайта өту', en: 'Repeated red-light offence within a year' },
    fineMrp: 15,
    warningAllowed: false,
    repeat: { part: '599.2', after: ['599.1', '599.2'], withinDays: 365 },
    source: 'КоАП РК ст. 599, repeat: 15 МРП and a re-test (24pdd.kz); part number [verify]',
  },
  '591.1': {
    id: '591.1',
    title: { ru: 'Пользование телефоном во время движения', kk: 'Қозғалыс кезінде телефонды пайдалану', en: 'Using a phone while driving' },
    fineMrp: 5,
    warningAllowed: false,
    repeat: { part: '591.2', after: ['591.1', '591.2'], withinDays: 365 },
    source: 'КоАП РК ст. 591 ч. 1 (allinsurance.kz; bekavto.com)',
  },
  '591.2': {
    id: '591.2',
    title: { ru: 'Повторное в течение года пользование телефоном', kk: 'Бір жыл ішінде телефонды қайта пайдалану', en: 'Repeated phone use within a year' },
    fineMrp: 10,
    warningAllowed: false,
    repeat: { part: '591.2', after: ['591.1', '591.2'], withinDays: 365 },
    source: 'КоАП РК ст. 591 ч. 2 (allinsurance.kz; bekavto.com)',
  },
  '602.1': {
    id: '602.1',
    title: {
      ru: 'Нарушение правил пользования внешними световыми приборами (ближний свет днём)',
      kk: 'Сыртқы жарық құралдарын пайдалану ережелерін бұзу (күндізгі жақын жарық)',
      en: 'Lights not used as required (dipped headlights in daytime)',
    },
    fineMrp: 3,
    warningAllowed: true,
    source: 'КоАП РК ст. 602 ч. 1: «предупреждение или штраф в размере трёх МРП» (continent-online commentary)',
  },
  '590.2': {
    id: '590.2',
    title: { ru: 'Управление незарегистрированным мопедом', kk: 'Тіркелмеген мопедті басқару', en: 'Riding an unregistered moped' },
    fineMrp: 10,
    warningAllowed: false,
    source: 'КоАП РК ст. 590 ч. 2; mopeds registered since 5 April 2025 (nurtoday.com; en.tengrinews.kz)',
  },
};

const common = {
  kinds: { 'red-light': '599.1', phone: '591.1', 'no-headlights': '602.1', 'unregistered-moped': '590.2' },
  speedKinds: ['average-speed', 'spot-speed'],
};

/** Editions, oldest first. */
export const PENALTY_RULES: PenaltyRules[] = [
  {
    version: 'koap-2014',
    effectiveFrom: '2015-01-01',
    source: 'КоАП РК от 05.07.2014 № 235-V, in force 01.01.2015',
    parts: parts2014,
    speedBands: [
      { part: '592.1', overKmh: 10 },
      { part: '592.2', overKmh: 20 },
      { part: '592.3', overKmh: 40 },
    ],
    ...common,
  },
  {
    version: 'koap-2024-12-04',
    effectiveFrom: '2024-12-04',
    source: 'КоАП РК, amendments in force 04.12.2024: new part 3-1 of art. 592 (+60 km/h and more, 40 МРП); average speed punished as art. 592',
    parts: {
      ...parts2014,
      '592.3': { ...parts2014['592.3'], title: { ru: 'Превышение скорости на 40–60 км/ч', kk: 'Жылдамдықты 40–60 км/сағ асыру', en: 'Speeding by more than 40 and less than 60 km/h' } },
      '592.3-1': {
        id: '592.3-1',
        title: { ru: 'Превышение скорости на 60 км/ч и более', kk: 'Жылдамдықты 60 км/сағ және одан көп асыру', en: 'Speeding by 60 km/h or more' },
        fineMrp: 40,
        warningAllowed: false,
        source: 'КоАП РК ст. 592 ч. 3-1, from 04.12.2024 (partstar.kz / kolesa.kz; 24.kg)',
      },
    },
    speedBands: [
      { part: '592.1', overKmh: 10 },
      { part: '592.2', overKmh: 20 },
      { part: '592.3', overKmh: 40 },
      { part: '592.3-1', atLeastKmh: 60 },
    ],
    ...common,
  },
];

/** One МРП in tenge, by year (the law on the republican budget of each year). */
export const MRP_BY_YEAR: Record<number, { tenge: number; source: string }> = {
  2022: { tenge: 3063, source: 'allinsurance.kz' },
  2023: { tenge: 3450, source: 'bizmedia.kz' },
  2024: { tenge: 3692, source: 'informburo.kz' },
  2025: { tenge: 3932, source: 'informburo.kz; lada.kz 2025-12-08' },
  2026: { tenge: 4325, source: 'Law «О республиканском бюджете на 2026–2028 годы», signed 8 Dec 2025 (lada.kz 2025-12-08; kt.kz 2025-12-09)' },
};
