import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../packages/kernel/src/config.ts';
import { loadRoadSettings } from '../roads/settings.ts';
import { loadVehicleSettings } from './settings.ts';

describe('settings of the vehicles and roads parts', () => {
  it('have defaults', () => {
    const v = loadVehicleSettings({});
    expect(v.score).toEqual({ halfLifeDays: 180, horizonDays: 1095, threshold: 8, refreshS: 3600 });
    expect(v.clone).toMatchObject({ maxSpeedKmh: 250, minDistanceM: 2000, clockToleranceS: 30, perPlate: 3, maxPlates: 100_000 });
    const r = loadRoadSettings({});
    expect(r.blackSpot).toEqual({ epsM: 100, minCrashes: 3, days: 1095 });
    expect(r.defect).toMatchObject({ deadlineH: { critical: 24, high: 72, medium: 168, low: 720 }, incidentSeverity: 'critical', citizenSeverity: 'medium' });
  });

  it('take the environment, empty values ignored; `none` switches defect incidents off', () => {
    expect(loadVehicleSettings({ TARTIP_TRAFFIC_SCORE_HALF_LIFE_DAYS: '90', TARTIP_TRAFFIC_SCORE_THRESHOLD: '' }).score).toMatchObject({ halfLifeDays: 90, threshold: 8 });
    expect(loadRoadSettings({ TARTIP_TRAFFIC_DEFECT_INCIDENT_SEVERITY: 'none' }).defect.incidentSeverity).toBeNull();
  });

  it.each([
    [() => loadVehicleSettings({ TARTIP_TRAFFIC_SCORE_HALF_LIFE_DAYS: '0' }), 'TARTIP_TRAFFIC_SCORE_HALF_LIFE_DAYS'],
    [() => loadVehicleSettings({ TARTIP_TRAFFIC_CLONE_PER_PLATE: '1' }), 'TARTIP_TRAFFIC_CLONE_PER_PLATE'],
    [() => loadRoadSettings({ TARTIP_TRAFFIC_DEFECT_INCIDENT_SEVERITY: 'severe' }), 'TARTIP_TRAFFIC_DEFECT_INCIDENT_SEVERITY'],
    [() => loadRoadSettings({ TARTIP_TRAFFIC_BLACKSPOT_EPS_M: 'wide' }), 'TARTIP_TRAFFIC_BLACKSPOT_EPS_M'],
  ])('refuse a bad value, naming the variable (%#)', (load, variable) => {
    try {
      load();
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).issues[0].variable).toBe(variable);
    }
  });
});
