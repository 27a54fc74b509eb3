import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineModule } from '../../packages/kernel/src/module.ts';
import { dispatchIntake, fraudKpis, positionIntake, violationKpis } from './intake.ts';
import { messages } from './messages.ts';
import { loadPatrolRoads } from './roads.ts';
import { analyticsRoutes } from './routes.ts';

/**
 * analytics — crime statistics (by article, region, district, period; year on year; clearance; rates), the release's
 * summary sentence, hotspot forecasting with PAI/PEI backtests, and patrol plans over the hotspots. See README.md.
 */
const here = dirname(fileURLToPath(import.meta.url));

export default defineModule({
  name: 'analytics',
  migrationsDir: join(here, 'migrations'),
  messages,
  routes: analyticsRoutes,
  subscribers: [dispatchIntake, positionIntake, violationKpis, fraudKpis],
  start: async (kernel) => {
    loadPatrolRoads(kernel);
    return async () => {};
  },
});
