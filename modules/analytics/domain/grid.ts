import { cellArea, cellToBoundary, cellToLatLng, getHexagonAreaAvg, latLngToCell, polygonToCells } from 'h3-js';
import type { Crs } from './crs.ts';

/**
 * The grids forecasts are made on, over planar coordinates (metres):
 *
 * - **square** cells of a configurable side, numbered row by row from the south-west corner:
 *   index = row × nx + col;
 * - **H3** hexagons (Uber's hierarchical grid, `h3-js`) at one resolution, numbered in the order `polygonToCells`
 *   gives them. H3 works on longitude/latitude, so a hexagonal grid carries the planar CRS the events are in and
 *   converts with it (proj4); the cells' centres are kept in planar metres for the kernels, and each cell's true
 *   area (h3-js `cellArea`, m²) for densities and for PAI's a/A — H3 cells at one resolution differ in area by a
 *   few per cent.
 */
export interface SquareGrid {
  kind?: 'square';
  x0: number;
  y0: number;
  /** Side of a cell, metres. */
  cell: number;
  nx: number;
  ny: number;
}

export interface HexGrid {
  kind: 'h3';
  /** H3 resolution (9 ≈ 0.105 km² per cell, 10 ≈ 0.015 km²). */
  res: number;
  /** The planar CRS of the events (x, y in metres) ↔ longitude/latitude. */
  planar: Crs;
  /** H3 index of each cell. */
  ids: string[];
  index: Map<string, number>;
  /** Cell centres, planar metres. */
  cx: Float64Array;
  cy: Float64Array;
  /** True cell areas, m². */
  areas: Float64Array;
  /** Distance between neighbouring centres, metres (what a "cell width" means on hexagons): √(2 × mean area ÷ √3). */
  cell: number;
  /** Buckets of cell centres for the radius searches: a square lattice of side `cell` over the centres. */
  buckets: { lattice: SquareGrid; start: Int32Array; cells: Int32Array };
}

export type Grid = SquareGrid | HexGrid;

export const isHex = (g: Grid): g is HexGrid => g.kind === 'h3';

/** A point in planar metres at a time in days since 1970-01-01 UTC. */
export interface Point {
  x: number;
  y: number;
  t: number;
}

export const MS_PER_DAY = 86_400_000;

/** The smallest grid of `cell`-metre squares covering every point, with `margin` metres around them. */
export function gridCovering(points: readonly { x: number; y: number }[], cell: number, margin = 0): SquareGrid {
  if (!(cell > 0)) throw new RangeError('cell size must be positive');
  if (points.length === 0) throw new RangeError('no points to cover');
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const p of points) {
    if (p.x < minX) minX = p.x;
    if (p.y < minY) minY = p.y;
    if (p.x > maxX) maxX = p.x;
    if (p.y > maxY) maxY = p.y;
  }
  const x0 = Math.floor((minX - margin) / cell) * cell;
  const y0 = Math.floor((minY - margin) / cell) * cell;
  const nx = Math.floor((maxX + margin - x0) / cell) + 1;
  const ny = Math.floor((maxY + margin - y0) / cell) + 1;
  if (nx * ny > 50_000_000) throw new RangeError(`a grid of ${nx} × ${ny} cells is too large: use larger cells`);
  return { x0, y0, cell, nx, ny };
}

export class GridTooLarge extends RangeError {
  constructor(
    readonly cells: number,
    readonly max: number,
    message: string,
  ) {
    super(message);
  }
}

/** Hexagons per grid at most (a city at resolution 10, a region at 9). */
export const MAX_HEX_CELLS = 4_000_000;

/**
 * The H3 cells at resolution `res` whose centres lie in the bounding box of the points (planar metres, `planar` CRS)
 * widened by `margin` metres — by default one cell, so every point's own hexagon is in the grid.
 */
