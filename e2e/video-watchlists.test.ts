import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { messages } from '../apps/web/src/i18n.ts';
import { videoText } from '../apps/web/src/pages/video/text.ts';
import { demoToken, e2eEnvironment, openPage, signIn } from './browser.ts';
import { REPO_ROOT } from './server.ts';

/**
 * Watchlists and traffic flow in the browser, against a real server that computes face embeddings itself
 * (`TARTIP_VIDEO_EMBEDDING_PROVIDER=human`, 1024 values):
 * the investigator makes a watchlist and adds a person by uploading a photo — no numbers typed, the server finds the
 * face — after an incomplete entry was refused with a message and nothing stored; a camera then sends a face close to
 * that one → the operator's queue has a face match showing the uploaded photo to compare with. The operator's
 * traffic-flow chart of the same camera shows a jam in red against the usual level, in Russian and Kazakh.
 * Screenshots `video-wl-01` … `video-wl-04`.
 */
const ru = videoText.ru;
const kk = videoText.kk;
const CAMERA_KEY = 'tk_camera_demo_Zr8tY2uI5oP9aS3dF6gH1jK4';
const PHOTO = join(REPO_ROOT, 'modules/video/testing/face-a.jpg');

const setup = e2eEnvironment({ env: { TARTIP_VIDEO_EMBEDDING_PROVIDER: 'human', TARTIP_VIDEO_EMBEDDING_DIM: '1024' }, readyTimeoutMs: 120_000 });

interface Entry {
  id: string;
  subject: string;
  referenceImage: string;
  embedding?: number[];
}

