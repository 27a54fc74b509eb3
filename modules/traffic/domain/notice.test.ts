import { describe, expect, it } from 'vitest';
import { addMessages, t } from '../../../packages/kernel/src/i18n/index.ts';
import { messages } from '../messages.ts';
import { buildNotice, type NoticeInput, renderNoticeHtml } from './notice.ts';
import { decidePenalty, partAt } from './penalties.ts';

addMessages(messages);

const atMs = Date.parse('2026-04-10T06:15:00Z');
const input = (over: Partial<NoticeInput> = {}): NoticeInput => {
  const penalty = decidePenalty({ kind: 'average-speed', atMs, excessKmh: 27.4 }, []);
  return {
    number: 'TRF-2026-0000042',
    issuedAt: '2026-04-11T09:00:00.000Z',
    confirmedBy: 'user:traffic',
    violation: { id: 'v1', kind: 'average-speed', at: '2026-04-10T06:15:00.000Z', plate: '123ABC01', country: 'KZ', speedKmh: 167.4, limitKmh: 140, ruleVersion: 'section s1 v1' },
    camera: { code: 'AST-A1-KM5-N', name: 'Астана — Щучинск, км 5,4', lon: 71.383, lat: 51.248, kato: '711410000' },
    section: { name: 'Астана — Щучинск, км 0 — км 5,4', lengthM: 5400 },
    penalty,
    part: partAt(penalty.part as string, atMs),
    owner: null,
    images: ['https://img.example.kz/a.jpg?x=1&y=<2>'],
    reads: [
      { role: 'entry', camera: 'AST-A1-KM0-N', at: '2026-04-10T06:13:04.000Z' },
      { role: 'exit', camera: 'AST-A1-KM5-N', at: '2026-04-10T06:15:00.000Z' },
    ],
    ...over,
  };
};

describe('notice', () => {
  it('states the offence, the article part, the fine in МРП and tenge, and that the owner is unknown — in each language', () => {
    const ru = buildNotice(input(), 'ru', (k, p) => t('ru', k, p));
    expect(ru.law).toMatchObject({ part: '592.2', article: 'Кодекс РК об административных правонарушениях, ст. 592 ч. 2' });
    expect(ru.sanction).toMatchObject({ type: 'fine', fineMrp: 10, fineTenge: 43_250, text: 'Штраф 10 МРП = 43 250 ₸ (1 МРП в 2026 году = 4 325 ₸)' });
    expect(ru.owner).toEqual({ known: false, text: 'Собственник неизвестен: в реестре транспортных средств нет владельца этого номера.' });
    expect(ru.violation.excessKmh).toBe(27.4);
    const kk = buildNotice(input(), 'kk', (k, p) => t('kk', k, p));
    expect(kk.law.article).toBe('ҚР Әкімшілік құқықбұзушылық туралы кодексі, 592-бап, 2-бөлік');
    expect(kk.sanction.text).toBe('Айыппұл 10 АЕК = 43 250 ₸ (2026 жылы 1 АЕК = 4 325 ₸)');
    const en = buildNotice(input(), 'en', (k, p) => t('en', k, p));
    expect(en.violation.description).toBe('Average speed over the section exceeded');
    expect(en.law.title).toBe('Speeding by more than 20 and up to 40 km/h');
  });

  it('names the owner when the register knows them, and says "warning" for a warning', () => {
    const penalty = decidePenalty({ kind: 'no-headlights', atMs }, []);
    const n = buildNotice(
      input({
        penalty,
        part: partAt('602.1', atMs),
        owner: { owner: { kind: 'person', name: 'Иванов Иван', idNumber: '900101300123', address: 'Астана, ул. Кенесары, 1' }, vehicle: { make: 'Toyota', model: 'Camry', colour: 'white', vehicleClass: 'car' } },
      }),
      'en',
      (k, p) => t('en', k, p),
    );
    expect(n.owner).toMatchObject({ known: true, name: 'Иванов Иван' });
    expect(n.sanction).toMatchObject({ type: 'warning', text: 'Warning (first offence; the article allows a warning)' });
  });

  it('renders a printable page with every value escaped', () => {
    const n = buildNotice(input({ violation: { ...input().violation, plate: '<b>X</b>' } }), 'ru', (k, p) => t('ru', k, p));
    const html = renderNoticeHtml(n, (k, p) => t('ru', k, p));
    expect(html).toMatch(/^<!doctype html>\n<html lang="ru">/);
    expect(html).toContain('Уведомление № <strong>TRF-2026-0000042</strong>');
    expect(html).toContain('&lt;b&gt;X&lt;/b&gt;');
    expect(html).not.toContain('<b>X</b>');
    expect(html).toContain('href="https://img.example.kz/a.jpg?x=1&amp;y=&lt;2&gt;"');
    expect(html).toContain('Штраф 10 МРП = 43 250 ₸');
    expect(html).toContain('@page { size: A4');
  });
});
