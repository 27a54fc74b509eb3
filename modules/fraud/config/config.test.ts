import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../packages/kernel/src/config.ts';
import { LOCALES } from '../../../packages/kernel/src/i18n/index.ts';
import { MESSAGES } from '../messages.ts';
import { PKI_DIR } from '../testing/passport.ts';
import { DEMO_HASH_KEY, loadFraudSettings } from './settings.ts';
import { RULE_IDS, TRANSACTION_POLICY } from './policy.ts';

describe('fraud settings', () => {
  it('defaults, and variables override them', () => {
    const s = loadFraudSettings({}, 'embedded');
    expect(s).toMatchObject({ hashKey: DEMO_HASH_KEY, shakenFreshnessS: 60, degradedCall: 'label', degradedHoldAmount: 100_000, trustAnchors: [] });
    const t = loadFraudSettings({ TARTIP_FRAUD_SHAKEN_FRESHNESS_S: '30', TARTIP_FRAUD_SHAKEN_TRUST_ANCHORS: `${PKI_DIR}/sti-ca.pem` }, 'embedded');
    expect(t.shakenFreshnessS).toBe(30);
    // The wait before the read-back is the database's to choose unless set.
    expect(s.logSettleMs).toBeNull();
    expect(loadFraudSettings({ TARTIP_FRAUD_LOG_SETTLE_MS: '250' }, 'embedded').logSettleMs).toBe(250);
    expect(t.trustAnchors.map((c) => c.subject)).toEqual([expect.stringContaining('Tartip Test STI-CA')]);
  });

  it('a bad value names the variable; production refuses the demo hash key', () => {
    const names = (env: Record<string, string>, mode: 'embedded' | 'production' = 'embedded') => {
      try {
        loadFraudSettings(env, mode);
        return [];
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).issues.map((i) => i.variable);
      }
    };
    expect(names({ TARTIP_FRAUD_HASH_KEY: 'short' })).toEqual(['TARTIP_FRAUD_HASH_KEY']);
    expect(names({ TARTIP_FRAUD_DEGRADED_CALL: 'block' })).toEqual(['TARTIP_FRAUD_DEGRADED_CALL']);
    expect(names({ TARTIP_FRAUD_SHAKEN_TRUST_ANCHORS: '/nonexistent.pem' })).toEqual(['TARTIP_FRAUD_SHAKEN_TRUST_ANCHORS']);
    expect(names({ TARTIP_FRAUD_LOG_SETTLE_MS: '-1' })).toEqual(['TARTIP_FRAUD_LOG_SETTLE_MS']);
    expect(names({}, 'production')).toEqual(['TARTIP_FRAUD_HASH_KEY']);
    expect(names({ TARTIP_FRAUD_HASH_KEY: 'x'.repeat(40) }, 'production')).toEqual([]);
  });
});

describe('typology configuration', () => {
  it('every typology weighs only known rules and bands, and alerts before it interdicts', () => {
    for (const t of TRANSACTION_POLICY.typologies) {
      expect(t.alert).toBeLessThan(t.interdiction);
      for (const [rule, weights] of Object.entries(t.rules)) {
        expect(RULE_IDS).toContain(rule);
        const refs = TRANSACTION_POLICY.rules[rule as (typeof RULE_IDS)[number]].bands.map((b) => b.ref);
        for (const ref of Object.keys(weights)) expect(refs).toContain(ref);
      }
    }
  });
});

describe('fraud messages', () => {
  it('the same keys in ru, kk and en, all prefixed fraud. or field.fraud.', () => {
    const keys = Object.keys(MESSAGES.en).sort();
    for (const l of LOCALES) expect(Object.keys(MESSAGES[l]).sort()).toEqual(keys);
    for (const k of keys) expect(k).toMatch(/^(fraud|field\.fraud)\./);
  });
});
