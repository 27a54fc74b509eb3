/**
 * The message catalogue of the web app: Russian (default), Kazakh and English.
 *
 * `ru` is the reference dictionary; `kk` and `en` are typed `Messages`, so a missing or an extra key is a type
 * error. Placeholders are written `{name}` and filled by `format()`.
 */
export const languages = ['ru', 'kk', 'en'] as const;
export type Lang = (typeof languages)[number];
export const defaultLang: Lang = 'ru';

const ru = {
  'app.name': 'Тәртіп / Tártip',
  'app.tagline': 'Платформа программы «Закон и Порядок»',
  'lang.switch': 'Язык интерфейса',

  'login.title': 'Вход в систему',
  'login.username': 'Имя пользователя',
  'login.password': 'Пароль',
  'login.submit': 'Войти',
  'login.submitting': 'Вход…',
  'login.demoHint': 'Демо-учётные записи: {users} — пароль «demo».',
  'login.sessionExpired': 'Сеанс завершён. Войдите снова.',
  'login.required': 'Введите имя пользователя и пароль.',

  'error.network': 'Сервер недоступен. Проверьте подключение и повторите попытку.',
  'error.generic': 'Ошибка {status}. Повторите попытку позже.',
  'error.forbidden': 'Недостаточно прав для этого раздела.',

  'header.user': 'Пользователь',
  'header.roles': 'Роли',
  'header.logout': 'Выйти',
  'header.menu': 'Меню',

  'nav.label': 'Разделы',
  'nav.map': 'Карта',
  'nav.dispatch': 'Оперативный центр',
  'nav.reports': 'Обращения граждан',
  'nav.roads': 'Дороги',
  'nav.fraud': 'Антифрод',
  'nav.protection': 'Защита',
  'nav.cases': 'Дела',
  'nav.enforcement': 'Исполнительное производство',
  'nav.analytics': 'Аналитика',
  'nav.audit': 'Аудит',
  'nav.users': 'Пользователи',

  'page.comingSoon': 'Модуль «{section}» в разработке и появится в следующих версиях.',
  'page.notFound': 'Страница не найдена.',
  'page.loading': 'Загрузка…',
  'page.loadMore': 'Показать ещё',
  'page.empty': 'Записей нет.',

  'map.title': 'Карта Казахстана',
  'map.regions': 'Регионы',
  'map.regionsCount': 'Регионов: {count}',
  'map.loading': 'Загрузка границ…',
  'map.webglError': 'Карта недоступна: браузер не поддерживает WebGL. Список регионов работает.',
  'map.loadError': 'Не удалось загрузить границы: {detail}',
  'map.kato': 'КАТО',
  'map.iso': 'ISO 3166-2',
  'map.districts': 'Районы и города ({count})',
  'map.noDistricts': 'Районы не загружены.',
  'map.close': 'Закрыть',
  'map.selectHint': 'Выберите регион на карте или в списке.',

  'users.title': 'Пользователи',
  'users.username': 'Логин',
  'users.displayName': 'Имя',
  'users.roles': 'Роли',
  'users.jurisdictions': 'Юрисдикции',
  'users.createdAt': 'Создан',

  'audit.title': 'Журнал аудита',
  'audit.seq': '№',
  'audit.at': 'Время',
  'audit.actor': 'Кто',
  'audit.action': 'Действие',
  'audit.entity': 'Объект',
  'audit.jurisdiction': 'Юрисдикция',
  'audit.hash': 'Хеш',

  'role.admin': 'Администратор',
  'role.operator': 'Оператор',
  'role.dispatcher': 'Диспетчер',
  'role.officer': 'Сотрудник полиции',
  'role.traffic': 'Дорожная полиция',
  'role.fraud': 'Антифрод',
  'role.protection': 'Защита от насилия',
  'role.investigator': 'Следователь',
  'role.bailiff': 'Судебный исполнитель',
  'role.analyst': 'Аналитик',
  'role.supervisor': 'Руководитель',
} as const;

export type MessageKey = keyof typeof ru;
export type Messages = { readonly [K in MessageKey]: string };

