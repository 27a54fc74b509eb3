import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { messages } from '../apps/web/src/i18n.ts';
import { videoText } from '../apps/web/src/pages/video/text.ts';
import { demoToken, e2eEnvironment, openPage, signIn } from './browser.ts';

/**
 * The video screens end to end, against the real server: the dispatcher registers a camera through the API, the demo
 * camera gateway posts an ONVIF-style abandoned-object event → the operator opens «Видеоаналитика», sees the alert in
 * the queue, confirms it → a dispatch incident exists; the camera map and list show it online; the same tab in Kazakh.
 * Screenshots `video-01` … `video-03`.
 */
const ru = videoText.ru;
const kk = videoText.kk;
const CAMERA_KEY = 'tk_camera_demo_Zr8tY2uI5oP9aS3dF6gH1jK4';

const setup = e2eEnvironment();

describe('video screens', () => {
  test('alert queue: an abandoned object confirmed by the operator becomes an incident; cameras with status', async () => {
    const e = setup();
    const base = e.server.url;
    const tokenOf = (username: string) => demoToken(base, username);
    const dispatcher = await tokenOf('dispatcher');
    const code = `E2E-CAM-${Date.now()}`;
    const reg = await fetch(`${base}/api/v1/video/cameras`, {
      method: 'POST',
      headers: { authorization: `Bearer ${dispatcher}`, 'content-type': 'application/json' },
      body: JSON.stringify({ code, name: 'Вокзал Алматы-2, зал ожидания', location: { lon: 76.9416, lat: 43.2716 }, zone: 'Almaty-2', owner: 'ДП г. Алматы', capabilities: ['objects', 'abandoned'], heartbeatS: 60 }),
    });
    expect(reg.status).toBe(201);
    const sent = await fetch(`${base}/api/v1/video/events`, {
      method: 'POST',
      headers: { 'x-api-key': CAMERA_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ id: `${code}-1`, camera: code, at: new Date().toISOString(), kind: 'abandoned', label: 'suitcase', zone: 'Platform 2' }),
    });
    expect(sent.status).toBe(202);

    const { ctx, page, pageErrors } = await openPage(e, { viewport: { width: 1366, height: 900 }, locale: 'ru-RU' });
    try {
      await page.goto(`${base}/`);
      await signIn(page, 'operator', 'demo');
      await page.locator('.app-header').waitFor();
      const nav = page.locator('#app-nav a[data-section="video"]');
      expect(await nav.textContent()).toBe(messages.ru['nav.video']);
      await nav.click();
      const card = page.locator('[data-testid="video-alerts"] button.card', { hasText: code });
      await card.waitFor();
      expect(await card.textContent()).toContain(ru['kind.abandoned_object']);
      await page.screenshot({ path: join(e.shots, 'video-01-alerts.png') });
      await card.click();
      await page.locator('[role="dialog"]').waitFor();
      await page.getByRole('button', { name: ru['alerts.confirm'] }).click();
      await expect.poll(() => card.count()).toBe(0);

      const operator = await tokenOf('operator');
      const confirmed = (await (await fetch(`${base}/api/v1/video/alerts?status=confirmed&limit=200`, { headers: { authorization: `Bearer ${operator}` } })).json()) as {
        items: { camera: { code: string }; incidentId: string | null }[];
      };
      expect(confirmed.items.find((a) => a.camera.code === code)?.incidentId).toEqual(expect.any(String));

      // A new alert reaches the open queue live (SSE), well before the 30 s poll.
      const again = await fetch(`${base}/api/v1/video/events`, {
        method: 'POST',
        headers: { 'x-api-key': CAMERA_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ id: `${code}-2`, camera: code, at: new Date().toISOString(), kind: 'abandoned', label: 'backpack', zone: 'Platform 3' }),
      });
      expect(again.status).toBe(202);
      await expect.poll(() => card.count(), { timeout: 10_000 }).toBe(1);

      await page.locator('.tabs a[data-tab="cameras"]').click();
      const row = page.locator('[data-testid="video-cameras"] tr', { hasText: code });
      await row.waitFor();
      expect(await row.locator('.badge[data-status]').textContent()).toBe(ru['status.online']);
      // The camera map draws (or, without WebGL, says it cannot); the cameras are drawn by status when it can.
      await expect.poll(() => page.getAttribute('[data-testid="video-camera-map"]', 'data-state')).not.toBe('loading');
      if ((await page.getAttribute('[data-testid="video-camera-map"]', 'data-state')) === 'ready') {
        const drawn = () =>
          page.evaluate(() => {
            const m = (window as unknown as { __tartipMap?: { queryRenderedFeatures(o: unknown): { properties: { status: string } }[] } }).__tartipMap;
            return m ? m.queryRenderedFeatures({ layers: ['video-cameras'] }).map((f) => f.properties.status) : [];
          });
        await expect.poll(drawn, { timeout: 10_000 }).toContain('online');
      }
      await page.screenshot({ path: join(e.shots, 'video-02-cameras.png') });

      await page.locator('.lang-switcher button[data-lang="kk"]').first().click();
      await expect.poll(async () => row.locator('.badge[data-status]').textContent()).toBe(kk['status.online']);
      expect(await page.locator('.tabs a[data-tab="cameras"]').textContent()).toBe(kk['tab.cameras']);
      await page.screenshot({ path: join(e.shots, 'video-03-cameras-kk.png') });
      expect(pageErrors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});
