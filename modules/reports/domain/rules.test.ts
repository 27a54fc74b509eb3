import { describe, expect, it } from 'vitest';
import { categoryOf } from '../config/categories.ts';
import { abuseFlag } from './abuse.ts';
import { validateAttributes } from './attributes.ts';
import { normalizePhone } from './contact.ts';
import { base64Size, sniffType } from './media.ts';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

describe('media', () => {
  it('sizes base64 without decoding it, and refuses what is not base64', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 1000]) {
      const bytes = Buffer.alloc(n, 7);
      expect(base64Size(bytes.toString('base64'))).toBe(n);
    }
    expect(base64Size('abc')).toBeNull();
    expect(base64Size('ab$d')).toBeNull();
    expect(base64Size('data:image/png;base64,AAAA')).toBeNull();
  });

  it('recognises JPEG, PNG, WebP and MP4 by their first bytes', () => {
    expect(sniffType(PNG)).toBe('image/png');
    expect(sniffType(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]))).toBe('image/jpeg');
    expect(sniffType(Buffer.from('RIFF\u0000\u0000\u0000\u0000WEBPVP8 ', 'latin1'))).toBe('image/webp');
    expect(sniffType(Buffer.from('\u0000\u0000\u0000\u0018ftypmp42', 'latin1'))).toBe('video/mp4');
    expect(sniffType(Buffer.from('GIF89a........'))).toBeNull();
    expect(sniffType(Buffer.alloc(0))).toBeNull();
  });
});

describe('phones', () => {
  it('normalises Kazakhstan numbers to E.164 and refuses others', () => {
    expect(normalizePhone('+77012345678')).toBe('+77012345678');
    expect(normalizePhone('8 (701) 234-56-78')).toBe('+77012345678');
    expect(normalizePhone('7 701 234 56 78')).toBe('+77012345678');
    expect(normalizePhone('+996 555 123 456')).toBeNull();
    expect(normalizePhone('102')).toBeNull();
  });
});

describe('abuse flag', () => {
  it('flags from the third report marked false of a device or a phone', () => {
    expect(abuseFlag({ device: 2, phone: 2 })).toEqual({ flagged: false, reason: null });
    expect(abuseFlag({ device: 3, phone: 0 })).toEqual({ flagged: true, reason: 'false_reports_device' });
    expect(abuseFlag({ device: 0, phone: 5 })).toEqual({ flagged: true, reason: 'false_reports_phone' });
  });
});

describe('category attributes', () => {
  const roadDefect = categoryOf('road-defect')!;
  const accident = categoryOf('traffic-accident')!;
  const path = (c: string) => `body.attributes.${c}`;

  it('accepts listed answers and numbers', () => {
    expect(validateAttributes(roadDefect, { defect_type: 'pothole' }, path)).toEqual([]);
    expect(validateAttributes(accident, { injured: 'no', vehicles: '2' }, path)).toEqual([]);
  });

  it('refuses unknown attributes, unlisted answers and non-numbers', () => {
    expect(validateAttributes(roadDefect, { defect_type: 'volcano', colour: 'red' }, path)).toEqual([
      { path: 'body.attributes.defect_type', code: 'invalid_value' },
      { path: 'body.attributes.colour', code: 'unrecognized_key' },
    ]);
    expect(validateAttributes(accident, { vehicles: 'two' }, path)).toEqual([
      { path: 'body.attributes.vehicles', code: 'invalid_type', params: { expected: 'number' } },
    ]);
  });

  it('asks for required attributes', () => {
    const strict = { ...roadDefect, attributes: roadDefect.attributes.map((a) => ({ ...a, required: true })) };
    expect(validateAttributes(strict, {}, (c) => `attribute[${c}]`)).toEqual([{ path: 'attribute[defect_type]', code: 'required' }]);
  });
});
