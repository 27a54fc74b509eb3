import { inflateSync } from 'node:zlib';
import { PbfReader } from 'pbf';

/**
 * A small reader for OpenStreetMap `.osm.pbf` files (https://wiki.openstreetmap.org/wiki/PBF_Format), enough to
 * build a road graph: the file is a sequence of [4-byte big-endian length][BlobHeader][Blob]; each Blob holds a
 * zlib-compressed (or raw) OSMHeader or OSMData block. OSMData is a PrimitiveBlock (string table, granularity,
 * offsets) of PrimitiveGroups holding Nodes, DenseNodes (delta-coded ids and coordinates) and Ways (delta-coded
 * node refs). Relations and metadata are skipped. Shared by the road graph (dispatch, analytics) and the gazetteer.
 */

export interface OsmNode {
  id: number;
  lon: number;
  lat: number;
  /** The node's tags — decoded only when the visitor sets `nodeTags` (most nodes have none; routing needs none). */
  tags?: Record<string, string>;
}

export interface OsmWay {
  id: number;
  refs: number[];
  tags: Record<string, string>;
}

export interface OsmVisitor {
  /** Called for every node (plain or dense); omit it to skip node decoding entirely. */
  node?: (node: OsmNode) => void;
  /** Decode nodes' tags too (addresses and places live on nodes); nodes without tags then get `tags: {}`. */
  nodeTags?: boolean;
  /** Called for every way; omit it to skip way decoding. */
  way?: (way: OsmWay) => void;
}

export class OsmPbfError extends Error {}

interface BlobHeader {
  type: string;
  datasize: number;
}

function readBlobHeader(buf: Uint8Array): BlobHeader {
  return new PbfReader(buf).readFields(
    (tag, h, pbf) => {
      if (tag === 1) h.type = pbf.readString();
      else if (tag === 3) h.datasize = pbf.readVarint();
    },
    { type: '', datasize: 0 },
  );
}

/** Decompresses a Blob: `raw` (1) or `zlib_data` (3); lzma/lz4/zstd are refused. */
function readBlob(buf: Uint8Array): Uint8Array {
  const blob = new PbfReader(buf).readFields(
    (tag, b, pbf) => {
      if (tag === 1) b.raw = pbf.readBytes();
      else if (tag === 2) b.rawSize = pbf.readVarint();
      else if (tag === 3) b.zlib = pbf.readBytes();
      else if (tag >= 4 && tag <= 7) b.unsupported = tag;
    },
    { raw: null as Uint8Array | null, zlib: null as Uint8Array | null, rawSize: 0, unsupported: 0 },
  );
  if (blob.raw) return blob.raw;
  if (blob.zlib) return new Uint8Array(inflateSync(blob.zlib));
  throw new OsmPbfError(blob.unsupported ? `unsupported blob compression (field ${blob.unsupported})` : 'empty blob');
}

const SUPPORTED_FEATURES = new Set(['OsmSchema-V0.6', 'DenseNodes', 'HistoricalInformation']);

function checkHeader(buf: Uint8Array): void {
  const required: string[] = [];
  new PbfReader(buf).readFields(
    (tag, _r, pbf) => {
      if (tag === 4) required.push(pbf.readString());
    },
    null,
  );
  const missing = required.filter((f) => !SUPPORTED_FEATURES.has(f));
  if (missing.length > 0) throw new OsmPbfError(`unsupported required features: ${missing.join(', ')}`);
}

interface BlockContext {
  strings: string[];
  nodeTags: boolean;
  granularity: number;
  latOffset: number;
  lonOffset: number;
}

function readPrimitiveBlock(buf: Uint8Array, visitor: OsmVisitor): void {
  // The string table and granularity may follow the groups in the byte stream: read them first, then the groups.
  const ctx: BlockContext = { strings: [], nodeTags: visitor.nodeTags === true, granularity: 100, latOffset: 0, lonOffset: 0 };
  const groups: [number, number][] = [];
  const pbf = new PbfReader(buf);
  pbf.readFields(
    (tag, c, p) => {
      if (tag === 1) {
        const end = p.readVarint() + p.pos;
        while (p.pos < end) {
          const t = p.nextField(end);
          if (t === 1) c.strings.push(new TextDecoder().decode(p.readBytes()));
          else p.skip(p.type);
        }
      } else if (tag === 2) {
        const len = p.readVarint();
        groups.push([p.pos, p.pos + len]);
        p.pos += len;
      } else if (tag === 17) c.granularity = p.readVarint();
      else if (tag === 19) c.latOffset = p.readVarint(true);
      else if (tag === 20) c.lonOffset = p.readVarint(true);
    },
    ctx,
  );
  for (const [start, end] of groups) {
    pbf.pos = start;
    pbf._valueStart = -1; // nothing to auto-skip at the start of a group
    pbf.readFields(
      (tag, _g, p) => {
        if (tag === 1 && visitor.node) readNode(p, ctx, visitor.node);
        else if (tag === 2 && visitor.node) readDense(p, ctx, visitor.node);
        else if (tag === 3 && visitor.way) readWay(p, ctx, visitor.way);
      },
      null,
      end,
    );
  }
}

