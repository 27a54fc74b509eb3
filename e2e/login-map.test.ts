import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { messages } from '../apps/web/src/i18n.ts';
import { CHROMIUM, CHROMIUM_ARGS, type E2eEnv, e2eEnvironment, signIn } from './browser.ts';
import { decodePng, shareOfColour } from './png.ts';

/**
 * The web app in a real Chromium against the real server: sign-in, the Kazakh interface, the map of
 * Kazakhstan with its 20 regions drawn by MapLibre (WebGL through SwiftShader), localised server errors and
 * role-based navigation. Screenshots go to $TARTIP_E2E_SCREENSHOTS or a fresh temp dir (printed).
 */

const kk = messages.kk;

const setup = e2eEnvironment();

interface Session {
  ctx: BrowserContext;
  page: Page;
  /** Accept-Language of every /api request, in order. */
  apiLanguages: { url: string; lang: string | undefined }[];
  pageErrors: string[];
}

async function open(e: E2eEnv, viewport = { width: 1280, height: 800 }): Promise<Session> {
  const ctx = await e.browser.newContext({ viewport, locale: 'en-US' });
  const page = await ctx.newPage();
  page.setDefaultTimeout(30_000);
  const apiLanguages: Session['apiLanguages'] = [];
  const pageErrors: string[] = [];
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.pathname.startsWith('/api/')) apiLanguages.push({ url: url.pathname, lang: req.headers()['accept-language'] });
  });
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(`${e.server.url}/`);
  return { ctx, page, apiLanguages, pageErrors };
}

async function navSections(page: Page): Promise<string[]> {
  return page.locator('#app-nav a[data-section]').evaluateAll((els) => els.map((a) => a.getAttribute('data-section') ?? ''));
}

