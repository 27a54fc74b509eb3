import { describe, expect, it } from 'vitest';
import { LOCALES } from '../../../packages/kernel/src/i18n/index.ts';
import { roadMessages } from '../roads/messages.ts';
import { DEFECT_TYPES } from '../roads/config/rules.ts';
import { SCORE_ITEM_CODES } from './config/rules.ts';
import { vehicleMessages } from './messages.ts';

describe('messages of the vehicles and roads parts', () => {
  it.each([
    ['vehicles', vehicleMessages],
    ['roads', roadMessages],
  ] as const)('%s: the same keys in ru, kk and en, none empty, the same placeholders', (_, messages) => {
    const keys = Object.keys(messages.ru).sort();
    for (const l of LOCALES) {
      expect(Object.keys(messages[l]).sort()).toEqual(keys);
      for (const k of keys) {
        expect(messages[l][k].trim()).not.toBe('');
        const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
        expect(placeholders(messages[l][k]), `${l} ${k}`).toEqual(placeholders(messages.ru[k]));
      }
    }
  });

  it('explains every score item and names every defect type', () => {
    for (const code of SCORE_ITEM_CODES) expect(vehicleMessages.en[`traffic.korgau.${code}`]).toBeDefined();
    for (const type of DEFECT_TYPES) expect(roadMessages.en[`traffic.defect.type.${type}`]).toBeDefined();
  });
});
