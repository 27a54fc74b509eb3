import { inflateSync } from 'node:zlib';

/** An 8-bit RGBA image. */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Decodes the PNGs Chromium writes (8-bit greyscale, RGB or RGBA, not interlaced) into RGBA, so that a test
 * can look at what was actually drawn. Not a general PNG decoder.
 */
export function decodePng(buf: Buffer): Rgba {
  if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let pos = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Buffer[] = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const body = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const depth = body[8];
      colorType = body[9];
      if (depth !== 8 || body[12] !== 0 || ![0, 2, 6].includes(colorType))
        throw new Error(`unsupported PNG (depth ${depth}, colour type ${colorType}, interlace ${body[12]})`);
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const channels = colorType === 6 ? 4 : colorType === 2 ? 3 : 1;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[out + x - channels] : 0;
      const b = y > 0 ? pixels[out - stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[out - stride + x - channels] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[out + x] = v & 0xff;
    }
  }
  if (channels === 4) return { width, height, data: pixels };
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    data[i * 4] = pixels[i * channels];
    data[i * 4 + 1] = pixels[i * channels + (channels === 3 ? 1 : 0)];
    data[i * 4 + 2] = pixels[i * channels + (channels === 3 ? 2 : 0)];
    data[i * 4 + 3] = 255;
  }
  return { width, height, data };
}

/** The share of pixels within `tolerance` (per channel) of the colour `rgb`. */
export function shareOfColour(img: Rgba, rgb: [number, number, number], tolerance = 8): number {
  let n = 0;
  const total = img.width * img.height;
  for (let i = 0; i < total; i++) {
    const o = i * 4;
    if (
      Math.abs(img.data[o] - rgb[0]) <= tolerance &&
      Math.abs(img.data[o + 1] - rgb[1]) <= tolerance &&
      Math.abs(img.data[o + 2] - rgb[2]) <= tolerance
    )
      n++;
  }
  return total === 0 ? 0 : n / total;
}

/** Width and height of a baseline or progressive JPEG, from its SOF marker. */
export function jpegSize(buf: Buffer): { width: number; height: number } {
  if (buf[0] !== 0xff || buf[1] !== 0xd8) throw new Error('not a JPEG');
  let pos = 2;
  while (pos + 9 < buf.length) {
    if (buf[pos] !== 0xff) throw new Error(`bad JPEG marker at ${pos}`);
    const marker = buf[pos + 1];
    const len = buf.readUInt16BE(pos + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
      return { height: buf.readUInt16BE(pos + 5), width: buf.readUInt16BE(pos + 7) };
    pos += 2 + len;
  }
  throw new Error('no SOF marker in the JPEG');
}
