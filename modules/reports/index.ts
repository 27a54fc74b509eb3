import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { defineModule } from '../../packages/kernel/src/module.ts';
import { loadReportsSettings } from './config/settings.ts';
import { MESSAGES } from './messages.ts';
import { open311Routes } from './open311.ts';
import { reportRoutes } from './routes.ts';
import { INCIDENT_GROUP, ReportsService } from './service.ts';
import { WebhookWorker } from './webhooks.ts';

interface Runtime {
  service: ReportsService;
  worker: WebhookWorker;
}

const runtimes = new WeakMap<Kernel, Runtime>();

/**
 * One service and one webhook worker per kernel. The `TARTIP_REPORTS_*` settings are validated here, the first
 * time the module is touched at start: a bad value throws ConfigError naming the variable and the process refuses
 * to start.
 */
function runtime(kernel: Kernel): Runtime {
  let rt = runtimes.get(kernel);
  if (!rt) {
    const settings = loadReportsSettings(kernel.config.env ?? process.env);
    const service = new ReportsService(kernel, settings);
    const worker = new WebhookWorker(kernel, settings);
    service.onDeliveriesQueued = () => worker.poke();
    rt = { service, worker };
    runtimes.set(kernel, rt);
  }
  return rt;
}

/** Citizen reports: the one-click API, Open311 GeoReport v2, tracking, staff views, partners' webhooks. */
export default defineModule({
  name: 'reports',
  migrationsDir: join(dirname(fileURLToPath(import.meta.url)), 'migrations'),
  messages: MESSAGES,
  routes: async (app, kernel) => {
    const { service } = runtime(kernel);
    await reportRoutes(app, kernel, service);
    await app.register(open311Routes(kernel, service), { prefix: '/open311/v2' });
  },
  subscribers: [
    {
      // dispatch.incident.created and dispatch.incident.updated (anything else under the prefix is ignored).
      subject: 'dispatch.incident.>',
      group: INCIDENT_GROUP,
      handleBatch: (events, kernel) => runtime(kernel).service.onIncidentEvents(events),
    },
  ],
  start: async (kernel) => {
    const { worker } = runtime(kernel);
    worker.start();
    return () => worker.stop();
  },
});
