import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../packages/kernel/src/config.ts';
import { RESPONSE_TARGETS } from './catalogue.ts';
import { defaultMqttClientId, loadDispatchSettings } from './settings.ts';

const variables = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues.map((i) => i.variable);
  }
  throw new Error('expected a ConfigError');
};

describe('dispatch settings', () => {
  it('defaults to the versioned catalogue', () => {
    const s = loadDispatchSettings({});
    expect(s.targets).toEqual(RESPONSE_TARGETS);
    expect(s).toMatchObject({ unitAckTimeoutS: 60, telemetryStaleS: 120, citySpeedKmh: 30, detourFactor: 1.3, roadNetwork: null, mqttUrl: null });
  });

  it('overrides from the environment', () => {
    const s = loadDispatchSettings({ TARTIP_DISPATCH_P1_DISPATCH_S: '45', TARTIP_DISPATCH_DETOUR_FACTOR: '1.5', TARTIP_MQTT_URL: 'mqtt://127.0.0.1:1883' });
    expect(s.targets.P1.dispatchS).toBe(45);
    expect(s.detourFactor).toBe(1.5);
    expect(s.mqttUrl).toBe('mqtt://127.0.0.1:1883');
  });

  it('a bad value names its variable', () => {
    expect(variables(() => loadDispatchSettings({ TARTIP_DISPATCH_STALE_AFTER_S: 'soon' }))).toEqual(['TARTIP_DISPATCH_STALE_AFTER_S']);
    expect(variables(() => loadDispatchSettings({ TARTIP_DISPATCH_DETOUR_FACTOR: '0.5', TARTIP_MQTT_URL: 'http://x' }))).toEqual([
      'TARTIP_DISPATCH_DETOUR_FACTOR',
      'TARTIP_MQTT_URL',
    ]);
    expect(variables(() => loadDispatchSettings({ TARTIP_DISPATCH_ROAD_NETWORK: '/no/such/file.osm.pbf' }))).toEqual(['TARTIP_DISPATCH_ROAD_NETWORK']);
  });

  it('positions retention and the MQTT session: defaults, overrides, bad values', () => {
    const d = loadDispatchSettings({ PORT: '9090' });
    expect(d).toMatchObject({ positionsRetentionDays: 30, mqttSessionExpiryS: 86_400 });
    expect(d.mqttClientId).toMatch(/^tartip-dispatch-[A-Za-z0-9_.-]+-9090$/);
    expect(defaultMqttClientId('ops node#1', undefined)).toBe('tartip-dispatch-ops-node-1-8080');
    const s = loadDispatchSettings({ TARTIP_DISPATCH_POSITIONS_RETENTION_DAYS: '90', TARTIP_DISPATCH_MQTT_CLIENT_ID: 'tartip-dispatch-2', TARTIP_DISPATCH_MQTT_SESSION_EXPIRY_S: '3600' });
    expect(s).toMatchObject({ positionsRetentionDays: 90, mqttClientId: 'tartip-dispatch-2', mqttSessionExpiryS: 3600 });
    for (const bad of ['0', '-3', '1.5', 'forever', '3651']) {
      expect(variables(() => loadDispatchSettings({ TARTIP_DISPATCH_POSITIONS_RETENTION_DAYS: bad }))).toEqual(['TARTIP_DISPATCH_POSITIONS_RETENTION_DAYS']);
    }
    expect(variables(() => loadDispatchSettings({ TARTIP_DISPATCH_MQTT_CLIENT_ID: 'has space' }))).toEqual(['TARTIP_DISPATCH_MQTT_CLIENT_ID']);
    // 0 would make the broker drop the session at every disconnect: not a persistent session.
    expect(variables(() => loadDispatchSettings({ TARTIP_DISPATCH_MQTT_SESSION_EXPIRY_S: '0' }))).toEqual(['TARTIP_DISPATCH_MQTT_SESSION_EXPIRY_S']);
  });

  it('every incident type shared with reports has its documented default priority', async () => {
    const { INCIDENT_TYPES } = await import('./catalogue.ts');
    const p = Object.fromEntries(INCIDENT_TYPES.map((t) => [t.code, t.priority]));
    expect(p).toMatchObject({ theft: 'P2', robbery: 'P1', assault: 'P1', 'domestic-violence': 'P1', hooliganism: 'P3', drugs: 'P3', 'traffic-accident': 'P2', 'dangerous-driving': 'P2', 'drunk-driver': 'P2', 'road-defect': 'P4', 'illegal-parking': 'P4', noise: 'P4', 'missing-person': 'P2', 'suspicious-object': 'P1', other: 'P3', panic: 'P1', 'camera-alert': 'P2' });
  });
});
