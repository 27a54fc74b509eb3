import type { FastifyInstance } from 'fastify';
import client from 'prom-client';
import { Problem } from '../../../../packages/kernel/src/errors.ts';
import type { Kernel } from '../../../../packages/kernel/src/kernel.ts';
import { publicAccess } from './context.ts';
import { sendProblem } from './problems.ts';
import type { StreamHub } from './stream.ts';

/** Liveness, readiness and Prometheus metrics. */
export async function operationsRoutes(app: FastifyInstance, kernel: Kernel, hub: StreamHub) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'tartip_' });
  const duration = new client.Histogram({
    name: 'tartip_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new client.Gauge({
    name: 'tartip_stream_clients',
    help: 'Connected Server-Sent Events clients',
    registers: [registry],
    collect() {
      this.set(hub.size);
    },
  });
  new client.Gauge({
    name: 'tartip_outbox_pending',
    help: 'Outbox events not yet published',
    registers: [registry],
    async collect() {
      this.set(await kernel.relay.pending().catch(() => -1));
    },
  });
  new client.Counter({
    name: 'tartip_outbox_published_total',
    help: 'Outbox events published by this process',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(kernel.relay.published);
    },
  });

  app.addHook('onResponse', (req, reply, done) => {
    duration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });

  const hide = { hide: true };
  app.get('/health/live', { config: { access: publicAccess }, schema: hide, logLevel: 'warn' }, async () => ({ status: 'live' }));
  app.get('/health/ready', { config: { access: publicAccess }, schema: hide, logLevel: 'warn' }, async (req, reply) => {
    const checks = await Promise.allSettled([kernel.db.ping(), kernel.bus.ping()]);
    const failed = ['database', 'bus'].filter((_, i) => checks[i].status === 'rejected');
    if (failed.length > 0) return sendProblem(req, reply, new Problem('unavailable', { reason: failed.join(', ') }));
    return { status: 'ready', database: kernel.db.kind, bus: kernel.bus.kind };
  });
  app.get('/metrics', { config: { access: publicAccess }, schema: hide, logLevel: 'warn' }, async (_req, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
}
