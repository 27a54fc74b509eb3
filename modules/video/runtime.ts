import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import type { EmbeddingProvider } from './embedding.ts';
import { ExactIndex, IvfIndex, type VectorIndex } from './domain/vector-index.ts';
import { fromBytes } from './domain/vectors.ts';
import { loadVideoSettings, type VideoSettings } from './settings.ts';

/** A live watchlist entry as the matcher holds it. */
export interface IndexedEntry {
  entryId: string;
  watchlistId: string;
  expiresAtMs: number;
}

export interface FaceMatch {
  entryId: string;
  watchlistId: string;
  score: number;
}

interface EntryRow {
  id: string;
  watchlist_id: string;
  embedding: Uint8Array;
  expires_at: Date;
}

/**
 * The face matcher of one process: every live watchlist entry (not removed, not expired) in a vector index — exact
 * while there are at most `exactMax`, IVF above that. Loaded on first use; entries added or removed anywhere arrive
 * as `video.watchlist.changed` events (index.ts) or directly from this process's commands, and are applied in
 * place. Expiry is checked at match time, so an expired entry never matches even before the periodic prune.
 */
export class FaceMatcher {
  private index: VectorIndex | null = null;
  private entries: IndexedEntry[] = [];
  private rowOf = new Map<string, number>();
  private loading: Promise<void> | null = null;
  /** Set when the index should be rebuilt (grown past what IVF was trained on, or crossed the exact limit). */
  private stale = false;

  constructor(private readonly settings: VideoSettings) {}

  get size(): number {
    return this.rowOf.size;
  }
  /** Bytes of the index's vectors and structure. */
  get bytes(): number {
    return this.index?.bytes ?? 0;
  }
  get kind(): 'exact' | 'ivf' | 'none' {
    return this.index instanceof IvfIndex ? 'ivf' : this.index ? 'exact' : 'none';
  }

  async ensure(kernel: Kernel): Promise<void> {
    if (this.index && !this.stale) return;
    this.loading ??= this.load(kernel).finally(() => {
      this.loading = null;
    });
    await this.loading;
  }

  /** (Re)builds the index from the database. */
  async load(kernel: Kernel): Promise<void> {
    const rows = await kernel.db.query<EntryRow>(
      'select id, watchlist_id, embedding, expires_at from video_watchlist_entry where removed_at is null and expires_at > $1 order by created_at, id',
      [kernel.clock.now().toISOString()],
    );
    const dim = this.settings.embeddingDim;
    const usable = rows.filter((r) => r.embedding.byteLength === dim * 4);
    const vectors = new Float32Array(usable.length * dim);
    for (const [i, r] of usable.entries()) vectors.set(fromBytes(r.embedding), i * dim);
    this.build(
      vectors,
      usable.map((r) => ({ entryId: r.id, watchlistId: r.watchlist_id, expiresAtMs: new Date(r.expires_at).getTime() })),
    );
  }

  /** Builds from packed unit vectors (also used by the benchmark). */
  build(vectors: Float32Array, entries: IndexedEntry[]): void {
    const dim = this.settings.embeddingDim;
    const n = entries.length;
    if (n > this.settings.exactMax) {
      this.index = new IvfIndex(dim, vectors, n, { nprobe: this.settings.ivfProbe });
    } else {
      const exact = new ExactIndex(dim, n + 64);
      for (let i = 0; i < n; i++) exact.add(vectors.subarray(i * dim, (i + 1) * dim));
      this.index = exact;
    }
    this.entries = entries.slice();
    this.rowOf = new Map(entries.map((e, i) => [e.entryId, i]));
    this.stale = false;
  }

  add(entry: IndexedEntry, vector: Float32Array): void {
    if (!this.index || this.rowOf.has(entry.entryId)) return;
    const row = this.index.add(vector);
    this.entries[row] = entry;
    this.rowOf.set(entry.entryId, row);
    if ((this.index instanceof ExactIndex && this.rowOf.size > this.settings.exactMax) || (this.index instanceof IvfIndex && this.index.needsRetrain)) this.stale = true;
  }

  remove(entryId: string): void {
    const row = this.rowOf.get(entryId);
    if (row === undefined || !this.index) return;
    this.index.remove(row);
    this.rowOf.delete(entryId);
  }

  /** Drops entries that expired by `nowMs`; returns how many. */
  prune(nowMs: number): number {
    let n = 0;
    for (const [id, row] of this.rowOf) {
      if (this.entries[row].expiresAtMs <= nowMs) {
        this.remove(id);
        n++;
      }
    }
    return n;
  }

  /** The best live entry at or above the threshold, or null. */
  match(q: Float32Array, nowMs: number, threshold = this.settings.matchThreshold): FaceMatch | null {
    if (!this.index || this.rowOf.size === 0) return null;
    for (const hit of this.index.search(q, 8)) {
      if (hit.score < threshold) return null;
      const e = this.entries[hit.row];
      if (!e || this.rowOf.get(e.entryId) !== hit.row) continue; // removed
      if (e.expiresAtMs <= nowMs) continue;
      return { entryId: e.entryId, watchlistId: e.watchlistId, score: hit.score };
    }
    return null;
  }

  /** The index's own nearest rows (for the benchmark's recall). */
  search(q: Float32Array, k: number) {
    return this.index?.search(q, k) ?? [];
  }
}

export class VideoRuntime {
  readonly matcher: FaceMatcher;
  /** This process since it started. */
  readonly counters = { events: 0, duplicates: 0, alerts: 0, platesForwarded: 0, mqttMessages: 0, mqttRejected: 0 };
  private embedder: Promise<EmbeddingProvider> | null = null;
  constructor(readonly settings: VideoSettings) {
    this.matcher = new FaceMatcher(settings);
  }

  /**
   * The configured server-side embedding provider, or null (`none`). Its code and models are loaded on first use,
   * so a deployment without one never loads tfjs.
   */
  embeddingProvider(): Promise<EmbeddingProvider> | null {
    if (this.settings.embeddingProvider === 'none') return null;
    this.embedder ??= import('./embedding/human-provider.ts').then((m) => new m.HumanEmbeddingProvider());
    return this.embedder;
  }
}

const runtimes = new WeakMap<Kernel, VideoRuntime>();

export function runtime(kernel: Kernel): VideoRuntime {
  let r = runtimes.get(kernel);
  if (!r) {
    r = new VideoRuntime(loadVideoSettings(kernel.config.env ?? process.env));
    runtimes.set(kernel, r);
  }
  return r;
}