const kk: Messages = {
  'app.name': 'Тәртіп / Tártip',
  'app.tagline': '«Заң және Тәртіп» бағдарламасының платформасы',
  'lang.switch': 'Интерфейс тілі',

  'login.title': 'Жүйеге кіру',
  'login.username': 'Пайдаланушы аты',
  'login.password': 'Құпиясөз',
  'login.submit': 'Кіру',
  'login.submitting': 'Кіру…',
  'login.demoHint': 'Демо тіркелгілер: {users} — құпиясөзі «demo».',
  'login.sessionExpired': 'Сеанс аяқталды. Қайта кіріңіз.',
  'login.required': 'Пайдаланушы аты мен құпиясөзді енгізіңіз.',

  'error.network': 'Сервер қолжетімсіз. Байланысты тексеріп, қайталап көріңіз.',
  'error.generic': '{status} қатесі. Кейінірек қайталап көріңіз.',
  'error.forbidden': 'Бұл бөлімге құқығыңыз жеткіліксіз.',

  'header.user': 'Пайдаланушы',
  'header.roles': 'Рөлдер',
  'header.logout': 'Шығу',
  'header.menu': 'Мәзір',

  'nav.label': 'Бөлімдер',
  'nav.map': 'Карта',
  'nav.dispatch': 'Жедел басқару орталығы',
  'nav.reports': 'Азаматтардың өтініштері',
  'nav.roads': 'Жолдар',
  'nav.fraud': 'Алаяқтыққа қарсы іс-қимыл',
  'nav.protection': 'Қорғау',
  'nav.cases': 'Істер',
  'nav.enforcement': 'Атқарушылық іс жүргізу',
  'nav.analytics': 'Талдау',
  'nav.audit': 'Аудит',
  'nav.users': 'Пайдаланушылар',

  'page.comingSoon': '«{section}» модулі әзірленуде, келесі нұсқаларда қосылады.',
  'page.notFound': 'Бет табылмады.',
  'page.loading': 'Жүктелуде…',
  'page.loadMore': 'Тағы көрсету',
  'page.empty': 'Жазбалар жоқ.',

  'map.title': 'Қазақстан картасы',
  'map.regions': 'Өңірлер',
  'map.regionsCount': 'Өңірлер саны: {count}',
  'map.loading': 'Шекаралар жүктелуде…',
  'map.webglError': 'Карта қолжетімсіз: браузер WebGL-ді қолдамайды. Өңірлер тізімі жұмыс істейді.',
  'map.loadError': 'Шекараларды жүктеу мүмкін болмады: {detail}',
  'map.kato': 'ӘАОЖ',
  'map.iso': 'ISO 3166-2',
  'map.districts': 'Аудандар мен қалалар ({count})',
  'map.noDistricts': 'Аудандар жүктелмеді.',
  'map.close': 'Жабу',
  'map.selectHint': 'Картадан немесе тізімнен өңірді таңдаңыз.',

  'users.title': 'Пайдаланушылар',
  'users.username': 'Логин',
  'users.displayName': 'Аты-жөні',
  'users.roles': 'Рөлдер',
  'users.jurisdictions': 'Юрисдикциялар',
  'users.createdAt': 'Құрылған күні',

  'audit.title': 'Аудит журналы',
  'audit.seq': '№',
  'audit.at': 'Уақыты',
  'audit.actor': 'Кім',
  'audit.action': 'Әрекет',
  'audit.entity': 'Нысан',
  'audit.jurisdiction': 'Юрисдикция',
  'audit.hash': 'Хеш',

  'role.admin': 'Әкімші',
  'role.operator': 'Оператор',
  'role.dispatcher': 'Диспетчер',
  'role.officer': 'Полиция қызметкері',
  'role.traffic': 'Жол полициясы',
  'role.fraud': 'Алаяқтыққа қарсы іс-қимыл',
  'role.protection': 'Зорлық-зомбылықтан қорғау',
  'role.investigator': 'Тергеуші',
  'role.bailiff': 'Сот орындаушысы',
  'role.analyst': 'Талдаушы',
  'role.supervisor': 'Басшы',
};

