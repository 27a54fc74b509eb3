import { join } from 'node:path';
import type { Page, Request } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { messages } from '../apps/web/src/i18n.ts';
import { PICKER_LAND } from '../apps/web/src/map/style.ts';
import { e2eEnvironment } from './browser.ts';
import { decodePng, type Rgba, shareOfColour } from './png.ts';

/**
 * The citizen's place picker on a phone, on a network with no tile server (every request that does not go to our
 * server is refused, as on the closed network): it draws Kazakhstan from the boundaries alone — land, region
 * borders, district borders, district names when zoomed in, in the interface language — and the place is set by a
 * tap on the map, by dragging the marker or by the phone's position, whichever came last. The report is then sent
 * with the tapped point, and the server stores it there, in the district the map showed under the finger.
 */

const { ru, kk } = messages;
const setup = e2eEnvironment();
const PHONE = { width: 390, height: 844 };
const CATEGORY = 'theft';

/** The picker's MapLibre map (window.__tartipMap), as far as the assertions use it. */
interface TestMap {
  getSource(id: string): { getData(): Promise<unknown> } | undefined;
  getStyle(): { sources: Record<string, { type: string }>; layers: { id: string }[] };
  isSourceLoaded(id: string): boolean;
  loaded(): boolean;
  isMoving(): boolean;
  areTilesLoaded(): boolean;
  getZoom(): number;
  getCenter(): { lng: number; lat: number };
  jumpTo(o: { center: [number, number]; zoom: number }): void;
  project(lngLat: [number, number]): { x: number; y: number };
  unproject(p: [number, number]): { lng: number; lat: number };
  getLayoutProperty(layer: string, name: string): unknown;
  queryRenderedFeatures(
    pointOrOptions: [number, number] | { layers: string[] },
    options?: { layers: string[] },
  ): { properties: Record<string, string> }[];
}
type Win = { __tartipMap?: TestMap; __gpsDelay?: number };

/** Until the picker has drawn its boundaries and stopped moving. */
async function pickerSettled(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const m = (window as unknown as Win).__tartipMap;
      const el = document.querySelector('[data-testid="point-picker"]');
      return (
        !!m &&
        el?.getAttribute('data-state') === 'ready' &&
        m.isSourceLoaded('kz-districts') &&
        m.isSourceLoaded('kz-district-labels') &&
        m.loaded() &&
        !m.isMoving()
      );
    },
    undefined,
    { timeout: 60_000 },
  );
}

/** The share of pixels close to a dark blue: the region borders (PICKER_REGION_LINE, #1e3a8a), anti-aliased. */
function shareOfBorderBlue(img: Rgba): number {
  let n = 0;
  for (let i = 0; i < img.width * img.height; i++) {
    const [r, g, b] = [img.data[i * 4], img.data[i * 4 + 1], img.data[i * 4 + 2]];
    if (b > 110 && b - r > 60 && b - g > 40 && r < 120) n++;
  }
  return n / (img.width * img.height);
}

const hex = (c: string): [number, number, number] => [1, 3, 5].map((i) => Number.parseInt(c.slice(i, i + 2), 16)) as [number, number, number];

async function location(page: Page) {
  const el = page.locator('[data-testid="location-value"]');
  return {
    source: await el.getAttribute('data-source'),
    lon: Number(await el.getAttribute('data-lon')),
    lat: Number(await el.getAttribute('data-lat')),
    text: (await el.textContent()) ?? '',
  };
}

