import { dotRow, type Hit, TopK } from './vectors.ts';
import { seededRandom } from '../../../packages/kernel/src/random.ts';

/**
 * Watchlist search by cosine similarity over L2-normalised vectors.
 *
 * - `ExactIndex`: every row scanned (packed Float32Array, 4-way unrolled dot products). Exact; used while the
 *   list is small (the cost grows with rows × dim).
 * - `IvfIndex`: an inverted-file index (Jégou et al., "Product quantization for nearest neighbor search", 2011, the
 *   IVF part; the coarse quantiser of FAISS's IndexIVFFlat). Spherical k-means (k-means++ seeding on a sample)
 *   splits the vectors into `nlist` cells; a query scans the `nprobe` cells whose centroids are most similar to it,
 *   exactly. Rows added later go to their nearest cell; `needsRetrain` says when the list grew past twice the
 *   size it was trained on.
 *
 * Rows are addressed by position (0..size-1); callers map positions to entry ids. Removing a row marks it dead (it is
 * skipped) until the next rebuild.
 */
export interface VectorIndex {
  readonly dim: number;
  readonly size: number;
  add(v: Float32Array): number;
  remove(row: number): void;
  search(q: Float32Array, k: number): Hit[];
  /** Bytes held in the index's typed arrays. */
  readonly bytes: number;
}

/** A packed, growable matrix of float32 rows. */
class Rows {
  data: Float32Array;
  size = 0;
  constructor(
    readonly dim: number,
    capacity = 1024,
  ) {
    this.data = new Float32Array(dim * Math.max(1, capacity));
  }
  push(v: Float32Array): number {
    if (v.length !== this.dim) throw new Error(`vector of ${v.length}, index of ${this.dim}`);
    if ((this.size + 1) * this.dim > this.data.length) {
      const bigger = new Float32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data.set(v, this.size * this.dim);
    return this.size++;
  }
  row(i: number): Float32Array {
    return this.data.subarray(i * this.dim, (i + 1) * this.dim);
  }
}

export class ExactIndex implements VectorIndex {
  private readonly rows: Rows;
  private readonly dead = new Set<number>();
  constructor(
    readonly dim: number,
    capacity?: number,
  ) {
    this.rows = new Rows(dim, capacity);
  }
  get size(): number {
    return this.rows.size;
  }
  get bytes(): number {
    return this.rows.data.byteLength;
  }
  add(v: Float32Array): number {
    return this.rows.push(v);
  }
  remove(row: number): void {
    this.dead.add(row);
  }
  vector(row: number): Float32Array {
    return this.rows.row(row);
  }
  search(q: Float32Array, k: number): Hit[] {
    const top = new TopK(k);
    const { data, size } = this.rows;
    const dead = this.dead.size > 0 ? this.dead : null;
    for (let r = 0; r < size; r++) {
      if (dead?.has(r)) continue;
      const s = dotRow(q, data, r, this.dim);
      if (s > top.floor) top.offer(r, s);
    }
    return top.hits;
  }
}

/** Seeded random numbers (the kernel's mulberry32). */
export const rng = seededRandom;

export interface IvfOptions {
  /** Cells; default about 2·√n, at least 1. */
  nlist?: number;
  /** Cells scanned per query. */
  nprobe: number;
  /** Dimension of the random projection cells are scanned in (default 64; ≥ dim means no projection). */
  reducedDim?: number;
  /** Candidates from the projected scan re-ranked with the full vectors (default 192). */
  rerank?: number;
  /** Cells each vector is filed in (1, or 2 to catch queries near a cell boundary; default 2). */
  spill?: number;
  /** Vectors k-means is trained on (a sample of the rows). */
  trainSample?: number;
  iterations?: number;
  seed?: number;
}

/**
 * IVF with a random-projection pre-transform and exact re-ranking: cells are chosen and scanned in a `reducedDim`
 * Gaussian random projection of the vectors (Johnson–Lindenstrauss: dot products kept up to ~1/√reducedDim), and the
 * best `rerank` candidates are scored again with the full vectors — so the score returned is the exact cosine.
 */
export class IvfIndex implements VectorIndex {
  readonly nlist: number;
  nprobe: number;
  rerank: number;
  readonly reducedDim: number;
  private readonly rows: Rows;
  private readonly projection: Float32Array | null;
  private readonly centroids: Float32Array;
  private lists: Int32Array[];
  /** The projected vectors of each cell's rows, in the cell's order (scanned sequentially). */
  private cellVectors: Float32Array[];
  private listSizes: Int32Array;
  private readonly dead = new Set<number>();
  readonly trainedOn: number;
  readonly spill: number;
  /** Per row, the query that last scored it (a row filed in two cells is scored once). */
  private seen = new Int32Array(0);
  private query = 0;

