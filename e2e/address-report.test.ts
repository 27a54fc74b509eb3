import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { messages } from '../apps/web/src/i18n.ts';
import { demoToken, e2eEnvironment, openPage, signIn } from './browser.ts';

/**
 * A citizen whose phone will not share its position types the address instead; the server's gazetteer places it
 * only as far as the district the address names, so the operator's console shows the incident as approximate, and
 * the operator — having called the reporter back — puts it where it is with one click on the map.
 */

const { ru } = messages;
const ADDRESS = 'Алматы, Бостандыкский район, ул. Тимирязева 42';
/** Where the operator learns it really happened (Bostandyk district, KATO 751410000). */
const SPOT = { lon: 76.9064, lat: 43.2265 };

const setup = e2eEnvironment();

interface Win {
  __tartipMap?: {
    project(lngLat: [number, number]): { x: number; y: number };
    loaded(): boolean;
    isMoving(): boolean;
    jumpTo(o: { center: [number, number] }): void;
    getSource(id: string): unknown;
  };
}

describe('a report with an address and no position', () => {
  test('filed by address → approximate on the console → the operator marks the place on the map', { timeout: 240_000 }, async () => {
    const e = setup();
    const shot = (page: Page, name: string) => page.screenshot({ path: join(e.shots, name) });
    // No geolocation permission: the phone refuses, as a citizen's may.
    const citizen = await openPage(e, { locale: 'ru-RU', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const operator = await openPage(e, { locale: 'ru-RU', viewport: { width: 1600, height: 900 } });
    try {
      await operator.page.goto(`${e.server.url}/`);
      await signIn(operator.page, 'operator', 'demo');
      await operator.page.locator('.app-header').waitFor();
      await operator.page.goto(`${e.server.url}/#/ops`);
      await expect.poll(() => operator.page.getAttribute('[data-testid="stream-state"]', 'data-state'), { timeout: 30_000 }).toBe('open');

      // ---- the citizen: no position, an address typed ------------------------------------------------------
      const c = citizen.page;
      await c.goto(`${e.server.url}/#/report`);
      await c.locator('[data-page="report"]').waitFor();
      await c.locator('[data-testid="category-tiles"] button[data-code="noise"]').tap();
      await expect.poll(() => c.getAttribute('[data-testid="location"]', 'data-state')).toBe('denied');
      // Without a place or an address the form says what is missing and sends nothing.
      let posted = 0;
      c.on('request', (r) => {
        if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/reports') posted++;
      });
      await c.locator('[data-testid="report-submit"]').tap();
      await expect.poll(() => c.locator('[data-testid="location"] .field-error').textContent()).toBe(ru['report.needLocation']);
      expect(posted).toBe(0);
      // An address the server cannot place is refused on the field, in the citizen's language.
      await c.locator('[data-testid="report-address"]').fill('ул. Несуществующая, 5');
      const refused = c.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/reports');
      await c.locator('[data-testid="report-submit"]').tap();
      expect((await refused).status()).toBe(400);
      await expect.poll(() => c.locator('#report-address-error').textContent()).toBe('Адрес не найден. Укажите город и улицу или отметьте место на карте.');
      // The real address.
      await c.locator('[data-testid="report-address"]').fill(ADDRESS);
      await c.locator('#report-description').fill('Громкая музыка после полуночи');
      const sent = c.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/reports');
      const answered = c.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/reports');
      await c.locator('[data-testid="report-submit"]').tap();
      const body = (await sent).postDataJSON() as { address?: string; location?: unknown };
      expect(body.address).toBe(ADDRESS);
      expect(body.location).toBeUndefined();
      expect((await answered).status()).toBe(201);
      const report = (await (await answered).json()) as { id: string };
      await shot(c, 'address-01-citizen-sent.png');

      // ---- the console: the incident is there, marked approximate -----------------------------------------
      const token = await demoToken(e.server.url, 'operator');
      // The incident is made in the report's own transaction; the report says which.
      let incidentId: string | null = null;
      await expect
        .poll(async () => {
          const res = await fetch(`${e.server.url}/api/v1/reports/${report.id}`, { headers: { authorization: `Bearer ${token}` } });
          incidentId = ((await res.json()) as { incidentId: string | null }).incidentId;
          return incidentId;
        })
        .not.toBeNull();
      const o = operator.page;
      const item = o.locator(`[data-testid="incident-queue"] button[data-incident="${incidentId}"]`);
      await item.waitFor();
      expect(await item.locator('[data-testid="queue-approximate"]').count()).toBe(1);
      await item.click();
      const detail = o.locator(`[data-testid="incident-detail"][data-incident="${incidentId}"]`);
      await detail.waitFor();
      expect(await detail.locator('[data-testid="approximate"]').getAttribute('data-precision')).toBe('district');
      expect(await detail.locator('[data-testid="approximate"]').textContent()).toContain(ru['ops.precision.district']);
      expect(await detail.textContent()).toContain(ADDRESS);

      // ---- the operator marks the place: one click on the map, then save ---------------------------------------
      await detail.locator('[data-action="relocate"]').click();
      expect(await detail.locator('[data-action="relocate-save"]').isDisabled()).toBe(true);
      await o.waitForFunction(() => {
        const m = (window as unknown as Win).__tartipMap;
        return !!m && m.loaded() && !m.isMoving();
      });
      // The operator pans to the street the caller named (the map showed the district's stand-in point).
      await o.evaluate((p) => (window as unknown as Win).__tartipMap!.jumpTo({ center: [p.lon, p.lat] }), SPOT);
      const px = await o.evaluate((p) => (window as unknown as Win).__tartipMap!.project([p.lon, p.lat]), SPOT);
      const canvas = (await o.locator('.ops-map canvas').boundingBox())!;
      await o.mouse.click(canvas.x + px.x, canvas.y + px.y);
      await detail.locator('[data-testid="relocate-picked"]').waitFor();
      await detail.locator('.relocate-form input').fill('ул. Тимирязева, 42, подъезд 3');
      await shot(o, 'address-02-console-relocating.png');
      await detail.locator('[data-action="relocate-save"]').click();

      // The incident is exact now, in the district where it happened; the console drops the warning.
      await expect.poll(() => detail.locator('[data-testid="approximate"]').count(), { timeout: 15_000 }).toBe(0);
      const res = await fetch(`${e.server.url}/api/v1/incidents/${incidentId}`, { headers: { authorization: `Bearer ${token}` } });
      const moved = (await res.json()) as { locationPrecision: string; kato: string; location: { lon: number; lat: number }; address: string; timeline: { kind: string }[] };
      expect(moved).toMatchObject({ locationPrecision: 'point', kato: '751410000', address: 'ул. Тимирязева, 42, подъезд 3' });
      // Where the click was, to within a few metres (one screen pixel at the map's zoom).
      expect(Math.abs(moved.location.lon - SPOT.lon)).toBeLessThan(0.002);
      expect(Math.abs(moved.location.lat - SPOT.lat)).toBeLessThan(0.002);
      expect(moved.timeline.at(-1)?.kind).toBe('relocated');
      await expect.poll(() => item.locator('[data-testid="queue-approximate"]').count(), { timeout: 15_000 }).toBe(0);
      await shot(o, 'address-03-console-placed.png');

      // ---- the patrol found silence and the reporter does not answer: the operator marks the report false --------
      const attached = detail.locator(`[data-testid="attached-reports"] li[data-report="${report.id}"]`);
      await attached.locator('[data-action="mark-false"]').click();
      // A reason is asked for before anything is sent.
      expect(await attached.locator('[data-action="mark-false-confirm"]').isDisabled()).toBe(true);
      await attached.locator('[data-testid="mark-false-reason"]').fill('Выезд: тишина, соседи спят; заявитель не отвечает');
      const markedFalse = o.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/v1/reports/${report.id}/false`);
      await attached.locator('[data-action="mark-false-confirm"]').click();
      expect((await markedFalse).status()).toBe(200);
      await attached.locator('[data-testid="report-false"]').waitFor();
      const after = await fetch(`${e.server.url}/api/v1/reports/${report.id}`, { headers: { authorization: `Bearer ${token}` } });
      expect(await after.json()).toMatchObject({ falseReport: true, status: 'closed' });
      await shot(o, 'address-03b-console-report-false.png');

      // ---- a 102 call: the operator types the address the caller gives and finds it on the map ---------------
      await o.locator('[data-action="new-call"]').click();
      await o.locator('[data-testid="new-call-address"]').fill('Бостандыкский район, Алматы');
      await o.locator('[data-action="geocode"]').click();
      await expect.poll(() => o.locator('[data-testid="geocode-result"]').textContent()).toContain('Бостандыкский, Алматы');
      // Only the district is known: the marker goes inside it, and the operator is told to click the spot.
      expect(await o.locator('[data-testid="geocode-result"]').textContent()).toContain(ru['ops.geocodeApproximate']);
      const lat = Number(await o.locator('[data-testid="new-call-lat"]').inputValue());
      const lon = Number(await o.locator('[data-testid="new-call-lon"]').inputValue());
      const placed = await fetch(`${e.server.url}/api/v1/geocode?q=${encodeURIComponent('Бостандыкский район, Алматы')}`, { headers: { authorization: `Bearer ${token}` } });
      expect((await placed.json()).place.location).toEqual({ lon: expect.closeTo(lon, 5), lat: expect.closeTo(lat, 5) });
      await o.locator('[data-testid="new-call-address"]').fill('ул. Несуществующая, 5');
      await o.locator('[data-testid="new-call-address"]').press('Enter');
      await expect.poll(() => o.locator('[data-testid="geocode-result"]').textContent()).toBe(ru['ops.geocodeNotFound']);
      expect(citizen.pageErrors).toEqual([]);
      expect(operator.pageErrors).toEqual([]);
    } finally {
      await citizen.ctx.close();
      await operator.ctx.close();
    }
  });
});
