import { expect, test } from 'vitest';
import { ApiError } from './api.ts';
import { fieldErrors, localText, normalizePhone } from './reports.ts';

test('a problem’s field errors are keyed by the form field they belong to', () => {
  const e = new ApiError(400, {
    detail: 'invalid',
    errors: [
      { path: 'body.location', code: 'outside_kazakhstan', message: 'outside Kazakhstan' },
      { path: 'body.media.0.data', code: 'media_too_large', message: 'too large' },
      { path: 'body.media.1.data', code: 'invalid_base64', message: 'second' },
      { path: 'body.contact.phone', code: 'invalid_format', message: 'phone' },
    ],
  });
  expect(fieldErrors(e)).toEqual({ location: 'outside Kazakhstan', media: 'too large', contact: 'phone' });
  expect(fieldErrors(new Error('x'))).toEqual({});
});

test('texts come localised per language or already in the request’s language', () => {
  expect(localText({ ru: 'Кража', kk: 'Ұрлық', en: 'Theft' }, 'kk')).toBe('Ұрлық');
  expect(localText('Принято', 'en')).toBe('Принято');
  expect(localText(null, 'ru')).toBe('');
});

test('phones go in E.164', () => {
  expect(normalizePhone('8 701 234-56-78')).toBe('+77012345678');
  expect(normalizePhone('+7 (701) 234 56 78')).toBe('+77012345678');
  expect(normalizePhone('77012345678')).toBe('+77012345678');
  expect(normalizePhone(' 12345 ')).toBe('12345');
});