export function hexGridCovering(points: readonly { x: number; y: number }[], res: number, planar: Crs, margin?: number): HexGrid {
  if (!(Number.isInteger(res) && res >= 0 && res <= 15)) throw new RangeError('H3 resolution must be an integer 0–15');
  if (points.length === 0) throw new RangeError('no points to cover');
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const p of points) {
    if (p.x < minX) minX = p.x;
    if (p.y < minY) minY = p.y;
    if (p.x > maxX) maxX = p.x;
    if (p.y > maxY) maxY = p.y;
  }
  // Hexagons at one resolution vary in area over the globe (Almaty's are ~19 % above the world average), so the
  // width of a cell is taken from the hexagon in the middle of the points.
  const [lon0, lat0] = planar.toLonLat((minX + maxX) / 2, (minY + maxY) / 2);
  const width = (area: number) => Math.sqrt((2 * area) / Math.sqrt(3));
  const m = margin ?? width(cellArea(latLngToCell(lat0, lon0, res), 'm2'));
  minX -= m;
  minY -= m;
  maxX += m;
  maxY += m;
  const estimate = ((maxX - minX) * (maxY - minY)) / getHexagonAreaAvg(res, 'm2');
  if (estimate > MAX_HEX_CELLS) throw new GridTooLarge(Math.round(estimate), MAX_HEX_CELLS, `about ${Math.round(estimate)} H3 cells at resolution ${res} is too many: use a coarser resolution`);
  // The box's outline, 16 points a side, in longitude/latitude (a planar box is not a lon/lat box).
  const ring: [number, number][] = [];
  const side = (x0: number, y0: number, x1: number, y1: number) => {
    for (let i = 0; i < 16; i++) {
      const [lon, lat] = planar.toLonLat(x0 + ((x1 - x0) * i) / 16, y0 + ((y1 - y0) * i) / 16);
      ring.push([lat, lon]);
    }
  };
  side(minX, minY, maxX, minY);
  side(maxX, minY, maxX, maxY);
  side(maxX, maxY, minX, maxY);
  side(minX, maxY, minX, minY);
  const ids = polygonToCells([ring], res).sort();
  const n = ids.length;
  const cx = new Float64Array(n);
  const cy = new Float64Array(n);
  const areas = new Float64Array(n);
  const index = new Map<string, number>();
  ids.forEach((id, i) => {
    index.set(id, i);
    const [lat, lon] = cellToLatLng(id);
    [cx[i], cy[i]] = planar.fromLonLat(lon, lat);
    areas[i] = cellArea(id, 'm2');
  });
  let mean = 0;
  for (const a of areas) mean += a / Math.max(1, n);
  const spacing = width(mean || getHexagonAreaAvg(res, 'm2'));
  // Buckets of centres, compressed row storage.
  const lattice = gridCovering(n ? Array.from(cx, (x, i) => ({ x, y: cy[i] })) : [{ x: minX, y: minY }], spacing);
  const bucketOf = new Int32Array(n);
  const start = new Int32Array(lattice.nx * lattice.ny + 1);
  for (let i = 0; i < n; i++) {
    bucketOf[i] = cellIndex(lattice, cx[i], cy[i]);
    start[bucketOf[i] + 1]++;
  }
  for (let b = 0; b < lattice.nx * lattice.ny; b++) start[b + 1] += start[b];
  const fill = start.slice(0, -1);
  const cells = new Int32Array(n);
  for (let i = 0; i < n; i++) cells[fill[bucketOf[i]]++] = i;
  return { kind: 'h3', res, planar, ids, index, cx, cy, areas, cell: spacing, buckets: { lattice, start, cells } };
}

export const cellCount = (g: Grid) => (isHex(g) ? g.ids.length : g.nx * g.ny);

/** A cell's area, m² (true area for H3 cells). */
export const cellAreaOf = (g: Grid, index: number) => (isHex(g) ? g.areas[index] : g.cell * g.cell);

/** The cell's outline in longitude/latitude, closed (H3 cells only: square grids carry no CRS). */
export function hexRing(g: HexGrid, index: number): [number, number][] {
  const ring = cellToBoundary(g.ids[index], true) as [number, number][];
  return ring.map(([lon, lat]) => [Math.round(lon * 1e6) / 1e6, Math.round(lat * 1e6) / 1e6]);
}

/** The cell holding (x, y), or -1 outside the grid. */
export function cellIndex(g: Grid, x: number, y: number): number {
  if (isHex(g)) {
    const [lon, lat] = g.planar.toLonLat(x, y);
    return g.index.get(latLngToCell(lat, lon, g.res)) ?? -1;
  }
  const col = Math.floor((x - g.x0) / g.cell);
  const row = Math.floor((y - g.y0) / g.cell);
  if (col < 0 || row < 0 || col >= g.nx || row >= g.ny) return -1;
  return row * g.nx + col;
}

