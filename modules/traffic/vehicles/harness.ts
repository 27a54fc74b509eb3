/**
 * Test harness for the vehicles and roads parts: the whole HTTP application with these parts mounted, on fresh
 * storage with the demo accounts. When the composition root already lists the `traffic` module (which composes
 * the parts), that module is used as it is; until then a stand-in `traffic` module made of just these parts, with
 * only their migrations (0100 and up), is mounted next to the others.
 */
import { join } from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../../apps/server/src/app.ts';
import { MODULES } from '../../../apps/server/src/modules.ts';
import type { TestServer } from '../../../apps/server/src/testing.ts';
import type { Clock } from '../../../packages/kernel/src/clock.ts';
import { readMigrations } from '../../../packages/kernel/src/db/migrate.ts';
import { seedDemo } from '../../../packages/kernel/src/demo.ts';
import { REPO_ROOT } from '../../../packages/kernel/src/kernel.ts';
import { defineModule, migrationsOf, type ModuleDefinition } from '../../../packages/kernel/src/module.ts';
import { testKernel } from '../../../packages/kernel/src/testing.ts';
import type { NewViolation, TrafficPart, ViolationSink } from '../contract.ts';

const MIGRATIONS_DIR = join(REPO_ROOT, 'modules/traffic/migrations');

/** A `traffic` module made of `parts` only (their routes, subscribers, messages and background work). */
export function partsModule(parts: TrafficPart[]): ModuleDefinition {
  const messages = { ru: {}, kk: {}, en: {} };
  for (const p of parts) for (const l of ['ru', 'kk', 'en'] as const) Object.assign(messages[l], p.messages?.[l]);
  return defineModule({
    name: 'traffic',
    messages,
    routes: async (app, kernel) => {
      for (const p of parts) await p.routes?.(app, kernel);
    },
    subscribers: parts.flatMap((p) => p.subscribers ?? []),
    start: async (kernel) => {
      const stops: (() => Promise<void>)[] = [];
      for (const p of parts) if (p.start) stops.push(await p.start(kernel));
      return async () => {
        for (const s of stops.reverse()) await s();
      };
    },
  });
}

/** The test server, and whether the real module was mounted. */
export interface PartsServer extends TestServer {
  /** True when the real `traffic` module (index.ts) is mounted. */
  composed: boolean;
}

export async function partsServer(parts: TrafficPart[], options: { clock?: Clock; env?: Record<string, string> } = {}): Promise<PartsServer> {
  const composed = MODULES.some((m) => m.name === 'traffic');
  const modules = composed ? MODULES : [...MODULES, partsModule(parts)];
  const migrations = composed
    ? migrationsOf(modules)
    : [...migrationsOf(MODULES), ...readMigrations('traffic', MIGRATIONS_DIR).filter((m) => m.name >= '0100')];
  const kernel = await testKernel({ ...options, migrations });
  await seedDemo(kernel);
  const { app, hub } = await buildApp(kernel, modules);
  await app.ready();
  kernel.relay.start();
  // Tokens are cached, and taken again when the kernel's clock (which tests move) has gone past 10 minutes.
  const tokens = new Map<string, { token: string; at: number }>();
  const token = async (username: string) => {
    const now = kernel.clock.now().getTime();
    const cached = tokens.get(username);
    if (cached && Math.abs(now - cached.at) < 600_000) return cached.token;
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: 'demo' } });
    if (res.statusCode !== 200) throw new Error(`login as ${username} failed: ${res.body}`);
    const t = res.json().accessToken as string;
    tokens.set(username, { token: t, at: now });
    return t;
  };
  return {
    app,
    kernel,
    hub,
    composed,
    token,
    async as(username: string, opts: InjectOptions): Promise<LightMyRequestResponse> {
      return app.inject({ ...opts, headers: { ...opts.headers, authorization: `Bearer ${await token(username)}` } });
    },
    async close() {
      await app.close();
      await kernel.close();
    },
  };
}

/** A violation sink that keeps what it is given (and files each source key once, like the real path). */
export class MemorySink implements ViolationSink {
  readonly filed: NewViolation[] = [];
  private readonly keys = new Set<string>();
  async record(violations: NewViolation[]): Promise<void> {
    for (const v of violations) {
      if (this.keys.has(v.sourceKey)) continue;
      this.keys.add(v.sourceKey);
      this.filed.push(v);
    }
  }
}

/** Polls `fn` until it gives a truthy value. */
export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
