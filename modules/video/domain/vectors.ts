/**
 * Face-embedding arithmetic: L2 normalisation, dot products over packed Float32Arrays, and the byte form stored in
 * the database (float32, little-endian). With normalised vectors, cosine similarity is the dot product.
 */

/** The vector scaled to unit length, as float32; null when it has no length (all zeros) or is not finite. */
export function normalise(v: ArrayLike<number>): Float32Array | null {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  if (!Number.isFinite(s) || s === 0) return null;
  const k = 1 / Math.sqrt(s);
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] * k;
  return out;
}

/** Dot product of `q` with the row `row` (of length `dim`) of the packed matrix `m`. */
export function dotRow(q: Float32Array, m: Float32Array, row: number, dim: number): number {
  const o = row * dim;
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let i = 0;
  for (; i + 3 < dim; i += 4) {
    a += q[i] * m[o + i];
    b += q[i + 1] * m[o + i + 1];
    c += q[i + 2] * m[o + i + 2];
    d += q[i + 3] * m[o + i + 3];
  }
  for (; i < dim; i++) a += q[i] * m[o + i];
  return a + b + c + d;
}

export function toBytes(v: Float32Array): Uint8Array {
  const out = new Uint8Array(v.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < v.length; i++) view.setFloat32(i * 4, v[i], true);
  return out;
}

export function fromBytes(b: Uint8Array): Float32Array {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Float32Array(b.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** A match candidate: the row's position in the index and its cosine similarity to the query. */
export interface Hit {
  row: number;
  score: number;
}

/** Keeps the best `k` hits seen (k is small: a sorted array beats a heap). */
export class TopK {
  readonly hits: Hit[] = [];
  /** The score a new hit must beat to enter (−∞ until k hits are held). */
  floor = Number.NEGATIVE_INFINITY;
  constructor(readonly k: number) {}
  offer(row: number, score: number): void {
    if (score <= this.floor) return;
    const hits = this.hits;
    if (hits.length === this.k) hits.pop();
    let i = hits.length;
    while (i > 0 && hits[i - 1].score < score) i--;
    hits.splice(i, 0, { row, score });
    if (hits.length === this.k) this.floor = hits[hits.length - 1].score;
  }
}
