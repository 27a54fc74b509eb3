import type { Locale } from '../../packages/kernel/src/i18n/index.ts';

/** The reports module's texts in ru, kk and en (same keys in each; a unit test checks). */
export const MESSAGES: Record<Locale, Record<string, string>> = {
  ru: {
    'reports.delivery_pending.title': 'Доставка ещё повторяется',
    'reports.delivery_pending.detail': 'Это событие ещё не доставлено, и попытки продолжаются; отправить заново можно доставленное или отклонённое.',
    'reports.notice.received': 'Ваше сообщение принято и передано в полицию. Следить за его статусом можно по ссылке отслеживания.',
    'reports.notice.duplicate':
      'О том же происшествии рядом уже сообщили. Ваше сообщение присоединено к нему и поможет полиции; статус можно отслеживать по ссылке.',
    'reports.note.incident_cancelled': 'Происшествие снято с контроля центром оперативного управления.',
    'reports.note.false_report': 'Закрыто: сведения в сообщении не подтвердились.',
    'reports.agency': 'Полиция Республики Казахстан (102)',
    'reports.open311.invalid_api_key': 'Параметр api_key не передан, недействителен или не даёт права подавать сообщения.',
    'reports.open311.unknown_service': 'Неизвестный service_code: {code}.',
    'reports.open311.not_found': 'Ничего не найдено: {what}.',
    'report_already_false.title': 'Сообщение уже отмечено как ложное',
    'report_already_false.detail': 'Это сообщение уже отмечено как ложное; повторная отметка не нужна.',
    'field.media_too_large': 'Файл больше {maximum} МиБ.',
    'field.media_type_mismatch': 'Содержимое файла не соответствует типу {contentType}.',
    'field.invalid_base64': 'Файл должен быть передан в кодировке base64.',
  },
  kk: {
    'reports.delivery_pending.title': 'Жеткізу әлі қайталануда',
    'reports.delivery_pending.detail': 'Бұл оқиға әлі жеткізілмеген, әрекеттер жалғасуда; қайта жіберуге жеткізілгенді немесе бас тартылғанды болады.',
    'reports.notice.received': 'Хабарламаңыз қабылданып, полицияға жіберілді. Оның мәртебесін бақылау сілтемесі арқылы қадағалай аласыз.',
    'reports.notice.duplicate':
      'Осы маңдағы дәл осы оқиға туралы бұрын хабарланған. Сіздің хабарламаңыз соған қосылды және полицияға көмектеседі; мәртебесін сілтеме арқылы қадағалай аласыз.',
    'reports.note.incident_cancelled': 'Жедел басқару орталығы оқиғаны бақылаудан алып тастады.',
    'reports.note.false_report': 'Жабылды: хабарламадағы мәліметтер расталмады.',
    'reports.agency': 'Қазақстан Республикасының полициясы (102)',
    'reports.open311.invalid_api_key': 'api_key берілмеген, жарамсыз немесе хабарлама жіберуге құқық бермейді.',
    'reports.open311.unknown_service': 'Белгісіз service_code: {code}.',
    'reports.open311.not_found': 'Ештеңе табылмады: {what}.',
    'report_already_false.title': 'Хабарлама жалған деп бұрын белгіленген',
    'report_already_false.detail': 'Бұл хабарлама жалған деп бұрын белгіленген; қайта белгілеудің қажеті жоқ.',
    'field.media_too_large': 'Файл {maximum} МиБ-тан үлкен.',
    'field.media_type_mismatch': 'Файлдың мазмұны {contentType} түріне сәйкес келмейді.',
    'field.invalid_base64': 'Файл base64 кодтауымен жіберілуі керек.',
  },
  en: {
    'reports.delivery_pending.title': 'Still being delivered',
    'reports.delivery_pending.detail': 'This event has not been delivered yet and is still being retried; only a delivered or failed one can be sent again.',
    'reports.notice.received': 'Your report has been received and passed to the police. You can follow its status with your tracking link.',
    'reports.notice.duplicate':
      'The same incident nearby has already been reported. Your report has been joined to it and will help the police; you can follow its status with your tracking link.',
    'reports.note.incident_cancelled': 'The operations control centre has stood the incident down.',
    'reports.note.false_report': 'Closed: what the report said could not be confirmed.',
    'reports.agency': 'Police of the Republic of Kazakhstan (102)',
    'reports.open311.invalid_api_key': 'The api_key is missing or not valid, or it may not submit reports.',
    'reports.open311.unknown_service': 'Unknown service_code: {code}.',
    'reports.open311.not_found': 'Nothing was found: {what}.',
    'report_already_false.title': 'Already marked false',
    'report_already_false.detail': 'This report has already been marked false.',
    'field.media_too_large': 'The file is larger than {maximum} MiB.',
    'field.media_type_mismatch': 'The file’s content is not {contentType}.',
    'field.invalid_base64': 'The file must be sent as base64.',
  },
};
