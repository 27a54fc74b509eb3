import type { MEDIA_RULES } from '../config/categories.ts';

export type MediaType = (typeof MEDIA_RULES.types)[number];

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decoded size of a standard base64 string without decoding it; null when it is not base64. */
export function base64Size(data: string): number | null {
  if (data.length % 4 !== 0 || !BASE64.test(data)) return null;
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return (data.length / 4) * 3 - padding;
}

/** The type the bytes really are (magic numbers), so a declared image/png that is something else is refused. */
export function sniffType(bytes: Uint8Array): MediaType | null {
  const b = bytes;
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 8 && b[0] === 0x89 && ascii(1, 4) === 'PNG' && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) return 'image/png';
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  if (b.length >= 12 && ascii(4, 8) === 'ftyp') return 'video/mp4';
  return null;
}
