import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { Clock } from '../../../packages/kernel/src/clock.ts';
import { seedDemo } from '../../../packages/kernel/src/demo.ts';
import type { Kernel } from '../../../packages/kernel/src/kernel.ts';
import { testKernel } from '../../../packages/kernel/src/testing.ts';
import { migrationsOf } from '../../../packages/kernel/src/module.ts';
import { buildApp } from './app.ts';
import { MODULES } from './modules.ts';
import type { StreamHub } from './http/stream.ts';

export interface TestServer {
  app: FastifyInstance;
  kernel: Kernel;
  hub: StreamHub;
  /** Signs in a demo account (password `demo`) and returns its access token (cached). */
  token(username: string): Promise<string>;
  /** `app.inject` as a signed-in demo account. */
  as(username: string, options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** The whole HTTP application on fresh storage with the demo accounts, for integration tests. */
export async function testServer(options: { clock?: Clock; env?: Record<string, string> } = {}): Promise<TestServer> {
  const kernel = await testKernel({ ...options, migrations: migrationsOf(MODULES) });
  await seedDemo(kernel);
  const { app, hub } = await buildApp(kernel);
  await app.ready();
  kernel.relay.start();
  const tokens = new Map<string, string>();
  const token = async (username: string) => {
    let t = tokens.get(username);
    if (!t) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: 'demo' } });
      if (res.statusCode !== 200) throw new Error(`login as ${username} failed: ${res.body}`);
      t = res.json().accessToken as string;
      tokens.set(username, t);
    }
    return t;
  };
  return {
    app,
    kernel,
    hub,
    token,
    async as(username, opts) {
      return app.inject({ ...opts, headers: { ...opts.headers, authorization: `Bearer ${await token(username)}` } });
    },
    async close() {
      await app.close();
      await kernel.close();
    },
  };
}

/** The JSON body of a response that must have `status` (the body is shown when it has not). */
export function ok(res: LightMyRequestResponse, status = 200) {
  expect(res.statusCode, res.body).toBe(status);
  return res.json();
}

/** The RFC 9457 body of a refusal that must have `status` and the stable `code`. */
export function problem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body).toMatchObject({ status, code });
  return body as ProblemBody;
}

/** What a problem response carries (RFC 9457 plus the platform's field errors). */
export type ProblemBody = {
  status: number;
  code: string;
  title: string;
  detail: string;
  errors: { path: string; code: string; message: string }[];
  // biome-ignore lint/suspicious/noExplicitAny: tests read module-specific extensions freely
  [extension: string]: any;
};


/** Polls `probe` every 50 ms until it gives a value (truthy), failing after `timeoutMs` with what was awaited. */
export async function until<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