const en: Messages = {
  'app.name': 'Тәртіп / Tártip',
  'app.tagline': 'Platform of the «Law and Order» programme',
  'lang.switch': 'Interface language',

  'login.title': 'Sign in',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.submitting': 'Signing in…',
  'login.demoHint': 'Demo accounts: {users} — password “demo”.',
  'login.sessionExpired': 'Your session has ended. Please sign in again.',
  'login.required': 'Enter a username and a password.',

  'error.network': 'The server cannot be reached. Check the connection and try again.',
  'error.generic': 'Error {status}. Please try again later.',
  'error.forbidden': 'You do not have access to this section.',

  'header.user': 'User',
  'header.roles': 'Roles',
  'header.logout': 'Sign out',
  'header.menu': 'Menu',

  'nav.label': 'Sections',
  'nav.map': 'Map',
  'nav.dispatch': 'Operations centre',
  'nav.reports': 'Citizen reports',
  'nav.roads': 'Roads',
  'nav.fraud': 'Anti-fraud',
  'nav.protection': 'Protection',
  'nav.cases': 'Cases',
  'nav.enforcement': 'Enforcement',
  'nav.analytics': 'Analytics',
  'nav.audit': 'Audit',
  'nav.users': 'Users',

  'page.comingSoon': 'The “{section}” module is being built and will arrive in a later release.',
  'page.notFound': 'Page not found.',
  'page.loading': 'Loading…',
  'page.loadMore': 'Show more',
  'page.empty': 'No records.',

  'map.title': 'Map of Kazakhstan',
  'map.regions': 'Regions',
  'map.regionsCount': 'Regions: {count}',
  'map.loading': 'Loading boundaries…',
  'map.webglError': 'The map is unavailable: this browser has no WebGL. The region list still works.',
  'map.loadError': 'Could not load the boundaries: {detail}',
  'map.kato': 'KATO',
  'map.iso': 'ISO 3166-2',
  'map.districts': 'Districts and cities ({count})',
  'map.noDistricts': 'Districts are not loaded.',
  'map.close': 'Close',
  'map.selectHint': 'Pick a region on the map or in the list.',

  'users.title': 'Users',
  'users.username': 'Username',
  'users.displayName': 'Name',
  'users.roles': 'Roles',
  'users.jurisdictions': 'Jurisdictions',
  'users.createdAt': 'Created',

  'audit.title': 'Audit log',
  'audit.seq': '#',
  'audit.at': 'Time',
  'audit.actor': 'Actor',
  'audit.action': 'Action',
  'audit.entity': 'Entity',
  'audit.jurisdiction': 'Jurisdiction',
  'audit.hash': 'Hash',

  'role.admin': 'Administrator',
  'role.operator': 'Operator',
  'role.dispatcher': 'Dispatcher',
  'role.officer': 'Police officer',
  'role.traffic': 'Traffic police',
  'role.fraud': 'Anti-fraud',
  'role.protection': 'Protection',
  'role.investigator': 'Investigator',
  'role.bailiff': 'Bailiff',
  'role.analyst': 'Analyst',
  'role.supervisor': 'Supervisor',
};

export const messages: { readonly [L in Lang]: Messages } = { ru, kk, en };

/** Labels of the language switcher buttons, each in its own language. */
export const languageLabels: { readonly [L in Lang]: string } = { ru: 'Рус', kk: 'Қаз', en: 'Eng' };

export function isLang(v: unknown): v is Lang {
  return typeof v === 'string' && (languages as readonly string[]).includes(v);
}

/** A role's name in `lang`; a role the catalogue does not know is shown as its code. */
export function roleLabel(lang: Lang, role: string): string {
  const key = `role.${role}`;
  return key in messages[lang] ? messages[lang][key as MessageKey] : role;
}

/** Looks a message up and fills its `{placeholders}`. */
export function format(lang: Lang, key: MessageKey, params?: Record<string, string | number>): string {
  const text = messages[lang][key];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}
