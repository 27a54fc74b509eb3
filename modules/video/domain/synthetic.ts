import { rng } from './vector-index.ts';

/**
 * Synthetic face embeddings for tests and benchmarks. Real face embeddings are not uniform on the sphere: identities
 * lie near a low-dimensional manifold. We model that as `normalise(A·z + σ·ε)`: a latent identity z ∈ ℝ^latent
 * (standard normal), a fixed random projection A (dim × latent), isotropic noise ε. A probe of an enrolled identity is
 * the same z moved by `drift` in latent space, with fresh noise — so its true match is clearly closer than the rest.
 */
export interface Synthetic {
  dim: number;
  /** count × dim, unit rows. */
  entries: Float32Array;
  /** Probes of random entries: which entry each probes, and the vectors. */
  probeOf: Int32Array;
  probes: Float32Array;
}

export function gaussian(random: () => number): () => number {
  return () => {
    const u = Math.max(random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
}

export function synthetic(count: number, probes: number, dim = 512, o: { latent?: number; noise?: number; drift?: number; seed?: number } = {}): Synthetic {
  const latent = o.latent ?? 32;
  const noise = o.noise ?? 0.35;
  const drift = o.drift ?? 0.35;
  const random = rng(o.seed ?? 7);
  const g = gaussian(random);
  const A = new Float32Array(dim * latent);
  for (let i = 0; i < A.length; i++) A[i] = g() / Math.sqrt(latent);
  const embed = (z: Float64Array, out: Float32Array, at: number) => {
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      let s = 0;
      for (let j = 0; j < latent; j++) s += A[d * latent + j] * z[j];
      s += noise * g();
      out[at + d] = s;
      norm += s * s;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let d = 0; d < dim; d++) out[at + d] *= inv;
  };
  const zs = new Float64Array(count * latent);
  for (let i = 0; i < zs.length; i++) zs[i] = g();
  const entries = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) embed(zs.subarray(i * latent, (i + 1) * latent), entries, i * dim);
  const probeOf = new Int32Array(probes);
  const out = new Float32Array(probes * dim);
  const z = new Float64Array(latent);
  for (let p = 0; p < probes; p++) {
    const e = Math.floor(random() * count);
    probeOf[p] = e;
    for (let j = 0; j < latent; j++) z[j] = zs[e * latent + j] + drift * g();
    embed(z, out, p * dim);
  }
  return { dim, entries, probeOf, probes: out };
}
