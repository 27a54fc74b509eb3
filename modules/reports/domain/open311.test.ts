import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { addMessages } from '../../../packages/kernel/src/i18n/index.ts';
import { categoryOf } from '../config/categories.ts';
import { MESSAGES } from '../messages.ts';
import { attributesOf, parseForm, toRequest, toService, toServiceDefinition, xmlDocument } from './open311.ts';

addMessages(MESSAGES);
const theft = categoryOf('theft')!;
const roadDefect = categoryOf('road-defect')!;

describe('Open311 shapes', () => {
  it('a service in the caller’s language, with metadata when it has attributes', () => {
    expect(toService(theft, 'kk')).toEqual({
      service_code: 'theft',
      service_name: 'Ұрлық',
      description: theft.description.kk,
      metadata: true,
      type: 'realtime',
      keywords: theft.keywords.join(','),
      group: 'Қылмыстар',
    });
    expect(toService(categoryOf('noise')!, 'en').metadata).toBe(false);
  });

  it('a service definition lists attributes with their values', () => {
    const def = toServiceDefinition(roadDefect, 'en');
    expect(def.service_code).toBe('road-defect');
    expect(def.attributes[0]).toMatchObject({ variable: true, code: 'defect_type', datatype: 'singlevaluelist', required: false, order: 1 });
    expect(def.attributes[0].values).toContainEqual({ key: 'pothole', name: 'Pothole' });
  });

  it('a request shows location and text only when full', () => {
    const src = {
      id: 'r1',
      category: theft,
      status: 'closed' as const,
      statusNote: 'Задержан',
      description: 'Украли велосипед',
      address: 'Абая 10',
      lat: 43.25,
      lon: 76.93,
      mediaUrl: null,
      submittedAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T01:00:00.000Z',
    };
    expect(toRequest(src, 'ru', true)).toMatchObject({ status: 'closed', status_notes: 'Задержан', service_name: 'Кража', description: 'Украли велосипед', lat: 43.25, long: 76.93 });
    expect(toRequest(src, 'ru', false)).toMatchObject({ status: 'closed', description: null, address: null, lat: null, long: null, media_url: null });
  });

  it('XML documents have the standard’s root and item elements, escaped', () => {
    const xml = xmlDocument('errors', 'error', [{ code: 400, description: 'a < b & "c"' }]);
    expect(xml.startsWith('<?xml version="1.0" encoding="utf-8"?>')).toBe(true);
    const parsed = new XMLParser({ isArray: (name) => name === 'error' }).parse(xml);
    expect(parsed.errors.error).toEqual([{ code: 400, description: 'a < b & "c"' }]);
  });

  it('form bodies: repeated fields become lists, empty ones are absent, attribute[CODE] is read', () => {
    const form = parseForm('service_code=theft&email=&attribute%5Bstolen_items%5D=bike&lat=1&lat=2&__proto__=x');
    expect(form.email).toBeUndefined();
    expect(form.lat).toEqual(['1', '2']);
    expect(Object.getPrototypeOf(form)).toBeNull();
    expect(attributesOf(form)).toEqual({ answers: { stolen_items: 'bike' }, bad: [] });
    expect(attributesOf({ 'attribute[x][]': 'a', 'attribute[y]': ['a', 'b'] }).bad).toEqual(['attribute[x][]', 'attribute[y]']);
  });
});
