import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { messages } from '../apps/web/src/i18n.ts';
import { presetPeriod } from '../apps/web/src/pages/analytics/api.ts';
import { demoToken, e2eEnvironment, openPage, signIn } from './browser.ts';

/**
 * The analyst's screens end to end, against the real server: two years of incidents imported through the API → the
 * statistics dashboard shows the year-to-date totals, the release sentence (the server's, in the interface's
 * language), the chart and the table by region → the same in Kazakh → the hotspot map draws the forecast cells → three
 * units' patrol routes → the KPI board. Screenshots `analytics-01` … `analytics-05`.
 */
const ru = messages.ru;
const kk = messages.kk;
const ALMATY = { lon: 76.93, lat: 43.24 };
const ASTANA = { lon: 71.43, lat: 51.128 };

const setup = e2eEnvironment();

async function text(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/** Incidents on the first days of each month from January to the month before this one, this year and last. */
function csv(): string {
  const now = new Date();
  const lines = ['date,lon,lat,article,result'];
  const months = Math.max(1, now.getUTCMonth());
  for (const [year, thefts, frauds] of [
    [now.getUTCFullYear() - 1, 6, 2],
    [now.getUTCFullYear(), 4, 3],
  ] as const) {
    for (let m = 1; m <= months; m++) {
      const day = `${year}-${String(m).padStart(2, '0')}-0${1 + (m % 5)}`;
      for (let i = 0; i < thefts; i++) lines.push(`${day},${(ALMATY.lon + i * 0.0003).toFixed(5)},${ALMATY.lat},188,${i % 2 ? 'раскрыто' : 'не раскрыто'}`);
      for (let i = 0; i < frauds; i++) lines.push(`${day},${ASTANA.lon},${(ASTANA.lat + i * 0.0003).toFixed(5)},190,`);
    }
  }
  return lines.join('\n');
}

describe('analytics screens', () => {
  test('statistics with the release sentence in Russian and Kazakh, by region, and the hotspot map', async () => {
    const e = setup();
    const base = e.server.url;
    const token = await demoToken(base, 'analyst');
    const call = async <T>(path: string, init: RequestInit = {}) => {
      const res = await fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
      return { status: res.status, body: (await res.json()) as T };
    };
    const imported = await call<{ rows: number }>('/api/v1/analytics/imports', {
      method: 'POST',
      body: JSON.stringify({ name: 'e2e', format: 'csv', data: csv(), mapping: { time: 'date', x: 'lon', y: 'lat', category: 'article', outcome: 'result' }, crs: 'EPSG:4326' }),
    });
    expect(imported.status).toBe(201);
    const period = presetPeriod('ytd');
    const expected = await call<{ summary: { ru: string; kk: string }; total: { count: number } }>(`/api/v1/analytics/statistics?from=${period.from}&to=${period.to}&groupBy=category`);
    expect(expected.body.total.count).toBeGreaterThan(0);

    const { ctx, page, pageErrors } = await openPage(e, { viewport: { width: 1366, height: 900 }, locale: 'ru-RU' });
    try {
      await page.goto(`${base}/`);
      await signIn(page, 'analyst', 'demo');
      await page.locator('.app-header').waitFor();
      const nav = page.locator('#app-nav a[data-section="analytics"]');
      expect(await nav.textContent()).toBe(ru['nav.analytics']);
      await nav.click();
      await page.locator('[data-testid="summary"]').waitFor();
      expect(await text(page, '[data-testid="summary"]')).toBe(expected.body.summary.ru.replace(/\s+/g, ' '));
      expect(await text(page, '[data-testid="kpi-count"] .kpi-value')).toBe(String(expected.body.total.count));
      expect(await page.locator('[data-testid="compare-chart"] g[data-key="188"]').count()).toBe(1);
      await page.screenshot({ path: join(e.shots, 'analytics-01-statistics.png') });

      await page.locator('button[data-group="region"]').click();
      await page.locator('[data-testid="statistics-table"] tr[data-key="750000000"]').waitFor();
      expect(await text(page, '[data-testid="statistics-table"] tr[data-key="750000000"] th')).toMatch(/Алматы/);

      await page.locator('.lang-switcher button[data-lang="kk"]').first().click();
      await expect.poll(() => page.getAttribute('html', 'lang')).toBe('kk');
      await expect.poll(() => text(page, '[data-testid="summary"]')).toBe(expected.body.summary.kk.replace(/\s+/g, ' '));
      expect(await text(page, 'nav.tabs a[data-tab="hotspots"]')).toBe(kk['analytics.tab.hotspots']);
      await page.screenshot({ path: join(e.shots, 'analytics-02-statistics-kk.png') });

      await page.locator('nav.tabs a[data-tab="hotspots"]').click();
      await expect.poll(() => page.getAttribute('[data-testid="hotspot-map"]', 'data-cells'), { timeout: 30_000 }).not.toBe('0');
      expect(await page.getAttribute('[data-testid="hotspot-map"]', 'data-state')).not.toBe('loading');
      expect(await page.locator('[data-testid="hotspot-list"] li').count()).toBeGreaterThan(0);
      // The cells are drawn on the map, not only listed.
      await expect
        .poll(() => page.evaluate(() => window.__tartipMap?.queryRenderedFeatures({ layers: ['analytics-hotspots-fill'] }).length ?? 0), { timeout: 20_000 })
        .toBeGreaterThan(0);
      await page.screenshot({ path: join(e.shots, 'analytics-03-hotspots.png') });

      // Patrol routes over the hotspots, from the station placed at their centre.
      await page.locator('nav.tabs a[data-tab="patrol"]').click();
      await page.locator('[data-testid="units"]').fill('3');
      await expect.poll(() => page.locator('[data-testid="plan"]').isEnabled()).toBe(true);
      await page.locator('[data-testid="plan"]').click();
      await expect.poll(() => page.getAttribute('[data-testid="patrol-map"]', 'data-routes')).toBe('3');
      expect(await text(page, '[data-testid="plan-summary"]')).toMatch(/^Бару саны: \d+/);
      await page.screenshot({ path: join(e.shots, 'analytics-04-patrol.png') });

      // The KPI board.
      await page.locator('nav.tabs a[data-tab="kpi"]').click();
      await page.locator('[data-testid="kpi-violations"]').waitFor();
      expect(await text(page, '[data-testid="kpi-violations"] .kpi-label')).toBe(kk['analytics.violationsProcessed']);
      await page.screenshot({ path: join(e.shots, 'analytics-05-kpi.png') });
      expect(pageErrors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  test('the officer’s tablet shows the patrol planned for its unit between tasks', async () => {
    const e = setup();
    const base = e.server.url;
    const as = async (username: string) => {
      const token = await demoToken(base, username);
      return async <T>(path: string, init: RequestInit = {}) => {
        const res = await fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
        return { status: res.status, body: (await res.json()) as T };
      };
    };
    const analyst = await as('analyst');
    const officer = await as('officer');
    const imported = await analyst('/api/v1/analytics/imports', {
      method: 'POST',
      body: JSON.stringify({ name: 'e2e-patrol', format: 'csv', data: csv(), mapping: { time: 'date', x: 'lon', y: 'lat', category: 'article', outcome: 'result' }, crs: 'EPSG:4326' }),
    });
    expect(imported.status).toBe(201);
    const mine = await officer<{ unit: { id: string } }>('/api/v1/units/mine');
    const unitId = mine.body.unit.id;
    const plan = await analyst<{ features: { properties: { kind: string; order: number; departAt: string; dwellMinutes: number } }[] }>('/api/v1/analytics/patrol-plans', {
      method: 'POST',
      body: JSON.stringify({ startAt: new Date(Date.now() - 5 * 60_000).toISOString(), method: 'kde', horizon: '7d', cell: 200, candidates: 10, shiftMinutes: 480, units: [{ id: unitId, depot: ALMATY }] }),
    });
    expect(plan.status).toBe(201);
    const next = plan.body.features
      .filter((f) => f.properties.kind === 'stop' && Date.parse(f.properties.departAt) > Date.now())
      .sort((a, b) => a.properties.order - b.properties.order)[0];
    expect(next).toBeDefined();

    const { ctx, page, pageErrors } = await openPage(e, { viewport: { width: 820, height: 1180 }, locale: 'ru-RU', geolocation: { longitude: ALMATY.lon, latitude: ALMATY.lat }, permissions: ['geolocation'] });
    try {
      await page.goto(`${base}/`);
      await signIn(page, 'officer', 'demo');
      await page.locator('[data-testid="patrol-card"]').waitFor();
      expect(await text(page, '#patrol-title')).toBe(ru['tablet.patrol.title']);
      expect(await text(page, '[data-testid="patrol-next"]')).toContain(`${next.properties.dwellMinutes} мин`);
      expect(await page.locator('[data-testid="patrol-card"] [data-testid="route-hint"]').count()).toBe(1);
      await page.screenshot({ path: join(e.shots, 'analytics-06-tablet-patrol.png') });
      expect(pageErrors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});
