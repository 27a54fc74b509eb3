import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { defineModule } from '../../packages/kernel/src/module.ts';
import { loadFraudSettings } from './config/settings.ts';
import { MESSAGES } from './messages.ts';
import { fraudRoutes } from './routes.ts';
import { FraudRuntime } from './runtime.ts';

const runtimes = new WeakMap<Kernel, FraudRuntime>();

/**
 * One runtime per kernel (indicator set, roaming table, call and payment streams, decision recorder). The
 * `TARTIP_FRAUD_*` settings are validated the first time the module is touched at start: a bad value throws
 * ConfigError naming the variable and the process refuses to start.
 */
export function fraudRuntime(kernel: Kernel): FraudRuntime {
  let rt = runtimes.get(kernel);
  if (!rt) {
    rt = new FraudRuntime(kernel, loadFraudSettings(kernel.config.env ?? process.env, kernel.config.mode));
    runtimes.set(kernel, rt);
  }
  return rt;
}

/** Anti-fraud early warning: shared indicators, call screening (switches), transaction screening (banks), feedback. */
export default defineModule({
  name: 'fraud',
  migrationsDir: join(dirname(fileURLToPath(import.meta.url)), 'migrations'),
  messages: MESSAGES,
  routes: async (app, kernel) => fraudRoutes(app, kernel, fraudRuntime(kernel)),
  start: async (kernel) => {
    const rt = fraudRuntime(kernel);
    await rt.start();
    return () => rt.stop();
  },
});
