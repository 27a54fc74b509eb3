import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { EmbeddingProvider } from '../embedding.ts';

/** faceres (in @vladmandic/human) describes a face with 1024 values. */
export const HUMAN_EMBEDDING_DIM = 1024;

const require = createRequire(import.meta.url);

/** The package's directory (its `exports` lack `./package.json`, so resolve the main entry and walk up). */
function humanDir(): string {
  let dir = dirname(require.resolve('@vladmandic/human'));
  while (!dir.endsWith(join('@vladmandic', 'human'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot locate @vladmandic/human');
    dir = up;
  }
  return dir;
}

export interface DecodedImage {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel. */
  data: Uint8Array;
}

/** Decodes a JPEG or PNG (pure JS); null when the bytes are neither or are corrupt. */
export function decodeImage(bytes: Uint8Array): DecodedImage | null {
  try {
    if (bytes[0] === 0xff && bytes[1] === 0xd8) {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256, maxResolutionInMP: 50 });
      return { width: img.width, height: img.height, data: img.data };
    }
    if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
      const img = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: img.width, height: img.height, data: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength) };
    }
  } catch {
    return null;
  }
  return null;
}

// biome-ignore lint/suspicious/noExplicitAny: the package ships no usable types for its node-wasm build
type Human = any;

/**
 * Face embeddings on the server with `@vladmandic/human` (MIT; BlazeFace detection, FaceMesh alignment, FaceRes
 * description — 1024 values), on tfjs's WebAssembly backend: no native code, no download. The weights ship in the
 * package's `models/`; the wasm build loads models with `fetch`, which in Node does not read `file://`, so the
 * provider serves that directory read-only on a loopback port of its own while the models load (once, lazily, on the
 * first image), then closes it. Vectors are L2-normalised, largest face first.
 */
export class HumanEmbeddingProvider implements EmbeddingProvider {
  readonly model = 'vladmandic-human-3.3.6/faceres';
  readonly dim = HUMAN_EMBEDDING_DIM;
  private ready: Promise<Human> | null = null;

  private load(): Promise<Human> {
    this.ready ??= (async () => {
      const root = humanDir();
      const models = join(root, 'models');
      const server = await serveDirectory(models);
      try {
        const port = (server.address() as { port: number }).port;
        const mod = require(join(root, 'dist', 'human.node-wasm.js'));
        const HumanClass = mod.Human ?? mod.default;
        const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
        const human = new HumanClass({
          backend: 'wasm',
          wasmPath: `${join(wasmDir, '/')}`,
          modelBasePath: `http://127.0.0.1:${port}/`,
          debug: false,
          async: true,
          cacheSensitivity: 0,
          filter: { enabled: false },
          face: {
            enabled: true,
            detector: { modelPath: 'blazeface.json', rotation: true, maxDetected: 20, minConfidence: 0.5, return: false },
            mesh: { enabled: true, modelPath: 'facemesh.json' },
            attention: { enabled: false },
            iris: { enabled: false },
            description: { enabled: true, modelPath: 'faceres.json' },
            emotion: { enabled: false },
            antispoof: { enabled: false },
            liveness: { enabled: false },
          },
          body: { enabled: false },
          hand: { enabled: false },
          object: { enabled: false },
          gesture: { enabled: false },
          segmentation: { enabled: false },
        });
        await human.load();
        await human.warmup?.({ warmup: 'none' });
        return human;
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    })().catch((e) => {
      this.ready = null;
      throw e;
    });
    return this.ready;
  }

  async embed(image: Uint8Array): Promise<{ embedding: Float32Array; box: { x: number; y: number; width: number; height: number }; score: number }[]> {
    const img = decodeImage(image);
    if (!img) return [];
    const human = await this.load();
    const rgb = new Uint8Array(img.width * img.height * 3);
    for (let i = 0, j = 0; i < img.data.length; i += 4, j += 3) {
      rgb[j] = img.data[i];
      rgb[j + 1] = img.data[i + 1];
      rgb[j + 2] = img.data[i + 2];
    }
    const tensor = human.tf.tensor3d(rgb, [img.height, img.width, 3], 'int32');
    const expanded = human.tf.expandDims(tensor, 0);
    try {
      const result = await human.detect(expanded);
      const out = [];
      for (const f of result.face ?? []) {
        const e = f.embedding as number[] | undefined;
        if (!e || e.length !== this.dim) continue;
        let n = 0;
        for (const x of e) n += x * x;
        n = Math.sqrt(n);
        if (!Number.isFinite(n) || n === 0) continue;
        const embedding = new Float32Array(e.length);
        for (let i = 0; i < e.length; i++) embedding[i] = e[i] / n;
        const [x, y, width, height] = f.box as number[];
        out.push({ embedding, box: { x, y, width, height }, score: Number(f.faceScore ?? f.score ?? 0) });
      }
      return out.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
    } finally {
      human.tf.dispose([tensor, expanded]);
    }
  }
}

/** Serves the files of one directory (GET only, no listing, no traversal) on 127.0.0.1 at a free port. */
function serveDirectory(dir: string): Promise<Server> {
  const server = createServer(async (req, res) => {
    const path = normalize(join(dir, decodeURIComponent((req.url ?? '/').split('?')[0])));
    if (req.method !== 'GET' || !path.startsWith(dir + '/')) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(path);
      res.writeHead(200, { 'content-type': path.endsWith('.json') ? 'application/json' : 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}