  /** Trains the coarse quantiser on (a sample of) `vectors` and adds them all. */
  constructor(
    readonly dim: number,
    vectors: Float32Array,
    count: number,
    o: IvfOptions,
  ) {
    this.nprobe = o.nprobe;
    this.rerank = o.rerank ?? 192;
    this.spill = Math.max(1, Math.min(2, o.spill ?? 2));
    this.nlist = Math.max(1, Math.min(count, o.nlist ?? Math.round(2 * Math.sqrt(count))));
    const m = Math.min(dim, o.reducedDim ?? 64);
    this.reducedDim = m;
    if (m < dim) {
      const g = gaussianOf(rng((o.seed ?? 1) + 1));
      const p = new Float32Array(m * dim);
      const scale = 1 / Math.sqrt(m);
      for (let i = 0; i < p.length; i++) p[i] = g() * scale;
      this.projection = p;
    } else this.projection = null;
    this.rows = new Rows(dim, count + 1024);
    const projected = new Float32Array(count * m);
    for (let i = 0; i < count; i++) projected.set(this.project(vectors.subarray(i * dim, (i + 1) * dim)), i * m);
    this.centroids = kmeans(projected, count, m, this.nlist, o.trainSample ?? Math.min(count, this.nlist * 64), o.iterations ?? 10, o.seed ?? 1);
    this.lists = Array.from({ length: this.nlist }, () => new Int32Array(16));
    this.cellVectors = Array.from({ length: this.nlist }, () => new Float32Array(16 * m));
    this.listSizes = new Int32Array(this.nlist);
    this.trainedOn = count;
    for (let i = 0; i < count; i++) this.place(vectors.subarray(i * dim, (i + 1) * dim), projected.subarray(i * m, (i + 1) * m));
  }

  get size(): number {
    return this.rows.size;
  }
  get bytes(): number {
    let n = this.rows.data.byteLength + this.centroids.byteLength + (this.projection?.byteLength ?? 0) + this.seen.byteLength + this.listSizes.byteLength;
    for (let c = 0; c < this.nlist; c++) n += this.lists[c].byteLength + this.cellVectors[c].byteLength;
    return n;
  }
  get needsRetrain(): boolean {
    return this.rows.size > 2 * this.trainedOn;
  }

  private project(v: Float32Array): Float32Array {
    const p = this.projection;
    if (!p) return v;
    const out = new Float32Array(this.reducedDim);
    for (let j = 0; j < this.reducedDim; j++) out[j] = dotRow(v, p, j, this.dim);
    return out;
  }

  private nearestCells(v: Float32Array): Hit[] {
    const top = new TopK(Math.min(this.spill, this.nlist));
    for (let c = 0; c < this.nlist; c++) top.offer(c, dotRow(v, this.centroids, c, this.reducedDim));
    return top.hits;
  }

  private place(v: Float32Array, r: Float32Array): number {
    const row = this.rows.push(v);
    const m = this.reducedDim;
    for (const { row: c } of this.nearestCells(r)) {
      let list = this.lists[c];
      if (this.listSizes[c] === list.length) {
        const bigger = new Int32Array(list.length * 2);
        bigger.set(list);
        this.lists[c] = list = bigger;
        const vectors = new Float32Array(list.length * m);
        vectors.set(this.cellVectors[c]);
        this.cellVectors[c] = vectors;
      }
      this.cellVectors[c].set(r, this.listSizes[c] * m);
      list[this.listSizes[c]++] = row;
    }
    return row;
  }

  add(v: Float32Array): number {
    if (v.length !== this.dim) throw new Error(`vector of ${v.length}, index of ${this.dim}`);
    return this.place(v, this.project(v));
  }