describe('video watchlists and traffic flow', () => {
  test('a person added from a photo is matched at a camera and shown to the operator; the flow chart shows a jam', async () => {
    const e = setup();
    const base = e.server.url;
    const auth = async (username: string) => ({ authorization: `Bearer ${await demoToken(base, username)}`, 'content-type': 'application/json' });
    const investigator = await auth('investigator');
    const code = `E2E-WL-${Date.now()}`;
    const reg = await fetch(`${base}/api/v1/video/cameras`, {
      method: 'POST',
      headers: await auth('dispatcher'),
      body: JSON.stringify({ code, name: 'пр. Абая — ул. Байтурсынова', location: { lon: 76.9237, lat: 43.2401 }, zone: 'Abai', capabilities: ['faces', 'face-embeddings', 'traffic-flow'], owner: 'ДП г. Алматы', heartbeatS: 60 }),
    });
    expect(reg.status).toBe(201);
    const listName = `Розыск ДП ${Date.now()}`;
    const subject = 'Иванов Иван (e2e)';

    // 1. The investigator: a new list, a refused entry, then an entry from a photo.
    const { ctx, page, pageErrors } = await openPage(e, { viewport: { width: 1366, height: 900 }, locale: 'ru-RU' });
    try {
      await page.goto(`${base}/`);
      await signIn(page, 'investigator', 'demo');
      await page.locator('.app-header').waitFor();
      await page.locator('#app-nav a[data-section="video"]').click();
      await page.locator('.tabs a[data-tab="watchlists"]').click();
      const lists = page.locator('[data-testid="video-watchlists"]');
      await lists.getByLabel(ru['watchlists.name']).fill(listName);
      await lists.getByRole('button', { name: ru['watchlists.create'] }).click();
      await lists.getByRole('button', { name: new RegExp(listName) }).click();
      await lists.getByRole('heading', { name: ru['watchlists.entries'] }).waitFor();

      // No photo and no embedding: refused with a message, nothing stored.
      await lists.getByLabel(ru['watchlists.subject']).fill(subject);
      await lists.getByRole('button', { name: ru['watchlists.add'] }).click();
      await lists.getByRole('alert').waitFor();
      const listId = await listIdOf(base, investigator, listName);
      expect(await entriesOf(base, investigator, listId)).toEqual([]);

      // A photo too large for the server is refused in the browser, with a message; nothing is sent.
      await page.getByTestId('watchlist-photo').setInputFiles({ name: 'big.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(3_000_000, 0xff) });
      expect(await lists.getByRole('alert').textContent()).toContain(ru['watchlists.photoTooLarge']);
      expect(await page.getByTestId('watchlist-photo-preview').count()).toBe(0);
      expect(await entriesOf(base, investigator, listId)).toEqual([]);

      await page.getByTestId('watchlist-photo').setInputFiles(PHOTO);
      await page.getByTestId('watchlist-photo-preview').waitFor();
      await lists.getByLabel(ru['watchlists.basisKind']).selectOption('wanted_list');
      await lists.getByLabel(ru['watchlists.basisRef']).fill('РД-2026-0457');
      await lists.locator('input[type="datetime-local"]').fill(`${new Date().getFullYear() + 1}-06-30T18:00`);
      await lists.getByLabel(ru['watchlists.owner']).fill('УУП Алмалинского РУП');
      await lists.getByRole('button', { name: ru['watchlists.add'] }).click();
      const row = lists.locator('tr', { hasText: subject });
      await row.waitFor();
      expect(await row.textContent()).toContain('РД-2026-0457');
      expect(await row.getByRole('img', { name: subject }).getAttribute('src')).toMatch(/^data:image\/jpeg;base64,/);
      await expect.poll(() => lists.getByRole('alert').count()).toBe(0);
      await page.screenshot({ path: join(e.shots, 'video-wl-01-entry.png') });

      // The server computed the embedding from the uploaded photo: the photo stored as sent, 1024 values of unit length.
      const [entry] = await entriesOf(base, investigator, listId);
      expect(entry.referenceImage).toBe(`data:image/jpeg;base64,${readFileSync(PHOTO).toString('base64')}`);
      const stored = (await (await fetch(`${base}/api/v1/video/watchlists/${listId}/entries/${entry.id}`, { headers: investigator })).json()) as Entry;
      const embedding = stored.embedding ?? [];
      expect(embedding).toHaveLength(1024);
      expect(Math.hypot(...embedding)).toBeCloseTo(1, 3);

      // 2. A camera sees a face close to that one (the same embedding, slightly off, as a second view would be).
      const seen = embedding.map((v, i) => v + (i % 7 === 0 ? 0.01 : -0.005));
      const sent = await fetch(`${base}/api/v1/video/events`, {
        method: 'POST',
        headers: { 'x-api-key': CAMERA_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ id: `${code}-face-1`, camera: code, at: new Date().toISOString(), kind: 'face', embedding: seen, snapshot: `http://nvr.local/${code}/face-1.jpg` }),
      });
      expect(sent.status).toBe(202);
      expect(pageErrors).toEqual([]);
    } finally {
      await ctx.close();
    }

    // 3. The operator: the face match with the uploaded photo to compare with.
    const op = await openPage(e, { viewport: { width: 1366, height: 900 }, locale: 'ru-RU' });
    try {
      const p = op.page;
      await p.goto(`${base}/`);
      await signIn(p, 'operator', 'demo');
      await p.locator('.app-header').waitFor();
      expect(await p.locator('#app-nav a[data-section="video"]').textContent()).toBe(messages.ru['nav.video']);
      await p.locator('#app-nav a[data-section="video"]').click();
      // Watchlists are the investigators' alone.
      await p.locator('.tabs a[data-tab="alerts"]').waitFor();
      expect(await p.locator('.tabs a[data-tab="watchlists"]').count()).toBe(0);
      const card = p.locator('[data-testid="video-alerts"] button.card', { hasText: code });
      await card.waitFor();
      expect(await card.textContent()).toContain(ru['kind.face_match']);
      await card.click();
      const dialog = p.getByRole('dialog');
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain(subject);
      expect(await dialog.getByRole('img', { name: ru['alerts.compare'] }).getAttribute('src')).toMatch(/^data:image\/jpeg;base64,/);
      await p.screenshot({ path: join(e.shots, 'video-wl-02-match.png') });

      // 4. Traffic flow: the same hour three weeks running at 50 km/h, now a jam at 15 km/h.
      // One instant for all of them, so the jam and its usual level fall in the same 5-minute slot of the week.
      const t = Date.now();
      const weeksAgo = (w: number) => new Date(t - w * 7 * 86_400_000).toISOString();
      const car = (n: string, at: string, speedKmh: number) => ({ id: `${code}-car-${n}`, camera: code, at, kind: 'object', label: 'car', speedKmh, lane: 1 });
      const lines = [...[1, 2, 3].flatMap((w) => [car(`${w}a`, weeksAgo(w), 50), car(`${w}b`, weeksAgo(w), 52)]), ...[1, 2, 3].map((i) => car(`now${i}`, weeksAgo(0), 15))];
      const flow = await fetch(`${base}/api/v1/video/events`, { method: 'POST', headers: { 'x-api-key': CAMERA_KEY, 'content-type': 'application/x-ndjson' }, body: lines.map((l) => JSON.stringify(l)).join('\n') });
      expect(flow.status).toBe(202);
      await p.locator('.tabs a[data-tab="flow"]').click();
      const chart = p.locator('[data-testid="video-flow"]');
      await chart.locator('select').selectOption(code);
      const vehicles = chart.getByRole('img', { name: ru['flow.vehicles'] });
      await vehicles.waitFor();
      // The jam's bucket is drawn red, and its tooltip says so against the usual level.
      await expect.poll(() => vehicles.locator('rect[fill="#b91c1c"]').count()).toBe(1);
      expect(await vehicles.locator('title').last().textContent()).toMatch(new RegExp(`3 \\(${ru['flow.usual']} 2; 15 ${ru['flow.kmh']}\\) — ${ru['flow.congested']}`));
      // The latest five minutes in words, above the charts: the jam against the usual level.
      expect(await chart.getByTestId('flow-latest').textContent()).toMatch(
        new RegExp(`3 ${ru['flow.vehiclesShort']}, 15 ${ru['flow.kmh']} \\(${ru['flow.usual']} 2, 51 ${ru['flow.kmh']}\\) — ${ru['flow.congested']}$`),
      );
      await p.screenshot({ path: join(e.shots, 'video-wl-03-flow.png') });
      await p.locator('.lang-switcher button[data-lang="kk"]').first().click();
      await chart.getByRole('img', { name: kk['flow.vehicles'] }).waitFor();
      expect(await p.locator('.tabs a[data-tab="flow"]').textContent()).toBe(kk['tab.flow']);
      await p.screenshot({ path: join(e.shots, 'video-wl-04-flow-kk.png') });
      expect(op.pageErrors).toEqual([]);
    } finally {
      await op.ctx.close();
    }
  });
});

async function listIdOf(base: string, headers: Record<string, string>, name: string): Promise<string> {
  const { items } = (await (await fetch(`${base}/api/v1/video/watchlists`, { headers })).json()) as { items: { id: string; name: string }[] };
  const list = items.find((l) => l.name === name);
  if (!list) throw new Error(`watchlist ${name} not found`);
  return list.id;
}

async function entriesOf(base: string, headers: Record<string, string>, listId: string): Promise<Entry[]> {
  const res = await fetch(`${base}/api/v1/video/watchlists/${listId}/entries`, { headers });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: Entry[] }).items;
}
