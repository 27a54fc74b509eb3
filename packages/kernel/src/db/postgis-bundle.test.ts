import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { filterTar, keepsFile, slimBundle } from './postgis-bundle.mjs';

/** Path → contents of every file in a tar archive (ustar names, no long-name entries in these bundles). */
function entries(tar: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (let at = 0; at + 512 <= tar.length; ) {
    const h = tar.subarray(at, at + 512);
    if (h.every((b) => b === 0)) break;
    const size = Number.parseInt(h.subarray(124, 136).toString('latin1').replace(/\0/g, '').trim() || '0', 8);
    const name = h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    if (h[156] !== 0x35) out.set(name, Buffer.from(tar.subarray(at + 512, at + 512 + size)));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

const installed = join(dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite-postgis')), 'postgis.tar.gz');

describe('the PostGIS bundle the embedded database loads', () => {
  it('keeps the postgis library, its control file, its install script and the PROJ data — byte for byte — and nothing else', () => {
    const original = entries(gunzipSync(readFileSync(installed)));
    const slim = entries(gunzipSync(readFileSync(slimBundle(installed))));
    const version = /default_version\s*=\s*'([^']+)'/.exec(original.get('share/postgresql/extension/postgis.control')?.toString() ?? '')?.[1];
    expect(version).toMatch(/^3\.\d+\.\d+$/);
    const wanted = [...original.keys()].filter((p) => keepsFile(p, version as string)).sort();
    expect(wanted).toContain('lib/postgresql/postgis-3.so');
    expect(wanted).toContain('share/proj/proj.db');
    expect(wanted).toContain(`share/postgresql/extension/postgis--${version}.sql`);
    expect([...slim.keys()].sort()).toEqual(wanted);
    for (const p of wanted) expect(slim.get(p)?.equals(original.get(p) as Buffer), p).toBe(true);
    // What is left out: the raster and topology libraries and the upgrade scripts.
    expect(original.has('lib/postgresql/postgis_raster-3.so')).toBe(true);
    expect(slim.has('lib/postgresql/postgis_raster-3.so')).toBe(false);
    const bytes = (m: Map<string, Buffer>) => [...m.values()].reduce((n, b) => n + b.length, 0);
    expect(bytes(slim)).toBeLessThan(bytes(original) / 2);
  });

  it('filterTar carries a long-name entry with the file it names, and ends the archive with two empty blocks', () => {
    const header = (name: string, size: number, type: string) => {
      const h = Buffer.alloc(512);
      h.write(name, 0, 'utf8');
      h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
      h[156] = type.charCodeAt(0);
      return h;
    };
    const data = (text: string) => {
      const b = Buffer.alloc(Math.ceil(text.length / 512) * 512);
      b.write(text);
      return b;
    };
    const longName = `share/proj/${'x'.repeat(120)}`;
    const tar = Buffer.concat([
      header('././@LongLink', longName.length, 'L'),
      data(longName),
      header(longName.slice(0, 99), 3, '0'),
      data('abc'),
      header('lib/postgresql/postgis_raster-3.so', 2, '0'),
      data('no'),
      Buffer.alloc(1024),
    ]);
    const kept = filterTar(tar, (p) => p.startsWith('share/proj/'));
    expect(kept.length).toBe(512 * 4 + 1024);
    expect(kept.subarray(0, 512 * 4).equals(tar.subarray(0, 512 * 4))).toBe(true);
    expect(kept.subarray(512 * 4).every((b) => b === 0)).toBe(true);
    expect(filterTar(tar, (p) => p === longName).length).toBe(512 * 4 + 1024);
  });
});
