import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../packages/kernel/src/config.ts';
import { MESSAGES } from '../messages.ts';
import { CATEGORIES, CATEGORY_CODES, GROUPS } from './categories.ts';
import { loadReportsSettings } from './settings.ts';

describe('settings', () => {
  it('defaults to a 100 m / 15 min duplicate rule', () => {
    expect(loadReportsSettings({})).toMatchObject({ duplicateRadiusM: 100, duplicateWindowMin: 15 });
  });

  it('takes TARTIP_REPORTS_DUPLICATE_RADIUS_M / _WINDOW_MIN from the environment', () => {
    expect(loadReportsSettings({ TARTIP_REPORTS_DUPLICATE_RADIUS_M: '250', TARTIP_REPORTS_DUPLICATE_WINDOW_MIN: '30' })).toMatchObject({
      duplicateRadiusM: 250,
      duplicateWindowMin: 30,
    });
  });

  it.each([
    ['TARTIP_REPORTS_DUPLICATE_RADIUS_M', 'far'],
    ['TARTIP_REPORTS_DUPLICATE_RADIUS_M', '-5'],
    ['TARTIP_REPORTS_DUPLICATE_WINDOW_MIN', '0'],
    ['TARTIP_REPORTS_DUPLICATE_WINDOW_MIN', '2.5'],
    ['TARTIP_REPORTS_WEBHOOK_MAX_ATTEMPTS', '1000'],
  ])('refuses %s=%s, naming the variable', (variable, value) => {
    let error: unknown;
    try {
      loadReportsSettings({ [variable]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.variable)).toEqual([variable]);
    expect((error as Error).message).toContain(variable);
  });
});

describe('categories', () => {
  it('are the fifteen codes shared with dispatch, with their default priorities', () => {
    expect(Object.fromEntries(CATEGORIES.map((c) => [c.code, c.priority]))).toEqual({
      theft: 'P2',
      robbery: 'P1',
      assault: 'P1',
      'domestic-violence': 'P1',
      hooliganism: 'P3',
      drugs: 'P3',
      'traffic-accident': 'P2',
      'dangerous-driving': 'P2',
      'drunk-driver': 'P2',
      'road-defect': 'P4',
      'illegal-parking': 'P4',
      noise: 'P4',
      'missing-person': 'P2',
      'suspicious-object': 'P1',
      other: 'P3',
    });
    expect(new Set(CATEGORY_CODES).size).toBe(CATEGORY_CODES.length);
  });

  it('have names and descriptions in ru, kk and en, Kazakh written in Kazakh', () => {
    const texts = CATEGORIES.flatMap((c) => [c.name, c.description, ...c.attributes.flatMap((a) => [a.description, ...(a.values ?? []).map((v) => v.name)])]);
    for (const text of [...texts, ...GROUPS.map((g) => g.name)]) {
      for (const l of ['ru', 'kk', 'en'] as const) expect(text[l].trim().length, JSON.stringify(text)).toBeGreaterThan(0);
    }
    // Kazakh-only letters (ә і ң ғ ү ұ қ ө һ) appear across the Kazakh texts: it is not Russian copied over.
    expect(CATEGORIES.filter((c) => /[әіңғүұқөһ]/i.test(c.description.kk)).length).toBeGreaterThanOrEqual(12);
  });

  it('have a known group, and Open311 attributes with unique codes, orders and list values', () => {
    for (const c of CATEGORIES) {
      expect(GROUPS.map((g) => g.code)).toContain(c.group);
      expect(new Set(c.attributes.map((a) => a.code)).size).toBe(c.attributes.length);
      for (const a of c.attributes) {
        if (a.datatype === 'singlevaluelist') expect(a.values?.length ?? 0).toBeGreaterThan(1);
        else expect(a.values).toBeUndefined();
      }
    }
    const attr = (code: string, a: string) => CATEGORIES.find((c) => c.code === code)?.attributes.find((x) => x.code === a);
    expect(attr('road-defect', 'defect_type')?.datatype).toBe('singlevaluelist');
    expect(attr('traffic-accident', 'injured')?.values?.map((v) => v.key)).toEqual(['yes', 'no']);
    expect(attr('theft', 'stolen_items')?.datatype).toBe('string');
  });
});

describe('messages', () => {
  it('have the same keys in ru, kk and en', () => {
    const keys = (l: 'ru' | 'kk' | 'en') => Object.keys(MESSAGES[l]).sort();
    expect(keys('kk')).toEqual(keys('ru'));
    expect(keys('en')).toEqual(keys('ru'));
    for (const l of ['ru', 'kk', 'en'] as const) for (const v of Object.values(MESSAGES[l])) expect(v.trim()).not.toBe('');
  });
});