  remove(row: number): void {
    this.dead.add(row);
  }

  search(q: Float32Array, k: number): Hit[] {
    const m = this.reducedDim;
    const qr = this.project(q);
    const cells = new TopK(Math.min(this.nprobe, this.nlist));
    for (let c = 0; c < this.nlist; c++) {
      const s = dotRow(qr, this.centroids, c, m);
      if (s > cells.floor) cells.offer(c, s);
    }
    const candidates = new TopK(Math.max(k, this.rerank));
    const dead = this.dead.size > 0 ? this.dead : null;
    if (this.seen.length < this.rows.size) {
      const grown = new Int32Array(Math.max(this.rows.size, this.seen.length * 2));
      grown.set(this.seen);
      this.seen = grown;
    }
    const stamp = ++this.query;
    const seen = this.seen;
    for (const cell of cells.hits) {
      const list = this.lists[cell.row];
      const vectors = this.cellVectors[cell.row];
      const n = this.listSizes[cell.row];
      for (let j = 0; j < n; j++) {
        const r = list[j];
        if (seen[r] === stamp) continue;
        seen[r] = stamp;
        if (dead?.has(r)) continue;
        const s = dotRow(qr, vectors, j, m);
        if (s > candidates.floor) candidates.offer(r, s);
      }
    }
    const top = new TopK(k);
    for (const c of candidates.hits) top.offer(c.row, dotRow(q, this.rows.data, c.row, this.dim));
    return top.hits;
  }
}

function gaussianOf(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
}

/**
 * Spherical k-means: centroids normalised after each step, assignment by largest dot product. k-means++ seeding on
 * a random sample of `sample` rows; returns `k` packed unit centroids.
 */
export function kmeans(vectors: Float32Array, count: number, dim: number, k: number, sample: number, iterations: number, seed: number): Float32Array {
  const random = rng(seed);
  const n = Math.max(k, Math.min(count, sample));
  // A sample without replacement (partial Fisher–Yates over row numbers).
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (count - i));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const pts = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) pts.set(vectors.subarray(order[i] * dim, (order[i] + 1) * dim), i * dim);

  const centroids = new Float32Array(k * dim);
  // k-means++ (distance on the sphere: 1 − cos).
  const best = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  let pick = Math.floor(random() * n);
  for (let c = 0; c < k; c++) {
    centroids.set(pts.subarray(pick * dim, (pick + 1) * dim), c * dim);
    if (c === k - 1) break;
    let total = 0;
    const cv = centroids.subarray(c * dim, (c + 1) * dim);
    for (let i = 0; i < n; i++) {
      const d = Math.max(0, 1 - dotRow(cv, pts, i, dim));
      if (d < best[i]) best[i] = d;
      total += best[i] * best[i];
    }
    let target = random() * total;
    pick = n - 1;
    for (let i = 0; i < n; i++) {
      target -= best[i] * best[i];
      if (target <= 0) {
        pick = i;
        break;
      }
    }
  }

  const assign = new Int32Array(n);
  const sums = new Float64Array(k * dim);
  const counts = new Int32Array(k);
  for (let it = 0; it < iterations; it++) {
    let moved = 0;
    for (let i = 0; i < n; i++) {
      const p = pts.subarray(i * dim, (i + 1) * dim);
      let bc = 0;
      let bs = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < k; c++) {
        const s = dotRow(p, centroids, c, dim);
        if (s > bs) {
          bs = s;
          bc = c;
        }
      }
      if (it === 0 || assign[i] !== bc) moved++;
      assign[i] = bc;
    }
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = assign[i];
      counts[c]++;
      const o = c * dim;
      const po = i * dim;
      for (let d = 0; d < dim; d++) sums[o + d] += pts[po + d];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) {
        // An empty cell takes a random point.
        const r = Math.floor(random() * n);
        centroids.set(pts.subarray(r * dim, (r + 1) * dim), c * dim);
        continue;
      }
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += sums[c * dim + d] ** 2;
      const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let d = 0; d < dim; d++) centroids[c * dim + d] = sums[c * dim + d] * inv;
    }
    if (it > 0 && moved === 0) break;
  }
  return centroids;
}
