import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf } from '../../../../packages/kernel/src/auth/principal.ts';
import { Problem } from '../../../../packages/kernel/src/errors.ts';
import type { Kernel } from '../../../../packages/kernel/src/kernel.ts';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const KEY = /^[A-Za-z0-9_.:-]{8,128}$/;

/**
 * `Idempotency-Key` on writes: a retried request (a patrol tablet on a flaky network, a bank resending after a
 * timeout) gets the first response again instead of doing the work twice. The key is scoped to the caller;
 * reusing it for a different request is a 422. Only successful responses are remembered, for 24 hours.
 */
export function registerIdempotency(app: FastifyInstance, kernel: Kernel) {
  const { db } = kernel;
  // Looks for the first answer to a retried request; true when it was sent again.
  const replay = async (req: FastifyRequest, reply: FastifyReply, key: string): Promise<boolean> => {
    // Anonymous callers are kept apart by what the route names (e.g. a device id), else by client address.
    const principal = req.principal
      ? actorOf(req.principal)
      : `anonymous:${req.routeOptions.config?.idempotencyScope?.(req) ?? `ip:${req.ip}`}`;
    const hash = createHash('sha256')
      .update(`${req.method} ${req.url}\n${JSON.stringify(req.body ?? null)}`)
      .digest('hex');
    const [stored] = await db.query<{ request_hash: string; status: number; body: unknown }>(
      `select request_hash, status, body from kernel_idempotency
       where principal = $1 and key = $2 and created_at > now() - interval '24 hours'`,
      [principal, key],
    );
    if (stored) {
      if (stored.request_hash !== hash) throw new Problem('idempotency_conflict');
      reply.code(stored.status).header('idempotent-replayed', 'true').send(stored.body);
      return true;
    }
    req.idempotency = { principal, key, hash };
    return false;
  };
  // A callback, not async: most requests carry no key and go on in the same turn.
  app.addHook('preHandler', (req, reply, done) => {
    const key = req.headers['idempotency-key'];
    if (key === undefined || !WRITES.has(req.method)) return done();
    if (typeof key !== 'string' || !KEY.test(key)) {
      return done(Problem.validation([{ path: 'header.idempotency-key', code: 'invalid_format', params: { format: '8–128 of A-Z a-z 0-9 _ . : -' } }]));
    }
    replay(req, reply, key).then(
      // A replayed answer is sent: the handler must not run, so `done` is not called.
      (replayed) => (replayed ? undefined : done()),
      (err) => done(err),
    );
  });
  // A callback, not async: nearly every reply has no key, and an async hook would cost it a promise and a turn.
  app.addHook('onSend', (req, reply, payload, done) => {
    const ctx = req.idempotency;
    if (!ctx || reply.statusCode >= 300 || typeof payload !== 'string') return done(null, payload);
    db.query(
      `insert into kernel_idempotency (principal, key, request_hash, status, body, created_at)
       values ($1, $2, $3, $4, $5::jsonb, $6) on conflict (principal, key) do nothing`,
      [ctx.principal, ctx.key, ctx.hash, reply.statusCode, payload, kernel.clock.now().toISOString()],
    ).then(
      () => done(null, payload),
      (err) => done(err),
    );
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { principal: string; key: string; hash: string };
  }
  interface FastifyContextConfig {
    /** For public routes: what keeps anonymous callers' keys apart (called after validation); null = client address. */
    idempotencyScope?: (req: FastifyRequest) => string | null;
  }
}
