import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineModule } from '../../packages/kernel/src/module.ts';
import { reportIntake } from './intake.ts';
import { messages } from './messages.ts';
import { startMqtt } from './mqtt.ts';
import { dispatchRoutes } from './routes.ts';
import { loadRoadNetwork, runtime } from './runtime.ts';
import { seedDemoUnits } from './seed.ts';
import { startTimers } from './timers.ts';

/**
 * dispatch — the operations centre: incidents and their lifecycle, units and their positions, recommendations,
 * assignments, SLA timers, panic, premise flags. See README.md.
 */
export { flagPremise, raiseIncident } from './api.ts';
export type { FlagPremiseInput, RaiseIncidentInput, RaisedIncident } from './api.ts';

const here = dirname(fileURLToPath(import.meta.url));

export default defineModule({
  name: 'dispatch',
  migrationsDir: join(here, 'migrations'),
  messages,
  routes: async (app, kernel) => {
    runtime(kernel); // validates TARTIP_DISPATCH_* before the server listens: a bad value stops the start
    await dispatchRoutes(app, kernel);
  },
  subscribers: [reportIntake],
  start: async (kernel) => {
    loadRoadNetwork(kernel);
    const seeded = await seedDemoUnits(kernel);
    if (seeded > 0) kernel.log.info({ units: seeded }, 'dispatch: demo units seeded');
    const stopTimers = startTimers(kernel);
    const mqtt = await startMqtt(kernel);
    return async () => {
      await stopTimers();
      await mqtt?.stop();
    };
  },
});
