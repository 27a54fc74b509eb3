import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { Problem } from '../../../packages/kernel/src/errors.ts';
import { negotiateLocale } from '../../../packages/kernel/src/i18n/index.ts';
import { newId } from '../../../packages/kernel/src/ids.ts';
import { type ModuleDefinition, registerMessages } from '../../../packages/kernel/src/module.ts';
import { type Kernel, REPO_ROOT } from '../../../packages/kernel/src/kernel.ts';
import { registerAuthentication } from './http/authenticate.ts';
import { publicAccess } from './http/context.ts';
import { registerIdempotency } from './http/idempotency.ts';
import { kernelRoutes } from './http/kernel-routes.ts';
import { operationsRoutes } from './http/operations.ts';
import { registerProblemHandlers, sendProblem, validatorCompiler } from './http/problems.ts';
import { registerRateLimits } from './http/rate-limit.ts';
import { serializerCompiler } from './http/serializer.ts';
import { StreamHub, streamRoutes } from './http/stream.ts';
import { MODULES } from './modules.ts';

export function redactUrl(url: string): string {
  return url.replace(/([?&]access_token=)[^&]*/g, '$1[redacted]');
}

export interface TartipApp {
  app: FastifyInstance;
  hub: StreamHub;
}

const API_DESCRIPTION = `Tártip — the platform of Kazakhstan's «Закон и Порядок» programme.

Staff authenticate with \`POST /api/v1/auth/login\` and send \`Authorization: Bearer <accessToken>\`. Partner systems
(the 102 app, eGov, banks, telecom operators, camera vendors) send \`X-API-Key\`. Errors are RFC 9457 problem
details with a stable \`code\`, localised by \`Accept-Language\` (ru, kk, en).`;

/** Composes the HTTP application: kernel routes, the stream, operations endpoints, docs and the web build. */
export async function buildApp(kernel: Kernel, modules: ModuleDefinition[] = MODULES): Promise<TartipApp> {
  registerMessages(modules);
  const app: FastifyInstance = Fastify({
    loggerInstance: kernel.log.child(
      { component: 'http' },
      // Tokens passed in a query string (the SSE route) never reach the logs.
      { serializers: { req: (req: { method: string; url: string; id: string }) => ({ method: req.method, url: redactUrl(req.url), id: req.id }) } },
    ) as FastifyBaseLogger,
    bodyLimit: kernel.config.bodyLimit,
    requestIdHeader: 'x-request-id',
    genReqId: () => newId(),
    trustProxy: kernel.config.mode === 'production',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // A path with broken percent-encoding never reaches a route; answer it as a problem like every other error.
    frameworkErrors: (_err, req, reply) => {
      req.locale = negotiateLocale(req.headers['accept-language']);
      sendProblem(req, reply, Problem.validation([{ path: 'url', code: 'invalid_format', params: { format: 'url' } }]));
    },
  });
  app.setValidatorCompiler(validatorCompiler as never);
  app.setSerializerCompiler(serializerCompiler);
  registerProblemHandlers(app, kernel.config.bodyLimit);

  // Routes outside /api (web build, docs) are public; every /api route must declare its access.
  app.addHook('onRoute', (route) => {
    const open = !route.url.startsWith('/api/') || route.url.startsWith('/api/docs') || route.url === '/api/openapi.json';
    if (open && !route.config?.access) route.config = { ...route.config, access: publicAccess };
  });
  // Hooks that run on every request and wait for nothing take a callback: an async one costs a promise and a turn.
  app.addHook('onSend', (req, reply, payload, done) => {
    reply.header('x-request-id', req.id);
    done(null, payload);
  });

  registerRateLimits(app, kernel.clock);
  registerAuthentication(app, kernel);
  registerIdempotency(app, kernel);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Tártip API', version: '1.0.0', description: API_DESCRIPTION, license: { name: 'Apache-2.0' } },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  const hub = new StreamHub(kernel);
  await kernelRoutes(app, kernel);
  await streamRoutes(app, hub);
  await operationsRoutes(app, kernel, hub);
  for (const m of modules) await m.routes?.(app, kernel);
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const webDir = kernel.config.webDir ?? join(REPO_ROOT, 'apps/web/dist');
  if (existsSync(join(webDir, 'index.html'))) {
    await app.register(fastifyStatic, { root: webDir, wildcard: false, index: ['index.html'] });
    // Client-side routes: any other GET outside /api gets the app shell.
    app.get('/*', { schema: { hide: true } }, async (req, reply) => {
      // A missing API route or asset (e.g. after a rebuild) is a 404, not the app shell.
      if (req.url.startsWith('/api/') || req.url.startsWith('/assets/')) throw Problem.notFound();
      return reply.type('text/html').sendFile('index.html');
    });
  }
  await hub.start();
  // Reactions first: from here on, every command (a module's start work included) runs them.
  for (const m of modules) {
    for (const s of m.subscribers ?? []) {
      if ('react' in s) kernel.commands.addReaction({ subject: s.subject, name: s.group, react: (uow, events) => s.react(uow, events, kernel) });
    }
  }
  const stops: (() => Promise<void>)[] = [];
  for (const m of modules) {
    for (const s of m.subscribers ?? []) {
      if ('react' in s) continue;
      const sub =
        'handleBatch' in s
          ? await kernel.bus.subscribeBatch({ subject: s.subject, group: s.group, maxBatch: s.maxBatch }, (events) => s.handleBatch(events, kernel))
          : await kernel.bus.subscribe({ subject: s.subject, group: s.group }, (event) => s.handle(event, kernel));
      stops.push(() => sub.unsubscribe());
    }
    if (m.start) stops.push(await m.start(kernel));
  }
  // Streams are long-lived: end them before the server waits for open connections to finish.
  app.addHook('preClose', async () => hub.stop());
  app.addHook('onClose', async () => {
    for (const stop of stops.reverse()) await stop();
  });
  return { app, hub };
}
