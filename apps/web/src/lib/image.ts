/** A photo ready for `media[]`: JPEG bytes as base64 (no `data:` prefix). */
export interface PreparedPhoto {
  contentType: string;
  data: string;
  bytes: number;
  width: number;
  height: number;
  /** A small object URL for the preview; revoke it when done. */
  previewUrl: string;
}

export const MAX_SIDE = 1600;
/** Upload budget for one photo (before base64), so the request stays well under the server's body limit. */
export const MAX_BYTES = 600_000;

async function decode(file: Blob): Promise<{ source: CanvasImageSource; width: number; height: number; close: () => void }> {
  if (typeof createImageBitmap === 'function') {
    try {
      const bmp = await createImageBitmap(file, { imageOrientation: 'from-image' });
      return { source: bmp, width: bmp.width, height: bmp.height, close: () => bmp.close() };
    } catch {
      // fall through to <img>, which some browsers decode more formats with
    }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.decoding = 'async';
    img.src = url;
    await img.decode();
    return { source: img, width: img.naturalWidth, height: img.naturalHeight, close: () => {} };
  } finally {
    URL.revokeObjectURL(url);
  }
}

function toBlob(canvas: HTMLCanvasElement, quality: number): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('canvas.toBlob failed'))), 'image/jpeg', quality),
  );
}

/** A file or blob as a `data:` URL, as it is (a watchlist photo is sent this way). */
export function blobToDataUrl(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error ?? new Error('FileReader failed'));
    r.readAsDataURL(blob);
  });
}

export async function blobToBase64(blob: Blob): Promise<string> {
  return (await blobToDataUrl(blob)).replace(/^data:[^,]*,/, '');
}

/**
 * Shrinks a phone photo before upload: at most 1600 px on the long side, re-encoded as JPEG, the quality
 * stepped down until it fits `MAX_BYTES` — a 12-megapixel 4 MB photo becomes ~300 kB of the citizen's data.
 * Throws `PhotoError` when the file is not a picture the browser can read.
 */
export async function preparePhoto(file: File, maxSide = MAX_SIDE, maxBytes = MAX_BYTES): Promise<PreparedPhoto> {
  let decoded: Awaited<ReturnType<typeof decode>>;
  try {
    decoded = await decode(file);
  } catch {
    throw new PhotoError('unreadable');
  }
  try {
    const scale = Math.min(1, maxSide / Math.max(decoded.width, decoded.height));
    const width = Math.max(1, Math.round(decoded.width * scale));
    const height = Math.max(1, Math.round(decoded.height * scale));
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const g = canvas.getContext('2d');
    if (!g) throw new PhotoError('unreadable');
    g.fillStyle = '#fff'; // transparent PNGs become white, not black, as JPEG
    g.fillRect(0, 0, width, height);
    g.drawImage(decoded.source, 0, 0, width, height);
    let blob = await toBlob(canvas, 0.82);
    for (const q of [0.7, 0.6, 0.5, 0.4]) {
      if (blob.size <= maxBytes) break;
      blob = await toBlob(canvas, q);
    }
    if (blob.size > maxBytes) throw new PhotoError('tooLarge');
    return {
      contentType: 'image/jpeg',
      data: await blobToBase64(blob),
      bytes: blob.size,
      width,
      height,
      previewUrl: URL.createObjectURL(blob),
    };
  } finally {
    decoded.close();
  }
}

export class PhotoError extends Error {
  constructor(readonly reason: 'unreadable' | 'tooLarge') {
    super(reason);
    this.name = 'PhotoError';
  }
}
