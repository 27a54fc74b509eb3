// PostGIS for the embedded database, without what Tártip never loads. Plain JavaScript: the database's worker thread
// imports it without a TypeScript loader.
//
// @electric-sql/pglite-postgis ships one bundle (postgis.tar.gz, 90 MiB unpacked): the postgis, postgis_raster and
// postgis_topology libraries, every upgrade script since PostGIS 2.0, and the PROJ data. PGlite unpacks all of it
// into its in-memory file system and compiles every library in it at start, used or not. Tártip uses the postgis
// extension alone (kernel migration 0001), so the bundle it hands PGlite keeps only that library, its control file
// and install script, and the PROJ data: an idle embedded server then holds about 300 MiB less, and starts faster.
// The smaller bundle is made once from the installed one, next to it (node_modules/.cache/tartip), or in the
// system's temporary directory when that cannot be written, and made again when the installed bundle changes.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { postgis } from '@electric-sql/pglite-postgis';

const BLOCK = 512;

/** The PostGIS files Tártip needs, given the version its control file names as the default. */
export function keepsFile(path, version) {
  return (
    path === 'lib/postgresql/postgis-3.so' ||
    path.startsWith('share/proj/') ||
    path === 'share/postgresql/extension/postgis.control' ||
    path === `share/postgresql/extension/postgis--${version}.sql`
  );
}

/** The name of a tar header block (ustar: prefix + '/' + name). */
function nameOf(header) {
  const field = (from, length) => {
    const raw = header.subarray(from, from + length);
    const end = raw.indexOf(0);
    return raw.subarray(0, end === -1 ? length : end).toString('utf8');
  };
  const name = field(0, 100);
  const prefix = header.subarray(257, 263).toString('latin1').startsWith('ustar') ? field(345, 155) : '';
  return prefix ? `${prefix}/${name}` : name;
}

const sizeOf = (header) => Number.parseInt(header.subarray(124, 136).toString('latin1').replace(/\0/g, '').trim() || '0', 8);

/**
 * The entries of a tar archive whose path `keep` accepts, as a new archive: their header and data blocks copied as
 * they are (with any long-name or pax header that precedes one), then the two empty blocks that end an archive.
 */
export function filterTar(tar, keep) {
  const out = [];
  let pending = [];
  for (let at = 0; at + BLOCK <= tar.length; ) {
    const header = tar.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = sizeOf(header);
    const end = at + BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    const entry = tar.subarray(at, end);
    const type = String.fromCharCode(header[156]);
    if (type === 'L' || type === 'x' || type === 'K') pending.push(entry);
    else {
      const long = pending.find((p) => String.fromCharCode(p[156]) === 'L');
      const name = (long ? long.subarray(BLOCK, BLOCK + sizeOf(long)).toString('utf8').replace(/\0+$/, '') : nameOf(header)).replace(/^\.\//, '');
      if (keep(name)) out.push(...pending, entry);
      pending = [];
    }
    at = end;
  }
  out.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(out);
}

/** The default version named by the bundle's postgis.control. */
function defaultVersion(tar) {
  const control = filterTar(tar, (p) => p === 'share/postgresql/extension/postgis.control');
  const text = control.subarray(BLOCK, BLOCK + sizeOf(control)).toString('utf8');
  const m = /default_version\s*=\s*'([^']+)'/.exec(text);
  if (!m) throw new Error('postgis.control names no default_version');
  return m[1];
}

function cacheDirs(bundle) {
  const dirs = [];
  const marker = `${sep}node_modules${sep}`;
  const at = bundle.lastIndexOf(marker);
  if (at !== -1) dirs.push(join(bundle.slice(0, at + marker.length), '.cache', 'tartip'));
  dirs.push(join(tmpdir(), 'tartip-cache'));
  return dirs;
}

/** The path of the smaller bundle made from `bundle` (made now if it does not exist yet). */
export function slimBundle(bundle) {
  const { size, mtimeMs } = statSync(bundle);
  const key = createHash('sha256').update(`${bundle}\n${size}\n${mtimeMs}`).digest('hex').slice(0, 16);
  const file = `postgis-${key}.tar.gz`;
  for (const dir of cacheDirs(bundle)) if (existsSync(join(dir, file))) return join(dir, file);
  const tar = gunzipSync(readFileSync(bundle));
  const version = defaultVersion(tar);
  const slim = gzipSync(filterTar(tar, (p) => keepsFile(p, version)), { level: 1 });
  let lastError;
  for (const dir of cacheDirs(bundle)) {
    try {
      mkdirSync(dir, { recursive: true });
      // Written aside, then renamed: a server starting at the same time never reads half a file.
      const part = join(dir, `${file}.${process.pid}.part`);
      writeFileSync(part, slim);
      renameSync(part, join(dir, file));
      return join(dir, file);
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

/** The postgis extension for PGlite, set up as @electric-sql/pglite-postgis does, with the smaller bundle. */
export const slimPostgis = {
  name: 'postgis',
  async setup(pg, emscriptenOpts, ...rest) {
    const result = await postgis.setup(pg, emscriptenOpts, ...rest);
    const bundle = fileURLToPath(result.bundlePath);
    return { ...result, bundlePath: pathToFileURL(slimBundle(bundle)) };
  },
};

