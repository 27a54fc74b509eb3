/**
 * Versioned configuration: what citizens can report (the Open311 services), reviewed like code.
 *
 * - Codes are shared with `dispatch` (`modules/dispatch/config/catalogue.ts`): a report arrives there with the same
 *   category and, by default, the same priority; dispatch may re-triage.
 * - Priorities P1 (most urgent) … P4 are the programme's triage defaults for citizen reports.
 * - `attributes` are Open311 service-definition attributes: structured questions the channel may ask. None is
 *   required, so a one-click report never fails for want of them.
 * - `sensitive` categories are left out of the keyless Open311 request lists (a domestic-violence report must not
 *   even be listed publicly).
 *
 * A change bumps CATEGORIES_VERSION; each report records the version it was filed under.
 */
export const CATEGORIES_VERSION = '2026-11-24.1';

export const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export type Priority = (typeof PRIORITIES)[number];

export interface LocalText {
  ru: string;
  kk: string;
  en: string;
}

/** Open311 attribute datatypes we use (GeoReport v2 also has datetime, text and multivaluelist). */
export type AttributeDatatype = 'string' | 'number' | 'text' | 'singlevaluelist';

export interface CategoryAttribute {
  code: string;
  datatype: AttributeDatatype;
  required: boolean;
  order: number;
  description: LocalText;
  values?: { key: string; name: LocalText }[];
}

export interface Group {
  code: string;
  name: LocalText;
}

export interface Category {
  code: string;
  priority: Priority;
  group: string;
  name: LocalText;
  description: LocalText;
  /** Search words in the three languages (Open311 `keywords`, comma-separated there). */
  keywords: string[];
  attributes: CategoryAttribute[];
  sensitive?: boolean;
}

export const GROUPS: readonly Group[] = [
  { code: 'crime', name: { ru: 'Преступления', kk: 'Қылмыстар', en: 'Crime' } },
  { code: 'public-order', name: { ru: 'Общественный порядок', kk: 'Қоғамдық тәртіп', en: 'Public order' } },
  { code: 'safety', name: { ru: 'Угроза жизни и безопасности', kk: 'Өмір мен қауіпсіздікке қатер', en: 'Threats to life and safety' } },
  { code: 'road', name: { ru: 'Дороги и транспорт', kk: 'Жолдар және көлік', en: 'Roads and traffic' } },
  { code: 'other', name: { ru: 'Другое', kk: 'Басқа', en: 'Other' } },
];

const YES_NO: { key: string; name: LocalText }[] = [
  { key: 'yes', name: { ru: 'Да', kk: 'Иә', en: 'Yes' } },
  { key: 'no', name: { ru: 'Нет', kk: 'Жоқ', en: 'No' } },
];

const YES_NO_UNKNOWN: { key: string; name: LocalText }[] = [...YES_NO, { key: 'unknown', name: { ru: 'Не знаю', kk: 'Білмеймін', en: 'Don’t know' } }];

const plate = (order: number): CategoryAttribute => ({
  code: 'plate',
  datatype: 'string',
  required: false,
  order,
  description: { ru: 'Госномер автомобиля, если виден', kk: 'Көліктің мемлекеттік нөмірі, егер көрінсе', en: 'The vehicle’s licence plate, if visible' },
});