const coord = (offset: number, granularity: number, v: number) => 1e-9 * (offset + granularity * v);

function readNode(p: PbfReader, ctx: BlockContext, emit: (n: OsmNode) => void): void {
  const raw = p.readMessage(
    (tag, n, r) => {
      if (tag === 1) n.id = r.readSVarint();
      else if (tag === 2 && ctx.nodeTags) r.readPackedVarint(n.keys);
      else if (tag === 3 && ctx.nodeTags) r.readPackedVarint(n.vals);
      else if (tag === 8) n.lat = r.readSVarint();
      else if (tag === 9) n.lon = r.readSVarint();
    },
    { id: 0, lat: 0, lon: 0, keys: [] as number[], vals: [] as number[] },
  );
  const node: OsmNode = { id: raw.id, lat: coord(ctx.latOffset, ctx.granularity, raw.lat), lon: coord(ctx.lonOffset, ctx.granularity, raw.lon) };
  if (ctx.nodeTags) {
    node.tags = {};
    for (let i = 0; i < raw.keys.length; i++) node.tags[ctx.strings[raw.keys[i]]] = ctx.strings[raw.vals[i]];
  }
  emit(node);
}

function readDense(p: PbfReader, ctx: BlockContext, emit: (n: OsmNode) => void): void {
  const d = p.readMessage(
    (tag, x, r) => {
      if (tag === 1) r.readPackedSVarint(x.ids);
      else if (tag === 8) r.readPackedSVarint(x.lats);
      else if (tag === 9) r.readPackedSVarint(x.lons);
      else if (tag === 10 && ctx.nodeTags) r.readPackedVarint(x.keysVals);
    },
    { ids: [] as number[], lats: [] as number[], lons: [] as number[], keysVals: [] as number[] },
  );
  if (d.lats.length !== d.ids.length || d.lons.length !== d.ids.length) throw new OsmPbfError('dense nodes: id, lat and lon counts differ');
  let id = 0;
  let lat = 0;
  let lon = 0;
  // keys_vals: for each node in turn, key/value string indexes, then a 0 (empty when no node has tags).
  let kv = 0;
  for (let i = 0; i < d.ids.length; i++) {
    id += d.ids[i];
    lat += d.lats[i];
    lon += d.lons[i];
    const node: OsmNode = { id, lat: coord(ctx.latOffset, ctx.granularity, lat), lon: coord(ctx.lonOffset, ctx.granularity, lon) };
    if (ctx.nodeTags) {
      node.tags = {};
      while (kv < d.keysVals.length && d.keysVals[kv] !== 0) {
        node.tags[ctx.strings[d.keysVals[kv]]] = ctx.strings[d.keysVals[kv + 1]];
        kv += 2;
      }
      kv++;
    }
    emit(node);
  }
}

function readWay(p: PbfReader, ctx: BlockContext, emit: (w: OsmWay) => void): void {
  const w = p.readMessage(
    (tag, x, r) => {
      if (tag === 1) x.id = r.readVarint(true);
      else if (tag === 2) r.readPackedVarint(x.keys);
      else if (tag === 3) r.readPackedVarint(x.vals);
      else if (tag === 8) r.readPackedSVarint(x.refs);
    },
    { id: 0, keys: [] as number[], vals: [] as number[], refs: [] as number[] },
  );
  const tags: Record<string, string> = {};
  for (let i = 0; i < w.keys.length; i++) tags[ctx.strings[w.keys[i]]] = ctx.strings[w.vals[i]];
  let ref = 0;
  const refs = w.refs.map((delta) => (ref += delta));
  emit({ id: w.id, refs, tags });
}

/** Walks every block of an `.osm.pbf` buffer, calling the visitor's callbacks. */
export function readOsmPbf(file: Uint8Array, visitor: OsmVisitor): { blocks: number } {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let pos = 0;
  let blocks = 0;
  while (pos < file.length) {
    if (pos + 4 > file.length) throw new OsmPbfError('truncated blob header length');
    const headerLength = view.getUint32(pos);
    pos += 4;
    if (headerLength > 64 * 1024 || pos + headerLength > file.length) throw new OsmPbfError('bad blob header length');
    const header = readBlobHeader(file.subarray(pos, pos + headerLength));
    pos += headerLength;
    if (header.datasize <= 0 || header.datasize > 32 * 1024 * 1024 || pos + header.datasize > file.length) throw new OsmPbfError('bad blob size');
    const blob = file.subarray(pos, pos + header.datasize);
    pos += header.datasize;
    if (header.type === 'OSMHeader') checkHeader(readBlob(blob));
    else if (header.type === 'OSMData') {
      readPrimitiveBlock(readBlob(blob), visitor);
      blocks++;
    }
  }
  return { blocks };
}