export function cellCentre(g: Grid, index: number): { x: number; y: number } {
  if (isHex(g)) return { x: g.cx[index], y: g.cy[index] };
  const col = index % g.nx;
  const row = (index - col) / g.nx;
  return { x: g.x0 + (col + 0.5) * g.cell, y: g.y0 + (row + 0.5) * g.cell };
}

/** Events per cell (points outside the grid are not counted). */
export function countByCell(g: Grid, points: readonly { x: number; y: number }[]): Float64Array {
  const counts = new Float64Array(cellCount(g));
  for (const p of points) {
    const i = cellIndex(g, p.x, p.y);
    if (i >= 0) counts[i]++;
  }
  return counts;
}

/**
 * The study area (the "jurisdiction" A of PAI) when no boundary is given: every cell within `radius` metres
 * (centre to centre) of a cell that holds at least one of `points`. On a city this traces the built-up area
 * and leaves out lakes, rail yards and the empty corners of the bounding box — a smaller A than the box, so
 * PAI is not inflated by area where crime cannot happen.
 */
export function studyArea(g: Grid, points: readonly { x: number; y: number }[], radius: number): Uint8Array {
  const occupied = countByCell(g, points);
  const mask = new Uint8Array(cellCount(g));
  if (isHex(g)) {
    for (let i = 0; i < occupied.length; i++) {
      if (occupied[i] > 0) forCellsNear(g, g.cx[i], g.cy[i], radius + 1e-6, (c) => (mask[c] = 1));
    }
    return mask;
  }
  const r = Math.floor(radius / g.cell);
  const offsets: [number, number][] = [];
  for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) if (dx * dx + dy * dy <= r * r) offsets.push([dx, dy]);
  for (let i = 0; i < occupied.length; i++) {
    if (occupied[i] === 0) continue;
    const col = i % g.nx;
    const row = (i - col) / g.nx;
    for (const [dx, dy] of offsets) {
      const c = col + dx;
      const rr = row + dy;
      if (c >= 0 && rr >= 0 && c < g.nx && rr < g.ny) mask[rr * g.nx + c] = 1;
    }
  }
  return mask;
}

/**
 * Calls `fn(cell, squaredDistance)` for every cell whose centre lies within `radius` metres of (x, y).
 * The workhorse of the kernel methods.
 */
export function forCellsNear(g: Grid, x: number, y: number, radius: number, fn: (cell: number, d2: number) => void): void {
  if (isHex(g)) {
    const { lattice, start, cells } = g.buckets;
    const r2 = radius * radius;
    forBucketsNear(lattice, x, y, radius, (b) => {
      for (let k = start[b]; k < start[b + 1]; k++) {
        const c = cells[k];
        const dx = g.cx[c] - x;
        const dy = g.cy[c] - y;
        const d2 = dx * dx + dy * dy;
        if (d2 <= r2) fn(c, d2);
      }
    });
    return;
  }
  const c0 = Math.max(0, Math.floor((x - radius - g.x0) / g.cell));
  const c1 = Math.min(g.nx - 1, Math.floor((x + radius - g.x0) / g.cell));
  const r0 = Math.max(0, Math.floor((y - radius - g.y0) / g.cell));
  const r1 = Math.min(g.ny - 1, Math.floor((y + radius - g.y0) / g.cell));
  const r2 = radius * radius;
  for (let row = r0; row <= r1; row++) {
    const dy = g.y0 + (row + 0.5) * g.cell - y;
    const dy2 = dy * dy;
    if (dy2 > r2) continue;
    for (let col = c0; col <= c1; col++) {
      const dx = g.x0 + (col + 0.5) * g.cell - x;
      const d2 = dx * dx + dy2;
      if (d2 <= r2) fn(row * g.nx + col, d2);
    }
  }
}

/** Every cell of a square lattice that overlaps the box of side 2 × radius around (x, y). */
function forBucketsNear(g: SquareGrid, x: number, y: number, radius: number, fn: (cell: number) => void): void {
  const c0 = Math.max(0, Math.floor((x - radius - g.x0) / g.cell));
  const c1 = Math.min(g.nx - 1, Math.floor((x + radius - g.x0) / g.cell));
  const r0 = Math.max(0, Math.floor((y - radius - g.y0) / g.cell));
  const r1 = Math.min(g.ny - 1, Math.floor((y + radius - g.y0) / g.cell));
  for (let row = r0; row <= r1; row++) for (let col = c0; col <= c1; col++) fn(row * g.nx + col);
}
