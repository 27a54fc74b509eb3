import { Problem } from '../../packages/kernel/src/errors.ts';
import { newId } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import type { CommandContext } from '../../packages/kernel/src/outbox.ts';
import { fromBytes, normalise, toBytes } from './domain/vectors.ts';
import { bytesOfDataUrl } from './embedding.ts';
import { WATCHLIST_CHANGED } from './events.ts';
import { runtime } from './runtime.ts';

/**
 * Face watchlists. An entry carries a reference image, an embedding (TARTIP_VIDEO_EMBEDDING_DIM values, stored
 * L2-normalised), a legal basis (a court order or a wanted-list reference), an expiry and an owner. Only holders of
 * `video:watchlist` reach these functions (routes), and every read of entries is appended to the audit chain with
 * the entries read. Expired or removed entries never match.
 */

export const LEGAL_BASIS_KINDS = ['court_order', 'wanted_list'] as const;

export interface NewEntry {
  subject: string;
  referenceImage: string;
  /** Absent: computed from `referenceImage` (a JPEG/PNG data URL) by the configured provider, if any. */
  embedding?: number[];
  legalBasis: { kind: (typeof LEGAL_BASIS_KINDS)[number]; reference: string };
  expiresAt: string;
  owner: string;
}

export interface WatchlistRow {
  id: string;
  name: string;
  description: string | null;
  created_by: string;
  created_at: Date;
}

export interface EntryRow {
  id: string;
  watchlist_id: string;
  subject: string;
  reference_image: string;
  embedding: Uint8Array;
  dim: number;
  legal_basis_kind: string;
  legal_basis_ref: string;
  expires_at: Date;
  owner: string;
  created_by: string;
  created_at: Date;
  removed_at: Date | null;
  removed_by: string | null;
}

const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());

export function presentWatchlist(w: WatchlistRow & { entries?: number }) {
  return { id: w.id, name: w.name, description: w.description, liveEntries: Number(w.entries ?? 0), createdBy: w.created_by, createdAt: iso(w.created_at) as string };
}

export function presentEntry(e: EntryRow, nowMs: number, withEmbedding = false) {
  const expired = new Date(e.expires_at).getTime() <= nowMs;
  return {
    id: e.id,
    watchlistId: e.watchlist_id,
    subject: e.subject,
    referenceImage: e.reference_image,
    legalBasis: { kind: e.legal_basis_kind, reference: e.legal_basis_ref },
    expiresAt: iso(e.expires_at) as string,
    owner: e.owner,
    status: e.removed_at ? ('removed' as const) : expired ? ('expired' as const) : ('active' as const),
    dim: e.dim,
    ...(withEmbedding ? { embedding: Array.from(fromBytes(e.embedding)) } : {}),
    createdBy: e.created_by,
    createdAt: iso(e.created_at) as string,
    removedAt: iso(e.removed_at),
  };
}

export async function createWatchlist(kernel: Kernel, ctx: CommandContext, input: { name: string; description?: string }): Promise<WatchlistRow> {
  return kernel.commands.run(ctx, async (uow) => {
    const [dup] = await uow.tx.query('select 1 from video_watchlist where name = $1', [input.name]);
    if (dup) throw new Problem('video.watchlist_name_taken', { name: input.name }, [{ path: 'body.name', code: 'taken' }], 409);
    const [row] = await uow.tx.query<WatchlistRow>(
      'insert into video_watchlist (id, name, description, created_by, created_at) values ($1, $2, $3, $4, $5) returning *',
      [newId(), input.name, input.description ?? null, ctx.actor, uow.now.toISOString()],
    );
    await uow.audit({ action: 'watchlist.created', entity: 'video_watchlist', entityId: row.id, data: { name: row.name } });
    return row;
  });
}

export async function findWatchlist(kernel: Kernel, id: string): Promise<WatchlistRow> {
  const [w] = await kernel.db.query<WatchlistRow>('select * from video_watchlist where id = $1', [id]);
  if (!w) throw Problem.notFound();
  return w;
}

