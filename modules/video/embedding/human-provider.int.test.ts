/**
 * Server-side embeddings through the API: with TARTIP_VIDEO_EMBEDDING_PROVIDER=human and TARTIP_VIDEO_EMBEDDING_DIM=1024,
 * a watchlist entry posted with a reference image (a JPEG/PNG data URL) and no embedding is stored with the largest
 * face's 1024-value faceres embedding; an image without a face is a localised 422 and nothing is stored.
 */
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, problem, type TestServer, testServer } from '../../../apps/server/src/testing.ts';
import { backendName } from '../../../packages/kernel/src/testing.ts';
import { runtime } from '../runtime.ts';

const faceA = readFileSync(new URL('../testing/face-a.jpg', import.meta.url));
const faceB = readFileSync(new URL('../testing/face-b.jpg', import.meta.url));
const dataUrl = (type: string, bytes: Uint8Array) => `data:image/${type};base64,${Buffer.from(bytes).toString('base64')}`;

describe(`server-side face embeddings (human) on ${backendName}`, () => {
  let server: TestServer;
  const as = (user: string, method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    server.as(user, { method, url, payload: payload as never, headers });
  const entries = async () => (await server.kernel.db.query<{ n: number }>('select count(*)::int8 as n from video_watchlist_entry'))[0].n;

  beforeAll(async () => {
    server = await testServer({ env: { TARTIP_VIDEO_EMBEDDING_PROVIDER: 'human', TARTIP_VIDEO_EMBEDDING_DIM: '1024', TARTIP_VIDEO_CHECK_MS: '3600000' } });
  }, 60_000);
  afterAll(async () => server?.close());

  it('an entry with only a reference image is stored with the embedding of its face (1024 values, unit length); no face → 422 video.no_face, nothing stored', async () => {
    const w = ok(await as('investigator', 'POST', '/api/v1/video/watchlists', { name: `Wanted ${Date.now()}` }), 201);
    const base = {
      subject: 'Test Subject',
      legalBasis: { kind: 'court_order', reference: 'No. 2-1/2026' },
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      owner: 'Test',
    };
    const url = `/api/v1/video/watchlists/${w.id}/entries`;
    const e = ok(await as('investigator', 'POST', url, { ...base, referenceImage: dataUrl('jpeg', faceA) }), 201);
    expect(e).toMatchObject({ status: 'active', dim: 1024 });
    const one = ok(await as('investigator', 'GET', `${url}/${e.id}`));
    expect(one.embedding).toHaveLength(1024);
    expect(Math.sqrt(one.embedding.reduce((s: number, x: number) => s + x * x, 0))).toBeCloseTo(1, 5);
    // The stored vector is the provider's for that face: it matches the face, not another person.
    const provider = await runtime(server.kernel).embeddingProvider();
    const [a] = await (provider as NonNullable<typeof provider>).embed(faceA);
    const [b] = await (provider as NonNullable<typeof provider>).embed(faceB);
    const cos = (v: Float32Array) => v.reduce((s, x, i) => s + x * one.embedding[i], 0);
    expect(cos(a.embedding)).toBeGreaterThan(0.99);
    expect(cos(b.embedding)).toBeLessThan(0.6);

    const before = await entries();
    const png = new PNG({ width: 200, height: 200 });
    png.data.fill(200);
    const noFace = problem(await as('investigator', 'POST', url, { ...base, referenceImage: dataUrl('png', PNG.sync.write(png)) }, { 'accept-language': 'ru' }), 422, 'video.no_face');
    expect(noFace.title).toBe('На изображении нет лица');
    expect(noFace.errors[0]).toMatchObject({ path: 'body.referenceImage', code: 'no_face' });
    const link = problem(await as('investigator', 'POST', url, { ...base, referenceImage: 'https://evidence.example.kz/ref/1.jpg' }), 400, 'validation_failed');
    expect(link.errors[0]).toMatchObject({ path: 'body.referenceImage', code: 'not_image_data_url' });
    expect(await entries()).toBe(before);
  }, 120_000);
});