export const CATEGORIES: readonly Category[] = [
  {
    code: 'theft',
    priority: 'P2',
    group: 'crime',
    name: { ru: 'Кража', kk: 'Ұрлық', en: 'Theft' },
    description: {
      ru: 'Тайное хищение чужого имущества: кошелька, телефона, велосипеда, автомобиля.',
      kk: 'Бөтен мүлікті жасырын ұрлау: әмиян, телефон, велосипед, көлік.',
      en: 'Someone’s property taken in secret: a wallet, a phone, a bicycle, a car.',
    },
    keywords: ['кража', 'украли', 'вор', 'ұрлық', 'ұрлады', 'ұры', 'theft', 'stolen'],
    attributes: [
      {
        code: 'stolen_items',
        datatype: 'string',
        required: false,
        order: 1,
        description: { ru: 'Что похищено', kk: 'Не ұрланды', en: 'What was stolen' },
      },
    ],
  },
  {
    code: 'robbery',
    priority: 'P1',
    group: 'crime',
    name: { ru: 'Грабёж, разбой', kk: 'Тонау, қарақшылық', en: 'Robbery' },
    description: {
      ru: 'Открытое хищение имущества, в том числе с насилием или угрозой его применения.',
      kk: 'Мүлікті ашық түрде тартып алу, соның ішінде күш қолданып немесе қорқытып.',
      en: 'Property taken openly, including with violence or the threat of it.',
    },
    keywords: ['грабёж', 'разбой', 'отобрали', 'тонау', 'қарақшылық', 'robbery', 'mugging'],
    attributes: [
      {
        code: 'weapon',
        datatype: 'singlevaluelist',
        required: false,
        order: 1,
        description: { ru: 'Было ли у нападавших оружие', kk: 'Шабуылдаушыларда қару болды ма', en: 'Did the attackers have a weapon' },
        values: [
          { key: 'none', name: { ru: 'Нет', kk: 'Жоқ', en: 'No' } },
          { key: 'blade', name: { ru: 'Нож или холодное оружие', kk: 'Пышақ немесе суық қару', en: 'A knife or blade' } },
          { key: 'firearm', name: { ru: 'Огнестрельное оружие', kk: 'Атыс қаруы', en: 'A firearm' } },
          { key: 'unknown', name: { ru: 'Не знаю', kk: 'Білмеймін', en: 'Don’t know' } },
        ],
      },
    ],
  },
  {
    code: 'assault',
    priority: 'P1',
    group: 'crime',
    name: { ru: 'Нападение, драка', kk: 'Шабуыл, төбелес', en: 'Assault or fight' },
    description: {
      ru: 'Избиение, драка, причинение телесных повреждений.',
      kk: 'Ұрып-соғу, төбелес, дене жарақатын келтіру.',
      en: 'A beating, a fight, someone being hurt.',
    },
    keywords: ['драка', 'избили', 'нападение', 'төбелес', 'ұрып-соқты', 'шабуыл', 'assault', 'fight'],
    attributes: [
      {
        code: 'injured',
        datatype: 'singlevaluelist',
        required: false,
        order: 1,
        description: { ru: 'Есть пострадавшие', kk: 'Зардап шеккендер бар ма', en: 'Is anyone injured' },
        values: YES_NO_UNKNOWN,
      },
    ],
  },
  {
    code: 'domestic-violence',
    priority: 'P1',
    group: 'crime',
    sensitive: true,
    name: { ru: 'Бытовое насилие', kk: 'Тұрмыстық зорлық-зомбылық', en: 'Domestic violence' },
    description: {
      ru: 'Насилие или угрозы в семье: побои, угрозы, преследование.',
      kk: 'Отбасындағы зорлық-зомбылық немесе қорқыту: ұрып-соғу, қоқан-лоқы, қудалау.',
      en: 'Violence or threats within a family: beatings, threats, stalking.',
    },
    keywords: ['семья', 'бьёт', 'муж', 'жена', 'отбасы', 'зорлық', 'domestic', 'family'],
    attributes: [
      {
        code: 'children_present',
        datatype: 'singlevaluelist',
        required: false,
        order: 1,
        description: { ru: 'Есть ли рядом дети', kk: 'Жанында балалар бар ма', en: 'Are there children present' },
        values: YES_NO_UNKNOWN,
      },
    ],
  },
  {
    code: 'hooliganism',
    priority: 'P3',
    group: 'public-order',
    name: { ru: 'Хулиганство', kk: 'Бұзақылық', en: 'Hooliganism' },
    description: {
      ru: 'Грубое нарушение общественного порядка: вандализм, приставание к людям.',
      kk: 'Қоғамдық тәртіпті өрескел бұзу: вандализм, адамдарға жабысу.',
      en: 'A gross breach of public order: vandalism, harassing people.',
    },
    keywords: ['хулиганы', 'вандализм', 'бұзақылар', 'бүлдіру', 'hooligans', 'vandalism'],
    attributes: [],
  },
  {
    code: 'drugs',
    priority: 'P3',
    group: 'crime',
    name: { ru: 'Наркотики', kk: 'Есірткі', en: 'Drugs' },
    description: {
      ru: 'Сбыт или употребление наркотиков, «закладки», надписи с рекламой наркотиков.',
      kk: 'Есірткіні сату немесе тұтыну, «закладкалар», есірткі жарнамасы жазылған жазулар.',
      en: 'Drugs sold or used, drug stashes, graffiti advertising drugs.',
    },
    keywords: ['наркотики', 'закладка', 'есірткі', 'drugs', 'dealer'],
    attributes: [
      {
        code: 'activity',
        datatype: 'singlevaluelist',
        required: false,
        order: 1,
        description: { ru: 'Что вы видели', kk: 'Сіз не көрдіңіз', en: 'What did you see' },
        values: [
          { key: 'selling', name: { ru: 'Сбыт', kk: 'Сату', en: 'Selling' } },
          { key: 'using', name: { ru: 'Употребление', kk: 'Тұтыну', en: 'Using' } },
          { key: 'stash', name: { ru: 'Закладку', kk: 'Жасырып қойылған есірткі', en: 'A stash' } },
          { key: 'advertising', name: { ru: 'Рекламу на стенах', kk: 'Қабырғадағы жарнама', en: 'Advertising on walls' } },
        ],
      },
    ],
  },
  {
    code: 'traffic-accident',
    priority: 'P2',
    group: 'road',
    name: { ru: 'ДТП', kk: 'Жол-көлік оқиғасы', en: 'Traffic accident' },
    description: {
      ru: 'Столкновение, наезд на пешехода, опрокидывание автомобиля.',
      kk: 'Көліктердің соқтығысуы, жаяу жүргіншіні қағып кету, көліктің аударылуы.',
      en: 'A collision, a pedestrian hit, an overturned vehicle.',
    },
    keywords: ['дтп', 'авария', 'столкновение', 'апат', 'соқтығысу', 'accident', 'crash'],
    attributes: [
      {
        code: 'injured',
        datatype: 'singlevaluelist',
        required: false,
        order: 1,
        description: { ru: 'Есть пострадавшие', kk: 'Зардап шеккендер бар ма', en: 'Is anyone injured' },
        values: YES_NO,
      },
      {
        code: 'vehicles',
        datatype: 'number',
        required: false,
        order: 2,
        description: { ru: 'Сколько машин', kk: 'Неше көлік', en: 'How many vehicles' },
      },
    ],
  },
  {
    code: 'dangerous-driving',
    priority: 'P2',
    group: 'road',
    name: { ru: 'Опасное вождение', kk: 'Қауіпті жүргізу', en: 'Dangerous driving' },
    description: {
      ru: 'Превышение скорости, выезд на встречную полосу, дрифт, проезд на красный свет.',
      kk: 'Жылдамдықты асыру, қарсы жолаққа шығу, дрифт, бағдаршамның қызыл белгісіне өту.',
      en: 'Speeding, driving into oncoming traffic, drifting, running red lights.',
    },
    keywords: ['гонки', 'дрифт', 'скорость', 'жылдамдық', 'speeding', 'reckless'],
    attributes: [plate(1)],
  },
  {
    code: 'drunk-driver',
    priority: 'P2',
    group: 'road',
    name: { ru: 'Нетрезвый водитель', kk: 'Мас жүргізуші', en: 'Drunk driver' },
    description: {
      ru: 'Водитель за рулём в состоянии опьянения.',
      kk: 'Мас күйінде көлік жүргізіп келе жатқан жүргізуші.',
      en: 'A driver at the wheel under the influence.',
    },
    keywords: ['пьяный', 'нетрезвый', 'мас', 'ішімдік', 'drunk', 'dui'],
    attributes: [plate(1)],
  },
  {
    code: 'road-defect',
    priority: 'P4',
    group: 'road',
    name: { ru: 'Дефект дороги', kk: 'Жол ақауы', en: 'Road defect' },
    description: {
      ru: 'Яма, открытый люк, неисправный светофор, отсутствующий или повреждённый знак.',
      kk: 'Шұңқыр, қақпағы жоқ құдық, істемейтін бағдаршам, жоқ немесе бүлінген белгі.',
      en: 'A pothole, an open manhole, a broken traffic light, a missing or damaged sign.',
    },
    keywords: ['яма', 'люк', 'светофор', 'шұңқыр', 'бағдаршам', 'pothole', 'manhole'],
    attributes: [
      {
        code: 'defect_type',
        datatype: 'singlevaluelist',
        required: false,
        order: 1,
        description: { ru: 'Что случилось с дорогой', kk: 'Жолда не болды', en: 'What is wrong with the road' },
        values: [
          { key: 'pothole', name: { ru: 'Яма', kk: 'Шұңқыр', en: 'Pothole' } },
          { key: 'manhole', name: { ru: 'Открытый люк', kk: 'Қақпағы жоқ құдық', en: 'Open manhole' } },
          { key: 'traffic_light', name: { ru: 'Неисправный светофор', kk: 'Бағдаршам істемейді', en: 'Broken traffic light' } },
          { key: 'sign', name: { ru: 'Нет знака или он повреждён', kk: 'Белгі жоқ немесе бүлінген', en: 'Missing or damaged sign' } },
          { key: 'other', name: { ru: 'Другое', kk: 'Басқа', en: 'Other' } },
        ],
      },
    ],
  },
  {
    code: 'illegal-parking',
    priority: 'P4',
    group: 'road',
    name: { ru: 'Неправильная парковка', kk: 'Заңсыз тұрақ', en: 'Illegal parking' },
    description: {
      ru: 'Стоянка на тротуаре, пешеходном переходе, на месте для людей с инвалидностью.',
      kk: 'Тротуарда, жаяу жүргінші өткелінде, мүгедектігі бар адамдарға арналған орында тұрақ.',
      en: 'Parking on a pavement, on a pedestrian crossing, in a disabled space.',
    },
    keywords: ['парковка', 'тротуар', 'тұрақ', 'parking'],
    attributes: [plate(1)],
  },
  {
    code: 'noise',
    priority: 'P4',
    group: 'public-order',
    name: { ru: 'Шум', kk: 'Шу', en: 'Noise' },
    description: {
      ru: 'Громкая музыка, шум в ночное время.',
      kk: 'Қатты музыка, түнгі уақыттағы шу.',
      en: 'Loud music, noise at night.',
    },
    keywords: ['шум', 'громкая музыка', 'тишина', 'шу', 'қатты музыка', 'noise', 'music'],
    attributes: [],
  },
  {
    code: 'missing-person',
    priority: 'P2',
    group: 'safety',
    name: { ru: 'Пропал человек', kk: 'Адам жоғалды', en: 'Missing person' },
    description: {
      ru: 'Пропал ребёнок, пожилой человек или кто-то другой.',
      kk: 'Бала, қарт адам немесе басқа біреу жоғалып кетті.',
      en: 'A child, an elderly person or someone else has gone missing.',
    },
    keywords: ['пропал', 'потерялся', 'розыск', 'жоғалды', 'іздеу', 'missing'],
    attributes: [
      {
        code: 'age',
        datatype: 'number',
        required: false,
        order: 1,
        description: { ru: 'Возраст пропавшего', kk: 'Жоғалған адамның жасы', en: 'Age of the missing person' },
      },
      {
        code: 'last_seen',
        datatype: 'string',
        required: false,
        order: 2,
        description: { ru: 'Где и когда его видели в последний раз', kk: 'Оны соңғы рет қай жерде және қашан көрді', en: 'Where and when they were last seen' },
      },
    ],
  },
  {
    code: 'suspicious-object',
    priority: 'P1',
    group: 'safety',
    name: { ru: 'Подозрительный предмет', kk: 'Күдікті зат', en: 'Suspicious object' },
    description: {
      ru: 'Бесхозная сумка, пакет или другой предмет, похожий на взрывное устройство. Не трогайте его.',
      kk: 'Иесіз қалған сөмке, пакет немесе жарылғыш құрылғыға ұқсас басқа зат. Оны ұстамаңыз.',
      en: 'An unattended bag, package or other object that may be an explosive device. Do not touch it.',
    },
    keywords: ['сумка', 'бесхозный', 'бомба', 'сөмке', 'иесіз', 'bag', 'bomb'],
    attributes: [],
  },
  {
    code: 'other',
    priority: 'P3',
    group: 'other',
    name: { ru: 'Другое', kk: 'Басқа', en: 'Other' },
    description: {
      ru: 'Другое правонарушение или ситуация, которая требует внимания полиции.',
      kk: 'Полицияның назарын қажет ететін басқа құқықбұзушылық немесе жағдай.',
      en: 'Another offence or situation that needs the police’s attention.',
    },
    keywords: ['другое', 'басқа', 'other'],
    attributes: [],
  },
];