export async function addEntry(kernel: Kernel, ctx: CommandContext, watchlistId: string, input: NewEntry): Promise<EntryRow> {
  const rt = runtime(kernel);
  const dim = rt.settings.embeddingDim;
  await findWatchlist(kernel, watchlistId);
  const errors = [];
  let v: Float32Array | null = null;
  let imageBytes: Uint8Array | null = null;
  if (input.embedding === undefined) {
    // No embedding: the server computes it from the reference image, when a provider is configured.
    if (rt.settings.embeddingProvider === 'none') errors.push({ path: 'body.embedding', code: 'required' });
    else {
      imageBytes = bytesOfDataUrl(input.referenceImage);
      if (!imageBytes) errors.push({ path: 'body.referenceImage', code: 'not_image_data_url' });
    }
  } else if (input.embedding.length !== dim) errors.push({ path: 'body.embedding', code: 'wrong_dimension', params: { expected: String(dim) } });
  else {
    v = normalise(input.embedding);
    if (!v) errors.push({ path: 'body.embedding', code: 'zero_vector' });
  }
  if (Date.parse(input.expiresAt) <= kernel.clock.now().getTime()) errors.push({ path: 'body.expiresAt', code: 'already_expired' });
  if (errors.length > 0) throw Problem.validation(errors);
  const provider = imageBytes ? rt.embeddingProvider() : null;
  if (imageBytes && provider) {
    const embedder = await provider;
    const faces = await embedder.embed(imageBytes);
    // The largest face; none (or not an image) → nothing is stored.
    if (faces.length === 0 || faces[0].embedding.length !== dim) throw new Problem('video.no_face', {}, [{ path: 'body.referenceImage', code: 'no_face' }], 422);
    v = normalise(Array.from(faces[0].embedding));
  }
  if (!v) throw Problem.validation([{ path: 'body.embedding', code: 'zero_vector' }]);
  const vector = v;
  const row = await kernel.commands.run(ctx, async (uow) => {
    const [row] = await uow.tx.query<EntryRow>(
      `insert into video_watchlist_entry (id, watchlist_id, subject, reference_image, embedding, dim, legal_basis_kind, legal_basis_ref, expires_at, owner, created_by, created_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) returning *`,
      [newId(), watchlistId, input.subject, input.referenceImage, toBytes(vector), dim, input.legalBasis.kind, input.legalBasis.reference, input.expiresAt, input.owner, ctx.actor, uow.now.toISOString()],
    );
    await uow.audit({
      action: 'watchlist_entry.added',
      entity: 'video_watchlist_entry',
      entityId: row.id,
      data: { watchlistId, legalBasis: input.legalBasis, expiresAt: input.expiresAt, owner: input.owner },
    });
    await uow.emit({ subject: WATCHLIST_CHANGED, key: watchlistId, permission: 'video:watchlist', data: { watchlistId, entryId: row.id, change: 'added', at: uow.now.toISOString() } });
    return row;
  });
  await rt.matcher.ensure(kernel);
  rt.matcher.add({ entryId: row.id, watchlistId, expiresAtMs: new Date(row.expires_at).getTime() }, vector);
  return row;
}

export async function removeEntry(kernel: Kernel, ctx: CommandContext, watchlistId: string, entryId: string): Promise<EntryRow> {
  const row = await kernel.commands.run(ctx, async (uow) => {
    const [e] = await uow.tx.query<EntryRow>('select * from video_watchlist_entry where id = $1 and watchlist_id = $2 for update', [entryId, watchlistId]);
    if (!e) throw Problem.notFound();
    if (e.removed_at) throw new Problem('video.entry_removed', { at: iso(e.removed_at) }, [], 409);
    const [row] = await uow.tx.query<EntryRow>('update video_watchlist_entry set removed_at = $2, removed_by = $3 where id = $1 returning *', [entryId, uow.now.toISOString(), ctx.actor]);
    await uow.audit({ action: 'watchlist_entry.removed', entity: 'video_watchlist_entry', entityId: entryId, data: { watchlistId } });
    await uow.emit({ subject: WATCHLIST_CHANGED, key: watchlistId, permission: 'video:watchlist', data: { watchlistId, entryId, change: 'removed', at: uow.now.toISOString() } });
    return row;
  });
  runtime(kernel).matcher.remove(entryId);
  return row;
}

/** Appends a read of watchlist entries to the audit chain (who, which entries, why). */
export async function auditEntriesRead(kernel: Kernel, ctx: CommandContext, action: string, entryIds: string[], data: Record<string, unknown> = {}): Promise<void> {
  if (entryIds.length === 0) return;
  await kernel.commands.run(ctx, async (uow) =>
    uow.audit({ action, entity: 'video_watchlist_entry', entityId: entryIds.length === 1 ? entryIds[0] : null, data: { entries: entryIds, ...data } }),
  );
}

/** Applies a `video.watchlist.changed` event from any process to this process's matcher. */
export async function applyWatchlistChange(kernel: Kernel, change: { entryId: string; change: 'added' | 'removed' }): Promise<void> {
  const { matcher } = runtime(kernel);
  if (change.change === 'removed') return matcher.remove(change.entryId);
  const [e] = await kernel.db.query<EntryRow>('select * from video_watchlist_entry where id = $1 and removed_at is null', [change.entryId]);
  if (!e || e.dim !== runtime(kernel).settings.embeddingDim) return;
  await matcher.ensure(kernel);
  matcher.add({ entryId: e.id, watchlistId: e.watchlist_id, expiresAtMs: new Date(e.expires_at).getTime() }, fromBytes(e.embedding));
}
