import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../../../../packages/kernel/src/auth/principal.ts';
import { covers } from '../../../../packages/kernel/src/auth/jurisdiction.ts';
import type { Permission } from '../../../../packages/kernel/src/auth/roles.ts';
import { type BusEvent, subjectMatches, type Subscription } from '../../../../packages/kernel/src/bus/types.ts';
import type { Kernel } from '../../../../packages/kernel/src/kernel.ts';
import { staff } from './context.ts';
import { userOf } from './authenticate.ts';

interface Client {
  principal: Extract<Principal, { kind: 'user' }>;
  topics: string[];
  reply: FastifyReply;
}

/** May this person see this event? Their permissions and jurisdictions decide. */
export function visibleTo(principal: Extract<Principal, { kind: 'user' }>, event: BusEvent): boolean {
  if (event.permission && !principal.permissions.has(event.permission as Permission)) return false;
  if (event.jurisdiction === null) return true;
  return covers(principal.jurisdictions, event.jurisdiction);
}

/**
 * One live bus subscription per process, fanned out to every connected browser or tablet, each getting only
 * the events its holder may see. Every process sees every event (live subscriptions are fan-out), so a
 * change made through any process reaches streams on all of them.
 */
export class StreamHub {
  private readonly clients = new Set<Client>();
  private subscription: Subscription | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  delivered = 0;

  constructor(private readonly kernel: Kernel) {}

  get size(): number {
    return this.clients.size;
  }

  async start(): Promise<void> {
    this.subscription = await this.kernel.bus.subscribe({ subject: '>' }, async (event) => this.dispatch(event));
    this.heartbeat = setInterval(() => {
      for (const c of this.clients) c.reply.raw.write(': keep-alive\n\n');
    }, 15_000);
    this.heartbeat.unref();
  }

  dispatch(event: BusEvent): void {
    const frame = `id: ${event.id}\nevent: ${event.subject}\ndata: ${JSON.stringify(event)}\n\n`;
    for (const c of this.clients) {
      if (!c.topics.some((t) => subjectMatches(t, event.subject))) continue;
      if (!visibleTo(c.principal, event)) continue;
      c.reply.raw.write(frame);
      this.delivered++;
    }
  }

  add(client: Client): () => void {
    this.clients.add(client);
    return () => this.clients.delete(client);
  }

  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.subscription?.unsubscribe();
    for (const c of this.clients) c.reply.raw.end();
    this.clients.clear();
  }
}

const Topic = z.string().regex(/^[a-z0-9_-]+(\.([a-z0-9_-]+|\*))*(\.>)?$|^>$/);

export async function streamRoutes(app: FastifyInstance, hub: StreamHub) {
  app.get(
    '/api/v1/stream',
    {
      config: { access: staff('stream:read') },
      schema: {
        tags: ['stream'],
        summary: 'Server-Sent Events: live events the caller may see (filtered by permission and jurisdiction)',
        description:
          'Each event is `id: <event id>`, `event: <subject>`, `data: <BusEvent JSON>`. `topics` is a comma-separated list of NATS-style subject filters (default `>`). Browsers pass the access token as `access_token`.',
        querystring: z.strictObject({
          topics: z
            .string()
            .max(1000)
            .default('>')
            .transform((s) => s.split(',').map((t) => t.trim()))
            .pipe(z.array(Topic).min(1).max(20)),
          access_token: z.string().max(4096).optional(),
        }),
      },
    },
    async (req, reply) => {
      const { topics } = req.query as { topics: string[] };
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': String(req.id),
      });
      reply.raw.write('retry: 3000\n: connected\n\n');
      const remove = hub.add({ principal: userOf(req), topics, reply });
      req.raw.on('close', remove);
    },
  );
}