describe('citizen place picker without a tile server', () => {
  test('phone: boundaries drawn offline, tap / drag / phone position (last wins), report stored at the tapped point', { timeout: 240_000 }, async () => {
    const e = setup();
    const origin = new URL(e.server.url).origin;
    const shot = (page: Page, name: string) => page.screenshot({ path: join(e.shots, name) });
    const ctx = await e.browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'ru-RU' });
    // Air-gapped: anything not for our server is refused (and recorded). The boundary file is held back until the
    // test lets it through, as on a slow line.
    const outside: string[] = [];
    const requests: string[] = [];
    let releaseBoundaries!: () => void;
    const boundariesHeld = new Promise<void>((resolve) => {
      releaseBoundaries = resolve;
    });
    await ctx.route('**/*', async (route) => {
      const url = route.request().url();
      if (url.startsWith(origin) && /\/assets\/kz-boundaries-/.test(url)) await boundariesHeld;
      if (url.startsWith(origin) || url.startsWith('blob:') || url.startsWith('data:')) return route.continue();
      outside.push(url);
      return route.abort('internetdisconnected');
    });
    // The phone's position answers after window.__gpsDelay ms: a slow GPS fix, to race a tap against.
    await ctx.addInitScript(() => {
      const g = navigator.geolocation;
      const original = g.getCurrentPosition.bind(g);
      g.getCurrentPosition = (ok, fail, options) =>
        original((p) => setTimeout(() => ok(p), (window as unknown as Win).__gpsDelay ?? 0), fail, options);
    });
    const page = await ctx.newPage();
    page.setDefaultTimeout(30_000);
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('request', (r) => requests.push(r.url()));
    try {
      // ---- no position from the phone (no permission): the form at once, the map opens by itself -------------
      await page.goto(`${e.server.url}/#/report`);
      await page.locator('[data-page="report"]').waitFor();
      expect(await page.locator('h1').textContent()).toBe(ru['report.title']);
      await page.locator('[data-testid="report-submit"]').waitFor();
      await expect.poll(() => page.getAttribute('[data-testid="location"]', 'data-state'), { timeout: 30_000 }).toMatch(/denied|unavailable/);
      await page.locator('[data-testid="point-picker"]').waitFor();
      expect(await page.getAttribute('[data-testid="pick-on-map"]', 'aria-pressed')).toBe('true');
      // While the boundaries are on their way the map says so, and the rest of the form works.
      await expect.poll(() => page.locator('.point-picker-status').textContent()).toBe(ru['loc.mapLoading']);
      expect(await page.getAttribute('[data-testid="point-picker"]', 'data-state')).toBe('loading');
      const tile = page.locator(`[data-testid="category-tiles"] button[data-code="${CATEGORY}"]`);
      await tile.tap();
      expect(await tile.getAttribute('aria-pressed')).toBe('true');
      await page.locator('#report-description').fill('Украли сумку');
      releaseBoundaries();
      await pickerSettled(page);
      expect(await page.locator('.point-picker-status').count()).toBe(0);

      // Only our own sources: the boundaries as GeoJSON, no tiles of any kind.
      const style = await page.evaluate(() => {
        const m = (window as unknown as Win).__tartipMap!;
        const s = m.getStyle();
        return { sources: Object.entries(s.sources).map(([id, v]) => `${id}:${v.type}`).sort(), layers: s.layers.map((l) => l.id) };
      });
      expect(style.sources).toEqual([
        'kz-district-borders:geojson',
        'kz-district-labels:geojson',
        'kz-districts:geojson',
        'kz-region-borders:geojson',
        'kz-region-labels:geojson',
      ]);
      expect(style.layers).toEqual([
        'background',
        'picker-land',
        'picker-districts-line',
        'picker-regions-line',
        'picker-districts-label',
        'picker-regions-label',
      ]);

      // The whole country: all 224 districts loaded, the land and the region borders really drawn.
      const country = await page.evaluate(async () => {
        const m = (window as unknown as Win).__tartipMap!;
        const d = (await m.getSource('kz-districts')!.getData()) as { features: unknown[] };
        return {
          districts: d.features.length,
          renderedLand: new Set(m.queryRenderedFeatures({ layers: ['picker-land'] }).map((f) => f.properties.kato)).size,
          renderedBorders: m.queryRenderedFeatures({ layers: ['picker-regions-line'] }).length,
          regionLabels: m.queryRenderedFeatures({ layers: ['picker-regions-label'] }).map((f) => f.properties.name_ru),
        };
      });
      expect(country.districts).toBe(224);
      expect(country.renderedLand).toBeGreaterThan(200);
      expect(country.renderedBorders).toBeGreaterThan(0);
      expect(country.regionLabels.length).toBeGreaterThan(5);
      let box = await centrePicker(page);
      expect(box.width).toBeGreaterThan(300);
      expect(box.height).toBeGreaterThan(200);
      const countryPx = decodePng(await page.screenshot({ clip: box }));
      const land = shareOfColour(countryPx, hex(PICKER_LAND), 6);
      const outsideKz = shareOfColour(countryPx, [0xdc, 0xe3, 0xea], 6);
      const borders = shareOfBorderBlue(countryPx);
      console.log(`e2e: picker, whole country: land ${pct(land)}, outside ${pct(outsideKz)}, region-border blue ${pct(borders)}`);
      expect(land).toBeGreaterThan(0.25);
      expect(outsideKz).toBeGreaterThan(0.05);
      expect(borders).toBeGreaterThan(0.005);
      await shot(page, 'picker-01-country-ru-phone.png');

      // ---- zoomed in on Almaty (as a pinch would): district borders and names, in Russian, then Kazakh --------
      const almaly = await labelOf(page, '751110000');
      await page.evaluate((c) => (window as unknown as Win).__tartipMap!.jumpTo({ center: c, zoom: 10.5 }), almaly);
      await pickerSettled(page);
      box = await centrePicker(page);
      await shot(page, 'picker-02-almaty-ru-phone.png');
      const ruNames = await renderedDistrictNames(page);
      expect(ruNames).toContain('Алмалинский');
      expect(ruNames.length).toBeGreaterThanOrEqual(3);
      const cityPx = decodePng(await page.screenshot({ clip: box }));
      const darkText = shareOf(cityPx, (r, g, b) => r < 70 && g < 80 && b < 90);
      console.log(`e2e: picker, Almaty at z10.5: names ${ruNames.join(', ')}; dark text pixels ${pct(darkText)}`);
      expect(darkText).toBeGreaterThan(0.002);

      await page.locator('.lang-switcher button[data-lang="kk"]').first().tap();
      await expect.poll(() => page.getAttribute('html', 'lang')).toBe('kk');
      await pickerSettled(page);
      expect(await page.locator('.location-field').textContent()).toContain(kk['loc.mapHint']);
      expect(await page.getAttribute('[data-testid="point-picker"] .maplibregl-ctrl-zoom-in', 'title')).toBe(kk['loc.zoomIn']);
      // Same view after the language change, names now in Kazakh.
      expect(await page.evaluate(() => (window as unknown as Win).__tartipMap!.getZoom())).toBeCloseTo(10.5, 1);
      const kkNames = await renderedDistrictNames(page);
      expect(kkNames).toContain(await nameOf(page, '751110000', 'kk'));
      expect(kkNames).not.toContain('Алмалинский');
      await centrePicker(page);
      await shot(page, 'picker-03-almaty-kk-phone.png');

      // ---- a tap on the map sets the point: the marker and the coordinates follow ------------------------------
      // (Points below are in the picker canvas's own pixels: the page reflows when the coordinates appear.)
      await centrePicker(page);
      const tap1 = await canvasPoint(page, almaly);
      expect(await districtUnder(page, tap1)).toBe('751110000');
      await tapCanvas(page, tap1);
      await expect.poll(async () => (await location(page)).source).toBe('map');
      let loc = await location(page);
      await expectNear(page, loc, tap1);
      expect(loc.text).toContain(`${loc.lat.toFixed(5)}, ${loc.lon.toFixed(5)}`);
      expect(loc.text).toContain(kk['loc.source.map']);
      // … and so does the place in words, for a zoom where no name is in sight.
      expect(await page.getAttribute('[data-testid="picker-place"]', 'data-kato')).toBe('751110000');
      expect(await page.locator('[data-testid="picker-place"]').textContent()).toBe('Алмалы, Алматы (қала)');
      // The marker stands on the point (the bottom of its box is the pin's tip and a little shadow).
      let tip = await markerTip(page);
      expect(Math.abs(tip.x - tap1.x)).toBeLessThan(3);
      expect(Math.abs(tip.y - tap1.y)).toBeLessThan(8);
      await shot(page, 'picker-04-tapped-kk-phone.png');

      // ---- a tap on the pin itself leaves the point where it is; dragging the pin moves it ---------------------
      await centrePicker(page);
      const before = await canvasPoint(page, [loc.lon, loc.lat]);
      const pin = (await page.locator('[data-testid="picker-marker"]').boundingBox())!;
      const grab = { x: pin.x + pin.width / 2, y: pin.y + pin.height / 2 };
      await page.waitForTimeout(600); // not a double tap, which zooms
      await page.touchscreen.tap(grab.x, grab.y);
      await page.waitForTimeout(600);
      expect(await location(page)).toEqual(loc);
      await page.mouse.move(grab.x, grab.y);
      await page.mouse.down();
      for (let i = 1; i <= 10; i++) await page.mouse.move(grab.x + 5 * i, grab.y + 3 * i);
      await page.mouse.up();
      await expect.poll(async () => (await location(page)).lon).not.toBe(loc.lon);
      const dragged = await location(page);
      expect(dragged.source).toBe('map');
      await expectNear(page, dragged, { x: before.x + 50, y: before.y + 30 });
      await pickerSettled(page);

      // ---- the phone's position, when slow, does not overwrite a tap made after asking for it -----------------
      const esil = await labelOf(page, '711210000'); // Esil district, Astana
      await ctx.grantPermissions(['geolocation'], { origin });
      await ctx.setGeolocation({ longitude: esil[0], latitude: esil[1], accuracy: 20 });
      await page.evaluate(() => {
        (window as unknown as Win).__gpsDelay = 1500;
      });
      await page.locator('.location-actions button').first().tap(); // «Қайта анықтау», locate again
      await centrePicker(page);
      const tap2 = await canvasPoint(page, await labelOf(page, '751510000')); // Zhetysu, Almaty
      expect(await districtUnder(page, tap2)).toBe('751510000');
      await tapCanvas(page, tap2);
      await expect.poll(async () => (await location(page)).lat).not.toBe(dragged.lat);
      await expect.poll(() => page.getAttribute('[data-testid="location"]', 'data-state'), { timeout: 10_000 }).toBe('set');
      await page.waitForTimeout(2500); // the fix has come and gone
      loc = await location(page);
      expect(loc.source).toBe('map');
      expect(await page.getAttribute('[data-testid="picker-place"]', 'data-kato')).toBe('751510000');

      // … but asking again, now that it is the last thing done, moves the point, the marker and the map there.
      await page.evaluate(() => {
        (window as unknown as Win).__gpsDelay = 0;
      });
      await page.locator('.location-actions button').first().tap();
      await expect.poll(async () => (await location(page)).source).toBe('gps');
      loc = await location(page);
      expect(loc.lon).toBeCloseTo(esil[0], 5);
      expect(loc.lat).toBeCloseTo(esil[1], 5);
      await pickerSettled(page);
      const centre = await page.evaluate(() => (window as unknown as Win).__tartipMap!.getCenter());
      expect(centre.lng).toBeCloseTo(esil[0], 3);
      expect(centre.lat).toBeCloseTo(esil[1], 3);
      expect(await renderedDistrictNames(page)).toContain(await nameOf(page, '711210000', 'kk'));
      await centrePicker(page);
      const onGps = await canvasPoint(page, esil);
      tip = await markerTip(page);
      expect(Math.abs(tip.x - onGps.x)).toBeLessThan(3);
      expect(Math.abs(tip.y - onGps.y)).toBeLessThan(8);
      expect(await page.getAttribute('[data-testid="picker-place"]', 'data-kato')).toBe('711210000');
      await shot(page, 'picker-05-gps-astana-kk-phone.png');

      // ---- the last word: a tap in Astana, 30 px from the phone's position -------------------------------------
      const tap3 = { x: onGps.x - 30, y: onGps.y + 10 };
      const district3 = await districtUnder(page, tap3);
      expect(district3).toMatch(/^71\d{7}$/);
      await tapCanvas(page, tap3);
      await expect.poll(async () => (await location(page)).source).toBe('map');
      const final = await location(page);
      await expectNear(page, final, tap3);
      expect(await page.getAttribute('[data-testid="picker-place"]', 'data-kato')).toBe(district3);
      // The typed-coordinates fields show it too, ready to be corrected by hand.
      await page.locator('.location-actions button').nth(2).tap();
      expect(await page.locator('.manual-coords input').nth(0).inputValue()).toBe(final.lat.toFixed(5));
      expect(await page.locator('.manual-coords input').nth(1).inputValue()).toBe(final.lon.toFixed(5));
      await shot(page, 'picker-06-final-tap-kk-phone.png');

      // ---- send: the report goes, and is stored, with the tapped point -------------------------------------------
      expect(await tile.getAttribute('aria-pressed')).toBe('true'); // chosen while the map was loading
      const requestSeen = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/reports');
      const responseSeen = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/reports');
      await page.locator('[data-testid="report-submit"]').tap();
      const request: Request = await requestSeen;
      const response = await responseSeen;
      expect(response.status()).toBe(201);
      const body = request.postDataJSON() as { category: string; description: string; location: { type: string; coordinates: number[] } };
      expect(body.location).toEqual({ type: 'Point', coordinates: [final.lon, final.lat] });
      expect(body.category).toBe(CATEGORY);
      expect(body.description).toBe('Украли сумку');
      const created = (await response.json()) as { id: string };
      await page.locator('[data-testid="report-sent"]').waitFor();

      const login = await fetch(`${e.server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'supervisor', password: 'demo' }),
      });
      const { accessToken } = (await login.json()) as { accessToken: string };
      const stored = await fetch(`${e.server.url}/api/v1/reports/${created.id}`, { headers: { authorization: `Bearer ${accessToken}` } });
      expect(stored.status).toBe(200);
      const report = (await stored.json()) as { location: { coordinates: number[] }; kato: string; channel: string };
      expect(report.location.coordinates).toEqual([final.lon, final.lat]);
      expect(report.kato).toBe(district3);
      expect(report.channel).toBe('web');
      console.log(`e2e: report ${created.id} stored at ${report.location.coordinates.join(', ')} in district ${report.kato}`);

      // Nothing tried to leave the closed network; the boundaries came once, from our server.
      expect(outside).toEqual([]);
      const boundaryFetches = requests.filter((u) => /\/assets\/kz-boundaries-[0-9a-f]+\.json$/.test(u));
      expect(boundaryFetches).toHaveLength(1);
      expect(requests.filter((u) => u.includes('/api/v1/geo/'))).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      releaseBoundaries(); // a test that failed early must not leave the route waiting
      await ctx.close();
    }
  });
});

/** Scrolls the picker to the middle of the screen (clear of the sticky send button) and returns its canvas box. */
async function centrePicker(page: Page): Promise<{ x: number; y: number; width: number; height: number }> {
  const canvas = page.locator('[data-testid="point-picker"] canvas');
  await canvas.evaluate((el) => el.scrollIntoView({ block: 'center' }));
  return (await canvas.boundingBox())!;
}

const pct = (v: number) => `${(v * 100).toFixed(1)} %`;

function shareOf(img: Rgba, test: (r: number, g: number, b: number) => boolean): number {
  let n = 0;
  for (let i = 0; i < img.width * img.height; i++) if (test(img.data[i * 4], img.data[i * 4 + 1], img.data[i * 4 + 2])) n++;
  return n / (img.width * img.height);
}

/** A district's label point ([lon, lat]), from the picker's own data. */
async function labelOf(page: Page, kato: string): Promise<[number, number]> {
  return page.evaluate(async (k) => {
    const d = (await (window as unknown as Win).__tartipMap!.getSource('kz-district-labels')!.getData()) as {
      features: { geometry: { coordinates: [number, number] }; properties: { kato: string } }[];
    };
    return d.features.find((f) => f.properties.kato === k)!.geometry.coordinates;
  }, kato);
}

async function nameOf(page: Page, kato: string, lang: 'ru' | 'kk' | 'en'): Promise<string> {
  return page.evaluate(
    async ({ k, l }) => {
      const d = (await (window as unknown as Win).__tartipMap!.getSource('kz-district-labels')!.getData()) as {
        features: { properties: Record<string, string> }[];
      };
      return d.features.find((f) => f.properties.kato === k)!.properties[`name_${l}`];
    },
    { k: kato, l: lang },
  );
}

/** The district names MapLibre has placed on screen, in the language of the label layer. */
async function renderedDistrictNames(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const m = (window as unknown as Win).__tartipMap!;
    const field = m.getLayoutProperty('picker-districts-label', 'text-field') as [string, string];
    return m.queryRenderedFeatures({ layers: ['picker-districts-label'] }).map((f) => f.properties[field[1]]);
  });
}

type Pt = { x: number; y: number };

/** Where a lon/lat is on the picker's canvas (canvas pixels). */
async function canvasPoint(page: Page, lngLat: [number, number]): Promise<Pt> {
  const p = await page.evaluate((ll) => (window as unknown as Win).__tartipMap!.project(ll), lngLat);
  return { x: p.x, y: p.y };
}

async function canvasBox(page: Page) {
  return (await page.locator('[data-testid="point-picker"] canvas').boundingBox())!;
}

/** A finger's tap on a canvas pixel. */
async function tapCanvas(page: Page, pt: Pt): Promise<void> {
  const box = await canvasBox(page);
  await page.touchscreen.tap(box.x + pt.x, box.y + pt.y);
}

/** The point the page holds is where the finger was: within a pixel and a half (touch points are whole pixels). */
async function expectNear(page: Page, loc: { lon: number; lat: number }, pt: Pt): Promise<void> {
  const at = await canvasPoint(page, [loc.lon, loc.lat]);
  expect(Math.hypot(at.x - pt.x, at.y - pt.y)).toBeLessThan(1.5);
}

/** The district the picker draws under a canvas pixel. */
async function districtUnder(page: Page, pt: Pt): Promise<string | undefined> {
  return page.evaluate(
    (p) => (window as unknown as Win).__tartipMap!.queryRenderedFeatures(p, { layers: ['picker-land'] })[0]?.properties.kato,
    [pt.x, pt.y] as [number, number],
  );
}

/** The tip of the marker's pin (the middle of its bottom edge), in canvas pixels. */
async function markerTip(page: Page): Promise<Pt> {
  const box = await canvasBox(page);
  const pin = (await page.locator('[data-testid="picker-marker"]').boundingBox())!;
  return { x: pin.x + pin.width / 2 - box.x, y: pin.y + pin.height - box.y };
}
