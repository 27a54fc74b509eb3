/**
 * Where face embeddings come from. Cameras and edge devices usually send them (CompreFace's calculator plugin, an
 * edge ArcFace model); a server-side provider computes them from an image for watchlist enrolment and for sources that
 * send only snapshots. An implementation must ship its model weights (no download at run time) and return vectors of
 * TARTIP_VIDEO_EMBEDDING_DIM values, one per face found, largest face first.
 */
export interface EmbeddingProvider {
  /** Model name and version, recorded with what it computed. */
  readonly model: string;
  readonly dim: number;
  /** Embeddings of the faces in an encoded image (JPEG or PNG); empty when no face is found. */
  embed(image: Uint8Array): Promise<{ embedding: Float32Array; box: { x: number; y: number; width: number; height: number }; score: number }[]>;
}

/** The bytes of a reference image sent as a `data:image/jpeg|png;base64,…` URL, or null (a link, another type). */
export function bytesOfDataUrl(s: string): Uint8Array | null {
  const m = /^data:image\/(jpeg|jpg|png);base64,([A-Za-z0-9+/=\s]+)$/.exec(s);
  return m ? new Uint8Array(Buffer.from(m[2], 'base64')) : null;
}
