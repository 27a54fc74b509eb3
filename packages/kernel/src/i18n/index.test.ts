import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { addMessages, hasMessage, LOCALES, negotiateLocale, t } from './index.ts';

describe('negotiateLocale', () => {
  it.each([
    [undefined, 'ru'],
    [null, 'ru'],
    ['', 'ru'],
    ['kk', 'kk'],
    ['en', 'en'],
    ['ru', 'ru'],
    ['kk-KZ', 'kk'],
    ['EN-us', 'en'],
    // q-values rank, whatever the order in the header
    ['en;q=0.5, kk;q=0.9', 'kk'],
    ['kk;q=0.2,en;q=0.3,ru;q=0.1', 'en'],
    ['ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7', 'ru'],
    ['kk;q=1.0, en', 'kk'],
    // equal weights keep the header's order
    ['kk, en', 'kk'],
    ['en, kk', 'en'],
    // languages we do not speak are skipped, not answered in Russian too early
    ['de, fr;q=0.9, en;q=0.1', 'en'],
    ['tr-TR, kk;q=0.5', 'kk'],
    // q=0 means "not acceptable"
    ['en;q=0, kk;q=0.2', 'kk'],
    ['en;q=0', 'ru'],
    // nothing we speak, a wildcard, or garbage: Russian
    ['de, fr', 'ru'],
    ['*', 'ru'],
    [',,;;', 'ru'],
    ['en;q=abc, kk;q=0.5', 'kk'],
    // optional whitespace around ';' and ',' (RFC 9110 OWS)
    [' en ; q=0.8 , kk ; q=0.9 ', 'kk'],
    ['en ;q=0.9', 'en'],
  ])('%j → %s', (header, expected) => {
    expect(negotiateLocale(header)).toBe(expected);
  });
});

/** The keys of the three catalogues, read from the source (they are not exported). */
function catalogueKeys(): Record<string, string[]> {
  const source = readFileSync(fileURLToPath(new URL('./index.ts', import.meta.url)), 'utf8');
  const out: Record<string, string[]> = {};
  for (const locale of LOCALES) {
    const block = source.match(new RegExp(`const ${locale}: Catalogue = \\{([\\s\\S]*?)\\n\\};`));
    expect(block, `catalogue ${locale} not found in the source`).not.toBeNull();
    out[locale] = [...(block?.[1] ?? '').matchAll(/^\s*'([^']+)':/gm)].map((m) => m[1]).sort();
  }
  return out;
}

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('message catalogues', () => {
  const keys = catalogueKeys();

  it('have identical key sets in ru, kk and en', () => {
    expect(keys.ru.length).toBeGreaterThan(30);
    expect(keys.kk).toEqual(keys.ru);
    expect(keys.en).toEqual(keys.ru);
    expect(new Set(keys.ru).size).toBe(keys.ru.length);
  });

  it('translate every key (kk and en differ from ru) with the same placeholders', () => {
    for (const key of keys.ru) {
      expect(hasMessage(key), key).toBe(true);
      const ru = t('ru', key);
      const kk = t('kk', key);
      const en = t('en', key);
      expect(ru, key).not.toBe(key);
      expect(kk, `${key} (kk)`).not.toBe(ru);
      expect(en, `${key} (en)`).not.toBe(ru);
      expect(placeholders(kk), `${key} (kk)`).toEqual(placeholders(ru));
      expect(placeholders(en), `${key} (en)`).toEqual(placeholders(ru));
    }
  });

  it('has a title and a detail for every problem code the server can return', () => {
    const errors = readFileSync(fileURLToPath(new URL('../errors.ts', import.meta.url)), 'utf8');
    const status = errors.match(/const STATUS[^{]*\{([\s\S]*?)\};/)?.[1] ?? '';
    const codes = [...status.matchAll(/^\s*(\w+): \d{3},/gm)].map((m) => m[1]);
    expect(codes).toContain('invalid_credentials');
    for (const code of codes) {
      for (const part of ['title', 'detail']) expect(keys.ru, `${code}.${part}`).toContain(`${code}.${part}`);
    }
  });
});

describe('t', () => {
  it('fills placeholders and leaves unknown ones visible', () => {
    expect(t('en', 'forbidden.detail', { permission: 'users:write' })).toBe('Your role does not allow this action (users:write).');
    expect(t('en', 'forbidden.detail')).toBe('Your role does not allow this action ({permission}).');
    expect(t('ru', 'rate_limited.detail', { seconds: 42 })).toContain('42');
    expect(t('kk', 'rate_limited.detail', { seconds: 42 })).toContain('42');
  });

  it('falls back to Russian for a message a module gave only in Russian, then to the key itself', () => {
    addMessages({ ru: { 'test.only_ru': 'Только по-русски' }, kk: {}, en: {} });
    expect(t('kk', 'test.only_ru')).toBe('Только по-русски');
    expect(t('en', 'test.only_ru')).toBe('Только по-русски');
    expect(t('en', 'test.unknown_key')).toBe('test.unknown_key');
    expect(hasMessage('test.unknown_key')).toBe(false);
  });

  it('serves messages a module adds in each language', () => {
    addMessages({
      ru: { 'test.incident': 'Происшествие {id}' },
      kk: { 'test.incident': 'Оқиға {id}' },
      en: { 'test.incident': 'Incident {id}' },
    });
    expect(hasMessage('test.incident')).toBe(true);
    expect(t('ru', 'test.incident', { id: 7 })).toBe('Происшествие 7');
    expect(t('kk', 'test.incident', { id: 7 })).toBe('Оқиға 7');
    expect(t('en', 'test.incident', { id: 7 })).toBe('Incident 7');
  });
});

describe('addMessages', () => {
  it('refuses a key that another module (or the kernel) already says differently, and accepts the same words again', () => {
    const same = { ru: { 'field.in_future': 'Время указано в будущем.' }, kk: {}, en: {} };
    expect(() => addMessages(same)).not.toThrow();
    const other = { ru: {}, kk: { 'field.outside_kazakhstan': 'Нүкте Қазақстаннан тыс жерде.' }, en: {} };
    expect(() => addMessages(other)).toThrow(/field\.outside_kazakhstan \(kk\)/);
    expect(t('kk', 'field.outside_kazakhstan')).toBe('Нүкте Қазақстан аумағынан тыс жерде.');
  });
});
