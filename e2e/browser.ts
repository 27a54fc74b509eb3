import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { REPO_ROOT, type RunningServer, type StartOptions, startServer } from './server.ts';

/** Debian's Chromium unless TARTIP_CHROMIUM names another. */
export const CHROMIUM = process.env.TARTIP_CHROMIUM ?? '/usr/bin/chromium';

// Headless Chromium has no GPU here: ANGLE on SwiftShader gives MapLibre a software WebGL 2 context.
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-swiftshader',
  '--use-angle=swiftshader',
];

export interface E2eEnv {
  server: RunningServer;
  browser: Browser;
  /** Where screenshots go: $TARTIP_E2E_SCREENSHOTS or a fresh temp dir (printed). */
  shots: string;
}

/**
 * Starts a fresh server and Chromium for the test file (beforeAll) and stops both (afterAll). The returned function
 * gives each test the environment, or rethrows why it could not start: a missing Chromium or a broken server shows
 * up as failed tests, never as skipped ones. `server` is passed to `startServer` (e.g. extra settings in `env`).
 */
export function e2eEnvironment(server: StartOptions = {}): () => E2eEnv {
  let env: E2eEnv | null = null;
  let setupError: unknown = null;
  let running: RunningServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    try {
      if (!existsSync(CHROMIUM))
        throw new Error(`Chromium not found at ${CHROMIUM} (install Debian's chromium or set TARTIP_CHROMIUM)`);
      if (!existsSync(join(REPO_ROOT, 'apps/web/dist/index.html')))
        throw new Error('apps/web/dist is missing: run `npm run build:web` first (`npm test` does)');
      const shots = process.env.TARTIP_E2E_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'tartip-e2e-shots-'));
      mkdirSync(shots, { recursive: true });
      // Both at once; allSettled so that neither is left running unrecorded when the other fails.
      const [s, b] = await Promise.allSettled([
        startServer(server).then((v) => (running = v)),
        chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 }).then((v) => (browser = v)),
      ]);
      if (s.status === 'rejected') throw s.reason;
      if (b.status === 'rejected') throw b.reason;
      env = { server: s.value, browser: b.value, shots };
      console.log(`e2e: server ${s.value.url}, screenshots in ${shots}`);
    } catch (e) {
      setupError = e;
    }
  });

  afterAll(async () => {
    await browser?.close();
    await running?.stop();
  });

  return () => {
    if (!env) throw setupError ?? new Error('e2e setup did not run');
    return env;
  };
}

/** Fills the login form and submits it. */
export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  await page.locator('form button[type="submit"]').click();
}

/** A page in a fresh browser context (30 s timeouts), with the page's uncaught errors collected for the test to check. */
export async function openPage(e: E2eEnv, options: BrowserContextOptions = {}): Promise<{ ctx: BrowserContext; page: Page; pageErrors: string[] }> {
  const ctx = await e.browser.newContext(options);
  const page = await ctx.newPage();
  page.setDefaultTimeout(30_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  return { ctx, page, pageErrors };
}

/** A demo account's access token (password `demo`), for setting a test up through the API. */
export async function demoToken(base: string, username: string): Promise<string> {
  const res = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'demo' }) });
  if (res.status !== 200) throw new Error(`demo login as ${username} failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}
