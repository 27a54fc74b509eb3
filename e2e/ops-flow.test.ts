import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { messages } from '../apps/web/src/i18n.ts';
import { type E2eEnv, e2eEnvironment, signIn } from './browser.ts';
import { jpegSize } from './png.ts';

/**
 * The proof, in three browsers against the real server: a citizen on a phone files a report in one tap →
 * it is in the operator's queue within 2 s → the operator asks for recommendations and dispatches the officer's
 * unit → the officer's tablet shows the task → En route, On scene, Clear with a note → the citizen's tracking page
 * shows the report closed with that note. Then the panic button: a short press does nothing, a 1.5 s hold raises
 * the alarm on the console. Screenshots of every screen go to $TARTIP_E2E_SCREENSHOTS or a temp dir (printed).
 */

const { ru, kk, en } = messages;
/** Almaly district, Almaty (KATO 751110000): where the officer's unit patrols. */
const ALMALY = { longitude: 76.9286, latitude: 43.2567 };
const CATEGORY = 'theft';
const NOTE = 'Нарушитель задержан';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const setup = e2eEnvironment();

interface Opened {
  ctx: BrowserContext;
  page: Page;
  errors: string[];
}

async function open(e: E2eEnv, options: Parameters<Browser['newContext']>[0], init?: () => void): Promise<Opened> {
  const ctx = await e.browser.newContext({ locale: 'ru-RU', ...options });
  if (init) await ctx.addInitScript(init);
  const page = await ctx.newPage();
  page.setDefaultTimeout(30_000);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${e.server.url}/`);
  return { ctx, page, errors };
}

/** Counts the page's Screen Wake Lock requests and the locks it holds (`window.__wakeLocks`). */
function spyOnWakeLock(): void {
  const w = window as unknown as { __wakeLocks: { requested: number; held: number } };
  w.__wakeLocks = { requested: 0, held: 0 };
  if (!('wakeLock' in navigator)) return;
  const wakeLock = navigator.wakeLock;
  const request = wakeLock.request.bind(wakeLock);
  wakeLock.request = async (type?: 'screen') => {
    w.__wakeLocks.requested++;
    const lock = await request(type);
    w.__wakeLocks.held++;
    lock.addEventListener('release', () => w.__wakeLocks.held--);
    return lock;
  };
}

/** The live map of the console (window.__tartipMap), as far as the assertions use it. */
interface TestMap {
  getSource(id: string): { getData(): Promise<unknown> } | undefined;
  isSourceLoaded(id: string): boolean;
  loaded(): boolean;
}

describe('operations control centre: from a citizen’s tap to a patrol on scene', () => {
  test('citizen report → console within 2 s → recommend and dispatch → tablet → cleared → citizen sees it closed', { timeout: 300_000 }, async () => {
    const e = setup();
    const shot = (page: Page, name: string, fullPage = false) => page.screenshot({ path: join(e.shots, name), fullPage });
    const citizen = await open(e, {
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      geolocation: ALMALY,
      permissions: ['geolocation'],
    });
    const operator = await open(e, { viewport: { width: 1600, height: 900 } });
    // The tablet's own position (its unit's patrol area): it reports it as the unit's telemetry.
    const officer = await open(
      e,
      {
        viewport: { width: 800, height: 1280 },
        hasTouch: true,
        geolocation: { longitude: 76.9285, latitude: 43.2566 },
        permissions: ['geolocation'],
      },
      spyOnWakeLock,
    );
    try {
      // ---- the operator's console is open and live before the citizen reports -------------------------------
      await signIn(operator.page, 'operator', 'demo');
      await operator.page.locator('.app-header').waitFor();
      const nav = await operator.page.locator('#app-nav').textContent();
      expect(nav).toContain(ru['nav.dispatch']);
      await operator.page.locator('#app-nav a[data-section="dispatch"]').click();
      expect(new URL(operator.page.url()).hash).toBe('#/ops');
      await expect.poll(() => operator.page.getAttribute('[data-testid="stream-state"]', 'data-state'), { timeout: 30_000 }).toBe('open');
      await operator.page.waitForFunction(
        () => {
          const m = (window as unknown as { __tartipMap?: TestMap }).__tartipMap;
          return !!m && !!m.getSource('incidents') && m.loaded();
        },
        undefined,
        { timeout: 60_000 },
      );
      // Units are on the board (the dispatch module seeds them in demo mode).
      await expect.poll(() => operator.page.locator('[data-testid="unit-board"] tbody tr').count(), { timeout: 30_000 }).toBeGreaterThan(0);

      // ---- the officer's tablet: their home after sign-in ----------------------------------------------------
      await signIn(officer.page, 'officer', 'demo');
      await officer.page.locator('.app-header').waitFor();
      await expect.poll(() => new URL(officer.page.url()).hash).toBe('#/tablet');
      // This officer works in Kazakh.
      await officer.page.locator('.app-header .lang-switcher button[data-lang="kk"]').click();
      await expect.poll(() => officer.page.getAttribute('html', 'lang')).toBe('kk');
      await officer.page.locator('[data-page="tablet"] .tablet-head h1').waitFor();
      await expect.poll(() => officer.page.locator('[data-testid="no-task"]').count(), { timeout: 30_000 }).toBe(1);
      const officerUnit = await officer.page.evaluate(async () => {
        const s = JSON.parse(sessionStorage.getItem('tartip.session') ?? '{}') as { accessToken: string };
        const res = await fetch('/api/v1/units/mine', { headers: { authorization: `Bearer ${s.accessToken}` } });
        const body = (await res.json()) as { unit: { id: string; callSign: string } | null };
        return body.unit;
      });
      expect(officerUnit, 'the officer is crew of a demo unit').not.toBeNull();
      expect(await officer.page.locator('.tablet-head h1').textContent()).toContain(officerUnit!.callSign);
      // Tracking its unit, the tablet asks to keep its screen on (a sleeping tablet's page is hidden and stops
      // reporting), and asks again whenever the page is shown (the browser drops the lock when it is hidden). Headless
      // Chromium refuses the lock itself; the refusal is handled (no page error).
      const wakeLocks = () => officer.page.evaluate(() => (window as unknown as { __wakeLocks: { requested: number; held: number } }).__wakeLocks.requested);
      await expect.poll(wakeLocks).toBe(1);
      await officer.page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
      await expect.poll(wakeLocks).toBe(2);
      await shot(officer.page, 'ops-01-tablet-idle-kk.png');
      // The tablet's sounds, counted (every beep is one oscillator): a new task must be heard.
      const countBeeps = (page: Page) =>
        page.evaluate(() => {
          const w = window as unknown as { __beeps: number };
          w.__beeps = 0;
          const proto = AudioContext.prototype;
          const make = proto.createOscillator;
          proto.createOscillator = function (this: AudioContext) {
            w.__beeps++;
            return make.call(this);
          };
        });
      await countBeeps(officer.page);
      expect(await officer.page.evaluate(() => (window as unknown as { __beeps: number }).__beeps)).toBe(0);

      // ---- the citizen: from the login page to the form, no sign-in --------------------------------------------
      const c = citizen.page;
      await expect.poll(() => c.locator('[data-testid="report-link"]').textContent()).toContain(ru['login.reportLink']);
      await shot(c, 'ops-02-login-with-report-link-phone.png');
      await c.locator('[data-testid="report-link"]').click();
      await c.locator('[data-page="report"]').waitFor();
      expect(await c.locator('h1').textContent()).toBe(ru['report.title']);
      const tile = c.locator(`[data-testid="category-tiles"] button[data-code="${CATEGORY}"]`);
      await tile.waitFor();
      expect(await c.locator('[data-testid="category-tiles"] button').count()).toBeGreaterThan(5);
      await tile.tap();
      expect(await tile.getAttribute('aria-pressed')).toBe('true');
      // The phone's position fills the place by itself.
      await expect.poll(() => c.locator('[data-testid="location-value"]').textContent()).toContain('43.25670, 76.92860');
      expect(await c.locator('[data-testid="anonymous"]').isChecked()).toBe(true);
      // A 12-megapixel photo from the camera (made here as a PNG): the page shrinks it before sending.
      const bigPhoto = await c.evaluate(() => {
        const canvas = document.createElement('canvas');
        canvas.width = 4000;
        canvas.height = 3000;
        const g = canvas.getContext('2d')!;
        const grad = g.createLinearGradient(0, 0, 4000, 3000);
        grad.addColorStop(0, '#1e3a8a');
        grad.addColorStop(1, '#f59e0b');
        g.fillStyle = grad;
        g.fillRect(0, 0, 4000, 3000);
        for (let i = 0; i < 400; i++) {
          g.fillStyle = `hsl(${(i * 37) % 360} 70% 50%)`;
          g.fillRect((i * 97) % 4000, (i * 61) % 3000, 120, 80);
        }
        return canvas.toDataURL('image/png').split(',')[1];
      });
      await c.locator('#report-photo').setInputFiles({ name: 'IMG_0001.png', mimeType: 'image/png', buffer: Buffer.from(bigPhoto, 'base64') });
      await c.locator('[data-testid="photo-preview"]').waitFor();
      await c.locator('#report-description').fill('Украли телефон у остановки');
      await shot(c, 'ops-03-citizen-form-phone.png', true);

      // The queue as it was before the report.
      const before = await operator.page
        .locator('[data-testid="incident-queue"] button[data-incident]')
        .evaluateAll((els) => els.map((b) => b.getAttribute('data-incident')));

      // One tap. The POST carries an Idempotency-Key (a UUID) and the device id kept in localStorage.
      const requestSeen = c.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/reports');
      const responseSeen = c.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/reports');
      await c.locator('[data-testid="report-submit"]').tap();
      const request: Request = await requestSeen;
      const response = await responseSeen;
      const t0 = Date.now();
      expect(response.status()).toBe(201);
      expect(request.headers()['idempotency-key']).toMatch(UUID);
      const sentBody = request.postDataJSON() as {
        category: string;
        location: { type: string; coordinates: number[] };
        anonymous: boolean;
        deviceId: string;
        media: { contentType: string; data: string }[];
      };
      // The photo went as a JPEG of at most 1600 px, a fraction of the original's size.
      expect(sentBody.media).toHaveLength(1);
      expect(sentBody.media[0].contentType).toBe('image/jpeg');
      const jpeg = Buffer.from(sentBody.media[0].data, 'base64');
      expect(jpegSize(jpeg)).toEqual({ width: 1600, height: 1200 });
      expect(jpeg.length).toBeLessThan(600_000);
      console.log(`e2e: photo 4000×3000 PNG (${Math.round((bigPhoto.length * 3) / 4 / 1024)} kB) sent as 1600×1200 JPEG (${Math.round(jpeg.length / 1024)} kB)`);
      expect(sentBody.category).toBe(CATEGORY);
      expect(sentBody.location).toEqual({ type: 'Point', coordinates: [ALMALY.longitude, ALMALY.latitude] });
      expect(sentBody.anonymous).toBe(true);
      expect(sentBody.deviceId).toBe(await c.evaluate(() => localStorage.getItem('tartip.deviceId')));
      const created = (await response.json()) as { id: string; trackingToken: string; status: string };

      // ---- within 2 s of the 201 the report is in the operator's queue ----------------------------------------
      const appeared = await operator.page.waitForFunction(
        ({ known, category }) => {
          const b = [...document.querySelectorAll<HTMLElement>('[data-testid="incident-queue"] button[data-incident]')].find(
            (el) => el.dataset.category === category && !known.includes(el.dataset.incident ?? ''),
          );
          return b?.dataset.incident ?? null;
        },
        { known: before, category: CATEGORY },
        { timeout: 10_000, polling: 50 },
      );
      const latency = Date.now() - t0;
      const incidentId = (await appeared.jsonValue())!;
      console.log(`e2e: report ${created.id} in the console queue as incident ${incidentId} ${latency} ms after the 201`);
      expect(latency).toBeLessThan(2000);
      const item = operator.page.locator(`[data-testid="incident-queue"] button[data-incident="${incidentId}"]`);

      // The citizen sees the notice and the tracking link.
      await c.locator('[data-testid="report-sent"]').waitFor();
      const trackHref = await c.locator('[data-testid="track-link"]').getAttribute('href');
      expect(trackHref).toBe(`#/track/${encodeURIComponent(created.trackingToken)}`);
      await shot(c, 'ops-04-citizen-sent-phone.png', true);

      // The incident is drawn on the console's map.
      await expect
        .poll(
          () =>
            operator.page.evaluate(async (id) => {
              const m = (window as unknown as { __tartipMap: TestMap }).__tartipMap;
              const fc = (await m.getSource('incidents')!.getData()) as { features: { properties: { id: string } }[] };
              return fc.features.some((f) => f.properties.id === id);
            }, incidentId),
          { timeout: 10_000 },
        )
        .toBe(true);

      // ---- the operator: open it, Recommend, Dispatch (the officer's unit) ------------------------------------
      await item.click();
      const detail = operator.page.locator(`[data-testid="incident-detail"][data-incident="${incidentId}"]`);
      await detail.waitFor();
      // The citizen's report as the dispatcher needs it: what they said (not just its id).
      const attached = detail.locator(`[data-testid="attached-reports"] li[data-report="${created.id}"]`);
      await expect.poll(() => attached.textContent()).toContain('Украли телефон у остановки');
      expect(await attached.getAttribute('data-flagged')).toBeNull();
      await operator.page.locator('[data-testid="recommend"]').click();
      const rows = operator.page.locator('[data-testid="recommendations"] li[data-call-sign]');
      await expect.poll(() => rows.count(), { timeout: 15_000 }).toBeGreaterThan(0);
      const offered = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-call-sign')));
      console.log(`e2e: recommended ${offered.join(', ')}; the officer's unit is ${officerUnit!.callSign}`);
      expect(offered, 'the officer’s unit is among the recommendations').toContain(officerUnit!.callSign);
      await shot(operator.page, 'ops-05-console-recommendations.png');
      const top = offered[0] === officerUnit!.callSign;
      const row = operator.page.locator(`[data-testid="recommendations"] li[data-call-sign="${officerUnit!.callSign}"]`);
      await row.locator('[data-testid="dispatch-unit"]').click();
      await operator.page.locator('[data-testid="dispatched-notice"]').waitFor();
      console.log(`e2e: dispatched ${officerUnit!.callSign} (${top ? 'the top recommendation' : 'not the top recommendation'})`);
      await expect.poll(() => detail.getAttribute('data-status'), { timeout: 10_000 }).toBe('DISPATCHED');
      await expect.poll(() => detail.locator('[data-testid="assignments"]').textContent(), { timeout: 10_000 }).toContain(officerUnit!.callSign);
      await shot(operator.page, 'ops-06-console-dispatched.png');

      // ---- the officer's tablet shows the task; En route → On scene → Clear with a note --------------------------
      const task = officer.page.locator(`[data-testid="task"][data-incident="${incidentId}"]`);
      await task.waitFor({ timeout: 10_000 });
      expect(await officer.page.locator('[data-testid="route-hint"] a').getAttribute('href')).toMatch(/^geo:43\.25\d+,76\.92\d+$/);
      await shot(officer.page, 'ops-07-tablet-task-kk.png');
      await expect.poll(() => officer.page.evaluate(() => (window as unknown as { __beeps: number }).__beeps)).toBe(4);
      const step = (s: string) => officer.page.locator(`.big-step[data-step="${s}"]`);
      expect(await step('EN_ROUTE').getAttribute('data-state')).toBe('next');
      expect(await step('EN_ROUTE').textContent()).toBe(kk['tablet.enRoute']); // «Жолда»
      expect(await step('ON_SCENE').textContent()).toBe(kk['tablet.onScene']); // «Оқиға орнында»
      expect(await step('CLEARED').textContent()).toBe(kk['tablet.clear']); // «Аяқтау»
      await step('EN_ROUTE').tap();
      await expect.poll(() => step('EN_ROUTE').getAttribute('data-state'), { timeout: 10_000 }).toBe('done');
      await step('ON_SCENE').tap();
      await expect.poll(() => step('ON_SCENE').getAttribute('data-state'), { timeout: 10_000 }).toBe('done');
      await expect.poll(() => detail.getAttribute('data-status'), { timeout: 10_000 }).toBe('ON_SCENE');
      await officer.page.locator('#clear-note').fill(NOTE);
      await shot(officer.page, 'ops-08-tablet-on-scene-kk.png');
      await step('CLEARED').tap();
      await officer.page.locator('[data-testid="no-task"]').waitFor({ timeout: 10_000 });
      await shot(officer.page, 'ops-09-tablet-cleared-kk.png');
      expect(officer.errors).toEqual([]);

      // The console follows (live): the incident is cleared and leaves the queue.
      await expect.poll(() => detail.getAttribute('data-status'), { timeout: 10_000 }).toBe('CLEARED');
      await expect.poll(() => item.count(), { timeout: 10_000 }).toBe(0);
      expect(await detail.locator('[data-testid="timeline"]').textContent()).toContain(NOTE);
      await shot(operator.page, 'ops-10-console-cleared.png');
      // … and waits for the operator to close it.
      await operator.page.locator(`[data-testid="incident-cleared"] button[data-incident="${incidentId}"]`).waitFor();

      // ---- the citizen's tracking page: closed, with the officer's note ------------------------------------------
      await c.locator('[data-testid="track-link"]').tap();
      const track = c.locator('[data-testid="track"]');
      await expect.poll(() => track.getAttribute('data-status'), { timeout: 15_000 }).toBe('closed');
      await expect.poll(() => c.locator('[data-testid="status-note"]').textContent(), { timeout: 15_000 }).toContain(NOTE);
      expect(await c.locator('[data-step="closed"]').getAttribute('aria-current')).toBe('step');
      await shot(c, 'ops-11-citizen-track-closed-phone.png', true);
      await c.locator('.lang-switcher button[data-lang="kk"]').tap();
      await expect.poll(() => c.locator('[data-step="closed"] .step-label').textContent()).toBe(kk['rstatus.closed']);
      expect(await c.locator('[data-testid="status-note"]').textContent()).toContain(NOTE);
      await shot(c, 'ops-12-citizen-track-closed-kk-phone.png', true);
      // The citizen closed the tab and comes back later: the report form lists the reports filed from this phone.
      await c.goto(`${new URL(c.url()).origin}/#/report`);
      const mine = c.locator('[data-testid="my-reports"] a[data-testid="my-report"]');
      await mine.first().waitFor();
      expect(await mine.first().getAttribute('href')).toBe(trackHref);
      await mine.first().tap();
      await expect.poll(() => track.getAttribute('data-status'), { timeout: 15_000 }).toBe('closed');
      expect(citizen.errors).toEqual([]);

      // ---- another crew presses its panic button nearby: this tablet is told, with the way there, and sounds; when
      //      the operator ends that incident the call goes -----------------------------------------------------------
      const tabletBeeps = () => officer.page.evaluate(() => (window as unknown as { __beeps: number }).__beeps);
      const beepsBefore = await tabletBeeps();
      const other = await operator.page.evaluate(async (mineId) => {
        const s = JSON.parse(sessionStorage.getItem('tartip.session') ?? '{}') as { accessToken: string };
        const headers = { authorization: `Bearer ${s.accessToken}`, 'content-type': 'application/json' };
        const units = (await (await fetch('/api/v1/units?limit=200', { headers })).json()) as { items: { id: string; callSign: string }[] };
        const unit = units.items.find((u) => u.id !== mineId) as { id: string; callSign: string };
        // The operator raises it for the crew (as a badge's gateway would), at a point 100 m from the officer.
        const res = await fetch(`/api/v1/units/${unit.id}/panic`, { method: 'POST', headers, body: JSON.stringify({ position: { lon: 76.9296, lat: 43.2572 } }) });
        const p = (await res.json()) as { alertId: string; nearestUnitIds: string[]; incident: { id: string } };
        return { callSign: unit.callSign, alertId: p.alertId, incidentId: p.incident.id, nearest: p.nearestUnitIds };
      }, officerUnit!.id);
      expect(other.nearest).toContain(officerUnit!.id);
      const assist = officer.page.locator('[data-testid="tablet-assist"]');
      await assist.waitFor({ timeout: 10_000 });
      expect(await assist.textContent()).toContain(kk['tablet.assist'].replace('{callSign}', other.callSign));
      expect(await assist.locator('[data-testid="geo-link"]').getAttribute('href')).toBe('geo:43.257200,76.929600');
      await expect.poll(tabletBeeps, { timeout: 5_000 }).toBeGreaterThanOrEqual(beepsBefore + 6);
      await shot(officer.page, 'ops-12b-tablet-assist-kk.png');
      await operator.page.evaluate(async ({ incidentId, alertId }) => {
        const s = JSON.parse(sessionStorage.getItem('tartip.session') ?? '{}') as { accessToken: string };
        const headers = { authorization: `Bearer ${s.accessToken}`, 'content-type': 'application/json' };
        await fetch(`/api/v1/alerts/${alertId}/acknowledge`, { method: 'POST', headers, body: '{}' });
        await fetch(`/api/v1/incidents/${incidentId}/transitions`, { method: 'POST', headers, body: JSON.stringify({ to: 'CANCELLED', note: 'Crew safe, alarm over' }) });
      }, other);
      await expect.poll(() => assist.count(), { timeout: 10_000 }).toBe(0);

      // ---- panic: a short press is ignored; a 1.5 s hold raises the alarm on the console ------------------------
      const panic = officer.page.locator('[data-testid="panic"]');
      const box = (await panic.boundingBox())!;
      const centre = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
      const panics: string[] = [];
      const panicBodies: unknown[] = [];
      officer.page.on('request', (r) => {
        if (r.method() === 'POST' && /\/api\/v1\/units\/[^/]+\/panic$/.test(new URL(r.url()).pathname)) {
          panics.push(r.url());
          panicBodies.push(r.postDataJSON());
        }
      });
      // The console's alarm sound, counted.
      await countBeeps(operator.page);
      const beeps = () => operator.page.evaluate(() => (window as unknown as { __beeps: number }).__beeps);
      await officer.page.mouse.move(centre.x, centre.y);
      await officer.page.mouse.down();
      await officer.page.waitForTimeout(500);
      await officer.page.mouse.up();
      await officer.page.waitForTimeout(1500);
      expect(panics).toEqual([]);
      await officer.page.mouse.down();
      await officer.page.waitForTimeout(1800);
      await officer.page.mouse.up();
      await officer.page.locator('[data-testid="panic-sent"]').waitFor({ timeout: 10_000 });
      expect(panics).toHaveLength(1);
      // The alarm carries the tablet's own fix.
      expect(panicBodies[0]).toEqual({ position: { lon: 76.9285, lat: 43.2566 } });
      const banner = operator.page.locator('[data-testid="panic-banner"]');
      await banner.waitFor({ timeout: 10_000 });
      expect(await banner.textContent()).toContain(officerUnit!.callSign);
      // It sounds when it shows, and again while nobody has answered it.
      // (At least: a timer alert raised meanwhile beeps too.)
      await expect.poll(beeps, { timeout: 5_000 }).toBeGreaterThanOrEqual(6);
      const first = await beeps();
      await expect.poll(beeps, { timeout: 15_000 }).toBeGreaterThanOrEqual(first + 3);
      await shot(officer.page, 'ops-13-tablet-panic-sent-kk.png');
      await shot(operator.page, 'ops-14-console-panic.png');

      // ---- a 102 call taken by the operator: what, a click on the map (then the caller's exact coordinates), saved ----
      await operator.page.locator('[data-action="new-call"]').click();
      const form = operator.page.locator('[data-testid="new-call"]');
      await form.waitFor();
      // Nothing chosen yet: the form says what is missing and sends nothing.
      await form.locator('[data-action="create-call"]').click();
      expect(await form.locator('.field-error').count()).toBe(2);
      await form.locator('[data-testid="new-call-category"]').selectOption('assault');
      const mapBox = (await operator.page.locator('[data-testid="ops-map"]').boundingBox())!;
      await operator.page.mouse.click(mapBox.x + mapBox.width / 2, mapBox.y + mapBox.height / 2);
      await expect.poll(() => form.locator('[data-testid="new-call-lat"]').inputValue()).toMatch(/^\d+\.\d{6}$/);
      await form.locator('[data-testid="new-call-lat"]').fill('43,2570');
      await form.locator('[data-testid="new-call-lon"]').fill('76.9290');
      await form.locator('[data-testid="new-call-address"]').click();
      await form.locator('[data-testid="new-call-address"]').fill('пр. Абылай хана, 10');
      await form.locator('[data-testid="new-call-description"]').fill('Драка у входа в магазин, двое');
      const createdCall = operator.page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/incidents');
      await form.locator('[data-action="create-call"]').click();
      const call = await (await createdCall).json();
      expect(call).toMatchObject({ category: 'assault', priority: 'P1', source: 'call', address: 'пр. Абылай хана, 10', location: { lon: 76.929, lat: 43.257 } });
      // It opens in the detail pane, ready to dispatch.
      await operator.page.locator(`[data-testid="incident-detail"][data-incident="${call.id}"]`).waitFor();
      await shot(operator.page, 'ops-14b-console-new-call.png');

      // ---- an officer on the street: an on-view incident from the tablet, their unit on scene at once ------------
      await officer.page.locator('[data-action="on-view"]').click();
      await officer.page.locator('[data-testid="on-view-category"]').selectOption('hooliganism');
      const onView = officer.page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/incidents');
      await officer.page.locator('[data-action="on-view-create"]').click();
      const field = await (await onView).json();
      expect(field).toMatchObject({ category: 'hooliganism', source: 'field', status: 'ON_SCENE', location: { lon: 76.9285, lat: 43.2566 } });
      await officer.page.locator(`[data-testid="task"][data-incident="${field.id}"]`).waitFor({ timeout: 10_000 });
      expect(await officer.page.locator('.big-step[data-step="CLEARED"]').getAttribute('data-state')).toBe('next');

      // Citizen reports, the operator's other working section: the report, closed, with the note.
      await operator.page.locator('#app-nav a[data-section="reports"]').click();
      await operator.page.locator('.app-header .lang-switcher button[data-lang="en"]').click();
      const reportRows = operator.page.locator('[data-testid="reports-table"] tbody tr');
      await expect.poll(() => reportRows.count(), { timeout: 10_000 }).toBeGreaterThan(0);
      const reportsText = (await operator.page.locator('[data-testid="reports-table"]').textContent()) ?? '';
      expect(reportsText).toContain(en['rstatus.closed']);
      expect(reportsText).toContain(NOTE);
      await shot(operator.page, 'ops-15-console-reports-en.png');
      expect(operator.errors).toEqual([]);
    } finally {
      await citizen.ctx.close();
      await operator.ctx.close();
      await officer.ctx.close();
    }
  });
});
