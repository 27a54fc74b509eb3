import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bytesOfDataUrl } from '../embedding.ts';
import { loadVideoSettings } from '../settings.ts';
import { decodeImage, HUMAN_EMBEDDING_DIM, HumanEmbeddingProvider } from './human-provider.ts';

// Real model, real faces: crops of @vladmandic/human's assets/screenshot-facematch.jpg (see ../testing/README.md).
const faceA = new Uint8Array(readFileSync(new URL('../testing/face-a.jpg', import.meta.url)));
const faceB = new Uint8Array(readFileSync(new URL('../testing/face-b.jpg', import.meta.url)));

const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

/** `part` of the image from (`dx`, `dy`) (fractions), resized by `scale` (nearest neighbour), as PNG or JPEG. */
function variant(bytes: Uint8Array, o: { dx: number; dy: number; part: number; scale: number; format: 'png' | 'jpeg' }): Uint8Array {
  const img = decodeImage(bytes);
  if (!img) throw new Error('undecodable');
  const w0 = Math.round(img.width * o.part);
  const h0 = Math.round(img.height * o.part);
  const x0 = Math.round(img.width * o.dx);
  const y0 = Math.round(img.height * o.dy);
  const W = Math.round(w0 * o.scale);
  const H = Math.round(h0 * o.scale);
  const data = Buffer.alloc(W * H * 4);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const s = ((y0 + Math.min(h0 - 1, Math.floor(y / o.scale))) * img.width + x0 + Math.min(w0 - 1, Math.floor(x / o.scale))) * 4;
      data.set(img.data.subarray(s, s + 4), (y * W + x) * 4);
    }
  if (o.format === 'jpeg') return new Uint8Array(jpeg.encode({ data, width: W, height: H }, 90).data);
  const png = new PNG({ width: W, height: H });
  data.copy(png.data);
  return new Uint8Array(PNG.sync.write(png));
}

describe('HumanEmbeddingProvider (faceres, wasm, weights from the package)', () => {
  const provider = new HumanEmbeddingProvider();
  let a: Float32Array;
  let b: Float32Array;

  beforeAll(async () => {
    const [ra, rb] = await Promise.all([provider.embed(faceA), provider.embed(faceB)]);
    a = ra[0].embedding;
    b = rb[0].embedding;
  }, 120_000);

  it('returns L2-normalised vectors of its declared dimension (1024), largest face first', async () => {
    expect(provider.dim).toBe(HUMAN_EMBEDDING_DIM);
    expect(a).toHaveLength(1024);
    expect(Math.sqrt(cos(a, a))).toBeCloseTo(1, 5);
    const faces = await provider.embed(faceA);
    const areas = faces.map((f) => f.box.width * f.box.height);
    expect(areas).toEqual([...areas].sort((x, y) => y - x));
    expect(faces[0].score).toBeGreaterThan(0.5);
  });

  it('the same face — the crop again, and shifted and resized as PNG and JPEG — scores a high cosine similarity', async () => {
    const again = (await provider.embed(faceA))[0].embedding;
    expect(cos(a, again)).toBeGreaterThan(0.99);
    const shifted = (await provider.embed(variant(faceA, { dx: 0, dy: 0.05, part: 0.9, scale: 1.3, format: 'png' })))[0].embedding;
    const smaller = (await provider.embed(variant(faceA, { dx: 0, dy: 0.03, part: 0.95, scale: 0.8, format: 'jpeg' })))[0].embedding;
    expect(cos(a, shifted)).toBeGreaterThan(0.8);
    expect(cos(a, smaller)).toBeGreaterThan(0.8);
  });

  it('two different people score clearly lower', () => {
    expect(cos(a, b)).toBeLessThan(0.6);
  });

  it('an image with no face (or bytes that are no image) gives no embedding', async () => {
    const png = new PNG({ width: 320, height: 240 });
    png.data.fill(128);
    expect(await provider.embed(new Uint8Array(PNG.sync.write(png)))).toEqual([]);
    expect(await provider.embed(new Uint8Array([1, 2, 3, 4]))).toEqual([]);
  });

  it('reads reference images given as base64 data URLs', () => {
    const url = `data:image/jpeg;base64,${Buffer.from(faceA).toString('base64')}`;
    expect(bytesOfDataUrl(url)).toEqual(faceA);
    expect(bytesOfDataUrl('https://evidence.example.kz/ref/1.jpg')).toBeNull();
  });
});

describe('TARTIP_VIDEO_EMBEDDING_PROVIDER', () => {
  it('defaults to none; `human` needs TARTIP_VIDEO_EMBEDDING_DIM=1024, else the start fails naming the variable', () => {
    expect(loadVideoSettings({}).embeddingProvider).toBe('none');
    expect(loadVideoSettings({ TARTIP_VIDEO_EMBEDDING_PROVIDER: 'human', TARTIP_VIDEO_EMBEDDING_DIM: '1024' })).toMatchObject({ embeddingProvider: 'human', embeddingDim: 1024 });
    expect(() => loadVideoSettings({ TARTIP_VIDEO_EMBEDDING_PROVIDER: 'human' })).toThrow(/TARTIP_VIDEO_EMBEDDING_DIM: .*1024/);
    expect(() => loadVideoSettings({ TARTIP_VIDEO_EMBEDDING_PROVIDER: 'arcface' })).toThrow(/TARTIP_VIDEO_EMBEDDING_PROVIDER/);
  });
});
