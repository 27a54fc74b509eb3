import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { katoOf } from './service.ts';
import { createUnitIn, type NewUnit } from './units.ts';

/**
 * Demo units (demo mode only, when there are none): Almaty — the `officer` demo account crews ALM-101 in Almaly
 * district — and Astana. Positions are stamped now; without telemetry they go stale after the threshold.
 */
export const DEMO_UNITS: (Omit<NewUnit, 'homeKato'> & { fallbackKato: string })[] = [
  { callSign: 'ALM-101', type: 'PATROL_CAR', crew: ['officer'], position: { lon: 76.9286, lat: 43.2567 }, fallbackKato: '751110000' },
  { callSign: 'ALM-102', type: 'PATROL_CAR', crew: [], position: { lon: 76.912, lat: 43.252 }, fallbackKato: '751110000' },
  { callSign: 'ALM-201', type: 'FOOT_PATROL', crew: [], position: { lon: 76.9455, lat: 43.2605 }, fallbackKato: '751110000' },
  { callSign: 'ALM-301', type: 'TRAFFIC_POLICE', crew: [], position: { lon: 76.91, lat: 43.22 }, fallbackKato: '751410000' },
  { callSign: 'ALM-401', type: 'NATIONAL_GUARD', crew: [], position: { lon: 76.96, lat: 43.24 }, fallbackKato: '751710000' },
  { callSign: 'AST-101', type: 'PATROL_CAR', crew: [], position: { lon: 71.43, lat: 51.128 }, fallbackKato: '711210000' },
  { callSign: 'AST-102', type: 'TRAFFIC_POLICE', crew: [], position: { lon: 71.47, lat: 51.16 }, fallbackKato: '711110000' },
];

const SEED_LOCK = 7_461_301;

export async function seedDemoUnits(kernel: Kernel): Promise<number> {
  if (!kernel.config.demo || kernel.config.mode === 'production') return 0;
  const [{ n }] = await kernel.db.query<{ n: number }>('select count(*)::int8 as n from dispatch_unit');
  if (n > 0) return 0;
  return kernel.commands.run({ actor: 'system:seed' }, async (uow) => {
    await uow.tx.query('select pg_advisory_xact_lock($1)', [SEED_LOCK]);
    const [{ n: again }] = await uow.tx.query<{ n: number }>('select count(*)::int8 as n from dispatch_unit');
    if (again > 0) return 0;
    for (const { fallbackKato, ...u } of DEMO_UNITS) {
      const homeKato = (u.position && katoOf(kernel, u.position)) || fallbackKato;
      await createUnitIn(uow, { ...u, homeKato });
    }
    return DEMO_UNITS.length;
  });
}