export const CATEGORY_CODES = CATEGORIES.map((c) => c.code) as [string, ...string[]];

export function categoryOf(code: string): Category | undefined {
  return CATEGORIES.find((c) => c.code === code);
}

export function groupOf(code: string): Group | undefined {
  return GROUPS.find((g) => g.code === code);
}

/**
 * Duplicate rule defaults: a report of the same category within this distance and time of an earlier open one
 * joins it (FixMyStreet suggests ~50 m for potholes; police incidents are less exact, hence 100 m). Overridden by
 * TARTIP_REPORTS_DUPLICATE_RADIUS_M / TARTIP_REPORTS_DUPLICATE_WINDOW_MIN (`config/settings.ts`).
 */
export const DUPLICATE_DEFAULTS = { radiusM: 100, windowMin: 15 } as const;

/**
 * Abuse rule: a device or phone with this many reports marked false within the window gets its new reports
 * flagged for the operator (`flagged: true`) — never dropped.
 */
export const FALSE_REPORT_RULE = { threshold: 3, windowDays: 30 } as const;

/** Media accepted with a report (decoded size per file, count per report). */
export const MEDIA_RULES = {
  types: ['image/jpeg', 'image/png', 'image/webp', 'video/mp4'] as const,
  maxBytes: 5 * 1024 * 1024,
  maxCount: 3,
} as const;
