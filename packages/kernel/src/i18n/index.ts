/**
 * Server-side message catalogue (ru, kk, en). Errors carry a stable `code`; people read the text in their
 * language, chosen from the `Accept-Language` header. Russian is the default.
 */
export const LOCALES = ['ru', 'kk', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

type Catalogue = Record<string, string>;

const en: Catalogue = {
  // problem titles and details
  'validation_failed.title': 'The request is not valid',
  'validation_failed.detail': 'Some fields are missing or wrong: {count} problem(s).',
  'unauthenticated.title': 'Authentication required',
  'unauthenticated.detail': 'Sign in or send a valid access token or API key.',
  'invalid_credentials.title': 'Wrong username or password',
  'invalid_credentials.detail': 'The username or password is wrong.',
  'forbidden.title': 'Not allowed',
  'forbidden.detail': 'Your role does not allow this action ({permission}).',
  'outside_jurisdiction.title': 'Outside your jurisdiction',
  'outside_jurisdiction.detail': 'This record belongs to an area you are not assigned to.',
  'not_found.title': 'Not found',
  'not_found.detail': 'Nothing was found at this address.',
  'conflict.title': 'Conflict',
  'conflict.detail': 'The request conflicts with the current state: {reason}.',
  'rate_limited.title': 'Too many requests',
  'rate_limited.detail': 'Too many requests; try again in {seconds} s.',
  'payload_too_large.title': 'Request too large',
  'payload_too_large.detail': 'The request body is larger than {limit} bytes.',
  'unsupported_media_type.title': 'Unsupported content type',
  'unsupported_media_type.detail': 'Send the body as application/json.',
  'malformed_body.title': 'Malformed request body',
  'malformed_body.detail': 'The request body is not valid JSON.',
  'idempotency_conflict.title': 'Idempotency key reused',
  'idempotency_conflict.detail': 'This Idempotency-Key was used with a different request.',
  'method_not_allowed.title': 'Method not allowed',
  'method_not_allowed.detail': 'This address does not accept this method.',
  'unavailable.title': 'Service unavailable',
  'unavailable.detail': 'The service is not ready: {reason}.',
  'database_unavailable.title': 'Database connection lost',
  'database_unavailable.detail': 'The connection to the database was lost while the request was handled, so it may not have been saved. Send it again in a few seconds with the same Idempotency-Key.',
  'internal.title': 'Internal error',
  'internal.detail': 'Something went wrong on our side; the request id is {requestId}.',
  // field errors
  'field.required': 'Required.',
  'field.invalid_type': 'Expected {expected}.',
  'field.too_small': 'Too short or too small (minimum {minimum}).',
  'field.too_big': 'Too long or too large (maximum {maximum}).',
  'field.invalid_format': 'Wrong format ({format}).',
  'field.invalid_value': 'Not one of the allowed values.',
  'field.invalid_json': 'Not valid JSON.',
  'field.in_future': 'The time is in the future.',
  'field.outside_kazakhstan': 'The point is outside Kazakhstan.',
  'field.address_not_found': 'This address was not found. Add the city and street, or put a pin on the map.',
  'field.address_ambiguous': 'There are several places with this address. Add the city or district, or put a pin on the map.',
  'field.address_too_vague': 'The address names only a city or region. Add the street and house number, or put a pin on the map.',
  'field.unrecognized_key': 'Unknown field.',
  'field.invalid': 'Invalid value.',
};

const ru: Catalogue = {
  'validation_failed.title': 'Запрос заполнен неверно',
  'validation_failed.detail': 'Некоторые поля не заполнены или заполнены неверно: ошибок — {count}.',
  'unauthenticated.title': 'Требуется вход',
  'unauthenticated.detail': 'Войдите в систему или передайте действующий токен доступа либо API-ключ.',
  'invalid_credentials.title': 'Неверное имя пользователя или пароль',
  'invalid_credentials.detail': 'Имя пользователя или пароль указаны неверно.',
  'forbidden.title': 'Доступ запрещён',
  'forbidden.detail': 'Ваша роль не позволяет выполнить это действие ({permission}).',
  'outside_jurisdiction.title': 'Вне вашей территории',
  'outside_jurisdiction.detail': 'Запись относится к территории, за которую вы не отвечаете.',
  'not_found.title': 'Не найдено',
  'not_found.detail': 'По этому адресу ничего не найдено.',
  'conflict.title': 'Конфликт',
  'conflict.detail': 'Запрос противоречит текущему состоянию: {reason}.',
  'rate_limited.title': 'Слишком много запросов',
  'rate_limited.detail': 'Слишком много запросов; повторите через {seconds} с.',
  'payload_too_large.title': 'Слишком большой запрос',
  'payload_too_large.detail': 'Тело запроса больше {limit} байт.',
  'unsupported_media_type.title': 'Неподдерживаемый тип содержимого',
  'unsupported_media_type.detail': 'Передайте тело запроса как application/json.',
  'malformed_body.title': 'Повреждённое тело запроса',
  'malformed_body.detail': 'Тело запроса не является корректным JSON.',
  'idempotency_conflict.title': 'Ключ идемпотентности уже использован',
  'idempotency_conflict.detail': 'Этот Idempotency-Key уже использован с другим запросом.',
  'method_not_allowed.title': 'Метод не поддерживается',
  'method_not_allowed.detail': 'Этот адрес не принимает такой метод.',
  'unavailable.title': 'Сервис недоступен',
  'unavailable.detail': 'Сервис не готов: {reason}.',
  'database_unavailable.title': 'Связь с базой данных потеряна',
  'database_unavailable.detail': 'Во время обработки запроса прервалась связь с базой данных, поэтому он мог не сохраниться. Отправьте его ещё раз через несколько секунд с тем же Idempotency-Key.',
  'internal.title': 'Внутренняя ошибка',
  'internal.detail': 'На нашей стороне произошла ошибка; идентификатор запроса — {requestId}.',
  'field.required': 'Обязательное поле.',
  'field.invalid_type': 'Ожидается {expected}.',
  'field.too_small': 'Слишком короткое или малое значение (минимум {minimum}).',
  'field.too_big': 'Слишком длинное или большое значение (максимум {maximum}).',
  'field.invalid_format': 'Неверный формат ({format}).',
  'field.invalid_value': 'Недопустимое значение.',
  'field.invalid_json': 'Некорректный JSON.',
  'field.in_future': 'Время указано в будущем.',
  'field.outside_kazakhstan': 'Точка находится за пределами Казахстана.',
  'field.address_not_found': 'Адрес не найден. Укажите город и улицу или отметьте место на карте.',
  'field.address_ambiguous': 'Такой адрес есть в нескольких местах. Укажите город или район или отметьте место на карте.',
  'field.address_too_vague': 'В адресе указан только город или область. Добавьте улицу и номер дома или отметьте место на карте.',
  'field.unrecognized_key': 'Неизвестное поле.',
  'field.invalid': 'Неверное значение.',
};

const kk: Catalogue = {
  'validation_failed.title': 'Сұрау дұрыс толтырылмаған',
  'validation_failed.detail': 'Кейбір өрістер толтырылмаған немесе қате толтырылған: қателер саны — {count}.',
  'unauthenticated.title': 'Жүйеге кіру қажет',
  'unauthenticated.detail': 'Жүйеге кіріңіз немесе жарамды қол жеткізу токенін не API кілтін жіберіңіз.',
  'invalid_credentials.title': 'Пайдаланушы аты немесе құпиясөз қате',
  'invalid_credentials.detail': 'Пайдаланушы аты немесе құпиясөз қате көрсетілген.',
  'forbidden.title': 'Рұқсат жоқ',
  'forbidden.detail': 'Сіздің рөліңіз бұл әрекетке рұқсат бермейді ({permission}).',
  'outside_jurisdiction.title': 'Сіздің аумағыңыздан тыс',
  'outside_jurisdiction.detail': 'Бұл жазба сізге бекітілмеген аумаққа жатады.',
  'not_found.title': 'Табылмады',
  'not_found.detail': 'Бұл мекенжай бойынша ештеңе табылмады.',
  'conflict.title': 'Қайшылық',
  'conflict.detail': 'Сұрау ағымдағы күйге қайшы келеді: {reason}.',
  'rate_limited.title': 'Сұраулар тым көп',
  'rate_limited.detail': 'Сұраулар тым көп; {seconds} с кейін қайталаңыз.',
  'payload_too_large.title': 'Сұрау тым үлкен',
  'payload_too_large.detail': 'Сұрау денесі {limit} байттан үлкен.',
  'unsupported_media_type.title': 'Қолдау көрсетілмейтін мазмұн түрі',
  'unsupported_media_type.detail': 'Сұрау денесін application/json түрінде жіберіңіз.',
  'malformed_body.title': 'Сұрау денесі бүлінген',
  'malformed_body.detail': 'Сұрау денесі жарамды JSON емес.',
  'idempotency_conflict.title': 'Идемпотенттілік кілті бұрын қолданылған',
  'idempotency_conflict.detail': 'Бұл Idempotency-Key басқа сұраумен қолданылған.',
  'method_not_allowed.title': 'Әдіс қолдау көрсетілмейді',
  'method_not_allowed.detail': 'Бұл мекенжай мұндай әдісті қабылдамайды.',
  'unavailable.title': 'Қызмет қолжетімсіз',
  'unavailable.detail': 'Қызмет дайын емес: {reason}.',
  'database_unavailable.title': 'Дерекқормен байланыс үзілді',
  'database_unavailable.detail': 'Сұрауды өңдеу кезінде дерекқормен байланыс үзілді, сондықтан ол сақталмаған болуы мүмкін. Оны бірнеше секундтан кейін сол Idempotency-Key-мен қайта жіберіңіз.',
  'internal.title': 'Ішкі қате',
  'internal.detail': 'Біз тарапта қате орын алды; сұрау идентификаторы — {requestId}.',
  'field.required': 'Міндетті өріс.',
  'field.invalid_type': '{expected} күтілуде.',
  'field.too_small': 'Мәні тым қысқа немесе тым кіші (ең азы {minimum}).',
  'field.too_big': 'Мәні тым ұзын немесе тым үлкен (ең көбі {maximum}).',
  'field.invalid_format': 'Пішімі қате ({format}).',
  'field.invalid_value': 'Рұқсат етілмеген мән.',
  'field.invalid_json': 'JSON жарамсыз.',
  'field.in_future': 'Уақыт болашақта көрсетілген.',
  'field.outside_kazakhstan': 'Нүкте Қазақстан аумағынан тыс жерде.',
  'field.address_not_found': 'Мекенжай табылмады. Қала мен көшені көрсетіңіз немесе картада белгілеңіз.',
  'field.address_ambiguous': 'Мұндай мекенжай бірнеше жерде бар. Қаланы немесе ауданды көрсетіңіз немесе картада белгілеңіз.',
  'field.address_too_vague': 'Мекенжайда тек қала немесе облыс көрсетілген. Көше мен үй нөмірін қосыңыз немесе картада белгілеңіз.',
  'field.unrecognized_key': 'Белгісіз өріс.',
  'field.invalid': 'Мәні қате.',
};

const catalogues: Record<Locale, Catalogue> = { ru, kk, en };

/** Modules add their own messages (same keys in all three languages). */
/**
 * Adds a module's messages. Keys are global, so a module must not give a key another text: that would change
 * what every other module says, depending on which registered last. Shared field errors live here in the
 * kernel; a module that redefines one (or another module's key) with other words stops the start.
 */
export function addMessages(messages: Record<Locale, Catalogue>): void {
  for (const locale of LOCALES) {
    for (const [key, text] of Object.entries(messages[locale])) {
      const existing = catalogues[locale][key];
      if (existing !== undefined && existing !== text) {
        throw new Error(`message ${key} (${locale}) is already "${existing}"; a module may not change it to "${text}"`);
      }
      catalogues[locale][key] = text;
    }
  }
}

/** Text for `key` in `locale`, with `{name}` placeholders filled; falls back to Russian, then the key. */
export function t(locale: Locale, key: string, params: Record<string, unknown> = {}): string {
  const template = catalogues[locale][key] ?? catalogues.ru[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name: string) => (name in params ? String(params[name]) : `{${name}}`));
}

export function hasMessage(key: string): boolean {
  return key in catalogues.ru;
}

/** Picks the best of ru/kk/en from an Accept-Language header (RFC 9110 q-values); Russian by default. */
export function negotiateLocale(header: string | undefined | null): Locale {
  if (!header) return 'ru';
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag, ...rest] = part.trim().toLowerCase().split(';');
      const q = rest.find((r) => r.trim().startsWith('q='));
      return { lang: tag.trim().split('-')[0], q: q ? Number(q.trim().slice(2)) : 1, index };
    })
    .filter((r) => r.lang && !Number.isNaN(r.q) && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const r of ranked) {
    if ((LOCALES as readonly string[]).includes(r.lang)) return r.lang as Locale;
  }
  return 'ru';
}