describe('web app against the real server', () => {
  test('operator signs in, switches to Kazakh and sees the map of Kazakhstan', async () => {
    const e = setup();
    const { ctx, page, apiLanguages, pageErrors } = await open(e);
    try {
      // Russian is the default.
      expect(await page.getAttribute('html', 'lang')).toBe('ru');
      await expect.poll(() => page.locator('main.login h2').textContent()).toBe('Вход в систему');
      await expect.poll(() => page.locator('.login .hint').textContent()).toContain('operator');

      await signIn(page, 'operator', 'demo');
      await page.locator('.app-header').waitFor();
      await page.locator('.lang-switcher button[data-lang="kk"]').first().click();
      await expect.poll(() => page.getAttribute('html', 'lang')).toBe('kk');
      expect(await page.evaluate(() => localStorage.getItem('tartip.lang'))).toBe('kk');

      // Header and navigation in Kazakh.
      const header = ((await page.locator('.app-header').textContent()) ?? '').replace(/\s+/g, ' ');
      expect(header).toContain('Тәртіп / Tártip');
      expect(header).toContain('Шығу'); // «Sign out»
      expect(header).toContain('Оператор ЦОУ Алматы'); // the display name from the server
      const nav = await page.locator('#app-nav').textContent();
      expect(nav).toContain('Жедел басқару орталығы'); // Operations centre (dispatch:read)
      expect(nav).toContain('Азаматтардың өтініштері'); // Citizen reports (reports:read)
      expect(nav).toContain(kk['nav.map']);
      expect(nav).not.toContain('Оперативный центр');
      expect(await navSections(page)).toEqual(['map', 'dispatch', 'reports', 'video']);

      // The region list: 20 regions with their Kazakh names (geokz ADM1_KK).
      const names = page.locator('[data-testid="region-list"] .region-name');
      await expect.poll(() => names.count(), { timeout: 30_000 }).toBe(20);
      const texts = await names.allInnerTexts();
      expect(texts).toContain('Алматы');
      expect(texts).toContain('Алматы (қала)');
      expect(texts).toContain('Ақмола');
      expect(texts).toContain('Ақтөбе');
      expect(texts).toContain('Ұлытау');
      expect(texts).not.toContain('Акмолинская');
      expect([...texts].sort(new Intl.Collator('kk').compare)).toEqual(texts);

      // The map: MapLibre has the regions source with all 20 features and has drawn them.
      await page.waitForFunction(
        () => {
          const m = (window as unknown as { __tartipMap?: TestMap }).__tartipMap;
          return !!m && !!m.getSource('regions') && m.isSourceLoaded('regions') && m.loaded();
        },
        undefined,
        { timeout: 60_000 },
      );
      expect(await page.getAttribute('[data-testid="map"]', 'data-state')).toBe('ready');
      const mapInfo = await page.evaluate(async () => {
        const m = (window as unknown as { __tartipMap: TestMap }).__tartipMap;
        const data = (await m.getSource('regions')!.getData()) as { features: { properties: { kato: string } }[] };
        const rendered = new Set(m.queryRenderedFeatures({ layers: ['regions-fill'] }).map((f) => f.properties.kato));
        const districts = (await m.getSource('districts')!.getData()) as { features: unknown[] };
        return {
          features: data.features.length,
          katos: new Set(data.features.map((f) => f.properties.kato)).size,
          rendered: rendered.size,
          districts: districts.features.length,
          label: m.getLayoutProperty('regions-label', 'text-field'),
          zoom: m.getZoom(),
          center: m.getCenter(),
        };
      });
      expect(mapInfo.features).toBe(20);
      expect(mapInfo.katos).toBe(20);
      expect(mapInfo.rendered).toBe(20);
      expect(mapInfo.districts).toBe(224);
      expect(mapInfo.label).toEqual(['get', 'name_kk']);
      // Fitted to Kazakhstan (roughly 46–87°E, 40–56°N).
      expect(mapInfo.center.lng).toBeGreaterThan(60);
      expect(mapInfo.center.lng).toBeLessThan(73);
      expect(mapInfo.center.lat).toBeGreaterThan(44);
      expect(mapInfo.center.lat).toBeLessThan(52);

      const attribution = page.locator('.maplibregl-ctrl-attrib');
      expect(await attribution.textContent()).toContain('Boundaries: geokz, Alexander Rodionov, CC BY 4.0');
      expect(await attribution.locator('a[href="https://github.com/arodionoff/geokz"]').count()).toBe(1);
      await page.screenshot({ path: join(e.shots, '1-map-kk.png') });

      // … and it is really on screen and really drawn: a large canvas whose pixels are mostly the plain
      // background (#dce3ea) and the region fill (#93c5fd at 40 % over it), and the region under Karaganda's
      // label point is Karaganda.
      const box = await page.locator('[data-testid="map"] canvas').boundingBox();
      expect(box?.width).toBeGreaterThan(500);
      expect(box?.height).toBeGreaterThan(500);
      const pixels = decodePng(await page.screenshot({ clip: box! }));
      expect(shareOfColour(pixels, [0xdc, 0xe3, 0xea])).toBeGreaterThan(0.2);
      expect(shareOfColour(pixels, [191, 215, 242])).toBeGreaterThan(0.08);
      const underLabel = await page.evaluate(async () => {
        const m = (window as unknown as { __tartipMap: TestMap }).__tartipMap;
        const labels = (await m.getSource('region-labels')!.getData()) as {
          features: { geometry: { coordinates: [number, number] }; properties: { kato: string } }[];
        };
        const karaganda = labels.features.find((f) => f.properties.kato === '350000000')!;
        const pt = m.project(karaganda.geometry.coordinates);
        return m.queryRenderedFeatures([pt.x, pt.y], { layers: ['regions-fill'] }).map((f) => f.properties.kato);
      });
      expect(underLabel).toEqual(['350000000']);

      // Picking a region in the list shows its KATO and its districts, and flies the map there.
      await page.locator('[data-testid="region-list"] button[data-kato="110000000"]').click();
      await expect.poll(() => page.locator('[data-testid="region-kato"]').textContent()).toBe('110000000');
      expect(await page.locator('#region-panel-title').textContent()).toBe('Ақмола');
      await expect.poll(() => page.locator('[data-testid="district-list"] li').count()).toBeGreaterThan(5);
      await expect
        .poll(() => page.evaluate(() => (window as unknown as { __tartipMap: TestMap }).__tartipMap.getZoom()), { timeout: 10_000 })
        .toBeGreaterThan(mapInfo.zoom + 0.5);
      await page.waitForFunction(() => !(window as unknown as { __tartipMap: TestMap }).__tartipMap.isMoving());
      await page.screenshot({ path: join(e.shots, '2-region-akmola-kk.png') });

      // Every API call carried the interface language: Russian before the switch, Kazakh after it.
      const geo = apiLanguages.filter((r) => r.url.startsWith('/api/v1/geo/'));
      expect(geo.length).toBeGreaterThanOrEqual(2);
      expect(apiLanguages.find((r) => r.url === '/api/v1/auth/login')?.lang).toBe('ru');
      for (const r of apiLanguages) expect(r.lang, r.url).toMatch(/^(ru|kk)$/);

      // The language and the session survive a reload.
      await page.reload();
      await page.locator('.app-header').waitFor();
      expect(await page.getAttribute('html', 'lang')).toBe('kk');
      await expect.poll(() => names.count(), { timeout: 30_000 }).toBe(20);
      expect(apiLanguages.filter((r) => r.url.startsWith('/api/v1/geo/')).at(-1)?.lang).toBe('kk');
      expect(pageErrors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  test('a wrong password shows the server’s Kazakh error in the alert region', async () => {
    const e = setup();
    const { ctx, page, apiLanguages } = await open(e);
    try {
      await page.locator('.lang-switcher button[data-lang="kk"]').click();
      await expect.poll(() => page.getAttribute('html', 'lang')).toBe('kk');
      expect(await page.locator('main.login h2').textContent()).toBe(kk['login.title']);
      expect(await page.locator('label[for="password"]').textContent()).toBe('Құпиясөз');

      await signIn(page, 'operator', 'not-the-password');
      const alert = page.locator('main.login [role="alert"]');
      await expect.poll(() => alert.textContent()).not.toBe('');
      const shown = ((await alert.textContent()) ?? '').trim();

      // Exactly the `detail` the server sends for Accept-Language: kk …
      const res = await fetch(`${e.server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'accept-language': 'kk' },
        body: JSON.stringify({ username: 'operator', password: 'not-the-password' }),
      });
      expect(res.status).toBe(401);
      const problem = (await res.json()) as { detail: string; code: string };
      expect(shown).toBe(problem.detail);
      // … which is Kazakh: Kazakh-only letters, and the word for password.
      expect(shown).toMatch(/[әғқңөұүһі]/i);
      expect(shown.toLowerCase()).toContain('құпиясөз');
      expect(apiLanguages.find((r) => r.url === '/api/v1/auth/login')?.lang).toBe('kk');
      // Still on the login page, not signed in.
      expect(await page.locator('.app-header').count()).toBe(0);
      expect(await page.evaluate(() => sessionStorage.getItem('tartip.session'))).toBeNull();
      await page.screenshot({ path: join(e.shots, '3-login-error-kk.png') });
    } finally {
      await ctx.close();
    }
  });

  test('an officer does not see Users and Audit; an admin does, and can open them', async () => {
    const e = setup();
    const { ctx, page } = await open(e);
    try {
      await signIn(page, 'officer', 'demo');
      await page.locator('.app-header').waitFor();
      const officer = await navSections(page);
      expect(officer).toContain('dispatch');
      expect(officer).not.toContain('users');
      expect(officer).not.toContain('audit');
      expect(await page.locator('#app-nav').textContent()).not.toContain('Пользователи');
      // Typing the address does not help either.
      await page.goto(`${e.server.url}/#/users`);
      await expect.poll(() => page.locator('main.content').textContent()).toContain(messages.ru['error.forbidden']);

      await page.locator('.app-header .logout').click();
      await page.locator('main.login').waitFor();
      expect(await page.evaluate(() => sessionStorage.getItem('tartip.session'))).toBeNull();

      await signIn(page, 'admin', 'demo');
      await page.locator('.app-header').waitFor();
      const admin = await navSections(page);
      expect(admin).toContain('users');
      expect(admin).toContain('audit');
      expect(await page.locator('#app-nav').textContent()).toContain('Пользователи');

      await page.locator('#app-nav a[data-section="users"]').click();
      const users = page.locator('[data-testid="users-table"] tbody tr');
      await expect.poll(() => users.count()).toBeGreaterThanOrEqual(11);
      const usersText = await page.locator('[data-testid="users-table"]').textContent();
      expect(usersText).toContain('operator');
      expect(usersText).toContain('officer');
      await page.screenshot({ path: join(e.shots, '4-users-admin.png') });

      await page.locator('#app-nav a[data-section="audit"]').click();
      const audit = page.locator('[data-testid="audit-table"] tbody tr');
      await expect.poll(() => audit.count()).toBeGreaterThan(0);
      expect(await page.locator('[data-testid="audit-table"]').textContent()).toContain('auth.login');

      // On a phone the navigation folds behind the menu button.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${e.server.url}/#/`);
      await page.locator('.nav-toggle').waitFor({ state: 'visible' });
      await page.waitForFunction(() => {
        const m = (window as unknown as { __tartipMap?: TestMap }).__tartipMap;
        return !!m && !!m.getSource('regions') && m.isSourceLoaded('regions') && m.loaded() && !m.isMoving();
      });
      const header = await page.locator('.app-header').boundingBox();
      expect(header?.height).toBeLessThan(70); // one row, nothing wrapped
      expect(await page.locator('#app-nav').isVisible()).toBe(false);
      await page.locator('.nav-toggle').click();
      expect(await page.locator('#app-nav').isVisible()).toBe(true);
      await page.screenshot({ path: join(e.shots, '5-phone-nav-admin.png') });

      // A token the server no longer accepts (401) sends the user back to the login page.
      await page.evaluate(() => {
        const s = JSON.parse(sessionStorage.getItem('tartip.session') ?? '{}');
        sessionStorage.setItem('tartip.session', JSON.stringify({ ...s, accessToken: 'expired.or.forged' }));
      });
      await page.goto(`${e.server.url}/#/audit`);
      await page.locator('main.login').waitFor();
      expect(await page.locator('main.login .notice').textContent()).toBe(messages.ru['login.sessionExpired']);
      expect(await page.evaluate(() => sessionStorage.getItem('tartip.session'))).toBeNull();
    } finally {
      await ctx.close();
    }
  });

  test('without WebGL the map says so and the region list still works', async () => {
    const e = setup();
    const noGl = await chromium.launch({
      executablePath: CHROMIUM,
      args: [...CHROMIUM_ARGS, '--disable-webgl', '--disable-3d-apis'],
      timeout: 60_000,
    });
    try {
      const page = await noGl.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`${e.server.url}/`);
      await page.locator('.lang-switcher button[data-lang="en"]').click();
      await signIn(page, 'operator', 'demo');
      await expect.poll(() => page.getAttribute('[data-testid="map"]', 'data-state'), { timeout: 30_000 }).toBe('unavailable');
      expect(await page.locator('.map-fallback').textContent()).toContain(messages.en['map.webglError']);
      expect(await page.locator('.map-fallback').textContent()).toContain('Boundaries: geokz, Alexander Rodionov, CC BY 4.0');
      const names = page.locator('[data-testid="region-list"] .region-name');
      await expect.poll(() => names.count(), { timeout: 30_000 }).toBe(20);
      expect(await names.allInnerTexts()).toContain('Akmola');
      await page.locator('[data-testid="region-list"] button[data-kato="750000000"]').click();
      await expect.poll(() => page.locator('#region-panel-title').textContent()).toBe('Almaty (city)');
      await expect.poll(() => page.locator('[data-testid="district-list"] li').count()).toBe(8);
      await page.screenshot({ path: join(e.shots, '6-no-webgl-en.png') });
    } finally {
      await noGl.close();
    }
  });
});

/** The parts of maplibre-gl's Map the assertions use (evaluated in the page). */
interface TestMap {
  getSource(id: string): { getData(): Promise<unknown> } | undefined;
  isSourceLoaded(id: string): boolean;
  loaded(): boolean;
  isMoving(): boolean;
  getZoom(): number;
  getCenter(): { lng: number; lat: number };
  getLayoutProperty(layer: string, name: string): unknown;
  project(lngLat: [number, number]): { x: number; y: number };
  queryRenderedFeatures(
    pointOrOptions: [number, number] | { layers: string[] },
    options?: { layers: string[] },
  ): { properties: { kato: string } }[];
}
