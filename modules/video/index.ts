import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { every } from '../../packages/kernel/src/every.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { defineModule } from '../../packages/kernel/src/module.ts';
import { checkSilence } from './cameras.ts';
import { WATCHLIST_CHANGED, WatchlistChanged } from './events.ts';
import { purgeUnmatched } from './ingest.ts';
import { messages } from './messages.ts';
import { startVideoMqtt } from './mqtt.ts';
import { videoRoutes } from './routes.ts';
import { runtime } from './runtime.ts';
import { applyWatchlistChange } from './watchlists.ts';

/**
 * video — cameras and their heartbeat, analytics events (Frigate, ONVIF Profile M, CompreFace, Double Take,
 * DeepStream, ours), face watchlists with legal basis and expiry, alerts → dispatch incidents, abandoned objects and
 * traffic flow. See README.md.
 */
export { ingestEvents } from './ingest.ts';
export type { EmbeddingProvider } from './embedding.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** The periodic checks: silent cameras, unmatched face events past retention, expired entries out of the index. */
export async function runChecks(kernel: Kernel): Promise<{ silent: number; purged: number; expired: number }> {
  const silent = await checkSilence(kernel);
  const purged = await purgeUnmatched(kernel);
  const expired = runtime(kernel).matcher.prune(kernel.clock.now().getTime());
  return { silent: silent.length, purged, expired };
}

export default defineModule({
  name: 'video',
  migrationsDir: join(here, 'migrations'),
  messages,
  routes: async (app, kernel) => videoRoutes(app, kernel),
  start: async (kernel) => {
    const rt = runtime(kernel);
    // Every process keeps its face index in step with entries added or removed anywhere.
    const follow = await kernel.bus.subscribe({ subject: WATCHLIST_CHANGED }, async (e) => {
      const change = WatchlistChanged.safeParse(e.data);
      if (change.success) await applyWatchlistChange(kernel, change.data);
    });
    const stopChecks = every(kernel.log, rt.settings.checkMs, 'video: periodic checks', async () => {
      const r = await runChecks(kernel);
      if (r.silent + r.purged + r.expired > 0) kernel.log.info(r, 'video: checks');
    });
    const mqtt = await startVideoMqtt(kernel);
    return async () => {
      await mqtt?.stop();
      await stopChecks();
      await follow.unsubscribe();
    };
  },
});
