import { haversineM, type LonLat } from '../eta.ts';
import { MinHeap } from './heap.ts';

export interface Edge {
  from: number;
  to: number;
  lengthM: number;
  /** Travel time over the edge, seconds. */
  timeS: number;
}

export interface Path {
  timeS: number;
  lengthM: number;
  nodes: number[];
}

/** Compressed sparse rows: the out-edges of node i are `target[offset[i] … offset[i+1])`. */
interface Csr {
  offset: Int32Array;
  target: Int32Array;
  time: Float64Array;
  length: Float64Array;
}

function csr(n: number, edges: readonly Edge[], reverse: boolean): Csr {
  const offset = new Int32Array(n + 1);
  for (const e of edges) offset[(reverse ? e.to : e.from) + 1]++;
  for (let i = 0; i < n; i++) offset[i + 1] += offset[i];
  const fill = offset.slice(0, n);
  const target = new Int32Array(edges.length);
  const time = new Float64Array(edges.length);
  const length = new Float64Array(edges.length);
  for (const e of edges) {
    const at = fill[reverse ? e.to : e.from]++;
    target[at] = reverse ? e.from : e.to;
    time[at] = e.timeS;
    length[at] = e.lengthM;
  }
  return { offset, target, time, length };
}

const CELL_DEG = 0.005;

/**
 * A directed road graph in memory (CSR, forward and reverse), with a grid index to snap points to the nearest
 * node of the largest connected part (so a point is never snapped onto an island of a car park), Dijkstra
 * (one-to-many, e.g. every unit to one incident) and A* (point to point), both on a binary heap.
 */
export class RoadGraph {
  readonly n: number;
  readonly lon: Float64Array;
  readonly lat: Float64Array;
  readonly edgeCount: number;
  private readonly fwd: Csr;
  private readonly rev: Csr;
  private readonly grid = new Map<string, number[]>();
  /** Fastest speed on any edge, m/s: keeps the A* heuristic admissible. */
  private readonly maxSpeed: number;
  readonly mainComponentSize: number;

  constructor(coords: readonly LonLat[], edges: readonly Edge[]) {
    this.n = coords.length;
    this.lon = Float64Array.from(coords, (c) => c.lon);
    this.lat = Float64Array.from(coords, (c) => c.lat);
    this.edgeCount = edges.length;
    this.fwd = csr(this.n, edges, false);
    this.rev = csr(this.n, edges, true);
    let maxSpeed = 1;
    for (const e of edges) if (e.timeS > 0) maxSpeed = Math.max(maxSpeed, e.lengthM / e.timeS);
    this.maxSpeed = maxSpeed;

    // Weakly connected components (union-find); only the largest takes part in snapping.
    const parent = Int32Array.from({ length: this.n }, (_, i) => i);
    const find = (x: number): number => {
      while (parent[x] !== x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
      }
      return x;
    };
    for (const e of edges) {
      const a = find(e.from);
      const b = find(e.to);
      if (a !== b) parent[a] = b;
    }
    const sizes = new Map<number, number>();
    for (let i = 0; i < this.n; i++) {
      const r = find(i);
      sizes.set(r, (sizes.get(r) ?? 0) + 1);
    }
    let main = -1;
    let best = 0;
    for (const [r, s] of sizes) if (s > best) [main, best] = [r, s];
    this.mainComponentSize = best;
    for (let i = 0; i < this.n; i++) {
      if (find(i) !== main) continue;
      const key = this.cellKey(Math.floor(this.lon[i] / CELL_DEG), Math.floor(this.lat[i] / CELL_DEG));
      const cell = this.grid.get(key);
      if (cell) cell.push(i);
      else this.grid.set(key, [i]);
    }
  }

  private cellKey(x: number, y: number): string {
    return `${x}:${y}`;
  }

  coord(i: number): LonLat {
    return { lon: this.lon[i], lat: this.lat[i] };
  }

  /** The nearest node of the main component within `maxM` metres, or null. */
  nearestNode(p: LonLat, maxM = 2000): { node: number; distanceM: number } | null {
    const cx = Math.floor(p.lon / CELL_DEG);
    const cy = Math.floor(p.lat / CELL_DEG);
    // The smallest side of a cell in metres, so ring r is at least (r - 1) × side away.
    const side = Math.min(CELL_DEG * 111_320 * Math.cos((Math.min(Math.abs(p.lat) + CELL_DEG, 89) * Math.PI) / 180), CELL_DEG * 110_574);
    const maxRing = Math.ceil(maxM / side) + 1;
    let bestNode = -1;
    let bestD = Number.POSITIVE_INFINITY;
    for (let r = 0; r <= maxRing; r++) {
      if (bestNode >= 0 && (r - 1) * side > bestD) break;
      for (let dx = -r; dx <= r; dx++) {
        for (let dy = -r; dy <= r; dy++) {
          if (Math.max(Math.abs(dx), Math.abs(dy)) !== r) continue;
          const cell = this.grid.get(this.cellKey(cx + dx, cy + dy));
          if (!cell) continue;
          for (const i of cell) {
            const d = haversineM(p, { lon: this.lon[i], lat: this.lat[i] });
            if (d < bestD) [bestNode, bestD] = [i, d];
          }
        }
      }
    }
    return bestNode >= 0 && bestD <= maxM ? { node: bestNode, distanceM: bestD } : null;
  }

  /**
   * Dijkstra by travel time from `source`. With `reverse`, times are *to* `source` (the reverse graph) — one
   * search gives every unit's time to an incident. Stops once every node in `targets` is settled.
   */
  dijkstra(source: number, options: { reverse?: boolean; targets?: Iterable<number> } = {}): { timeS: Float64Array; lengthM: Float64Array } {
    const g = options.reverse ? this.rev : this.fwd;
    const timeS = new Float64Array(this.n).fill(Number.POSITIVE_INFINITY);
    const lengthM = new Float64Array(this.n).fill(Number.POSITIVE_INFINITY);
    const settled = new Uint8Array(this.n);
    const pending = options.targets ? new Set(options.targets) : null;
    const heap = new MinHeap();
    timeS[source] = 0;
    lengthM[source] = 0;
    heap.push(0, source);
    while (heap.size > 0) {
      const top = heap.pop()!;
      const u = top.value;
      if (settled[u]) continue;
      settled[u] = 1;
      if (pending) {
        pending.delete(u);
        if (pending.size === 0) break;
      }
      for (let k = g.offset[u]; k < g.offset[u + 1]; k++) {
        const v = g.target[k];
        const t = timeS[u] + g.time[k];
        if (t < timeS[v]) {
          timeS[v] = t;
          lengthM[v] = lengthM[u] + g.length[k];
          heap.push(t, v);
        }
      }
    }
    return { timeS, lengthM };
  }

  /** A* by travel time from `from` to `to` (heuristic: straight line at the graph's top speed); null if unreachable. */
  route(from: number, to: number): Path | null {
    const g = this.fwd;
    const timeS = new Float64Array(this.n).fill(Number.POSITIVE_INFINITY);
    const lengthM = new Float64Array(this.n);
    const prev = new Int32Array(this.n).fill(-1);
    const closed = new Uint8Array(this.n);
    const goal = this.coord(to);
    const h = (i: number) => haversineM({ lon: this.lon[i], lat: this.lat[i] }, goal) / this.maxSpeed;
    const heap = new MinHeap();
    timeS[from] = 0;
    heap.push(h(from), from);
    while (heap.size > 0) {
      const u = heap.pop()!.value;
      if (closed[u]) continue;
      if (u === to) {
        const nodes: number[] = [];
        for (let i = to; i !== -1; i = prev[i]) nodes.push(i);
        return { timeS: timeS[to], lengthM: lengthM[to], nodes: nodes.reverse() };
      }
      closed[u] = 1;
      for (let k = g.offset[u]; k < g.offset[u + 1]; k++) {
        const v = g.target[k];
        const t = timeS[u] + g.time[k];
        if (t < timeS[v]) {
          timeS[v] = t;
          lengthM[v] = lengthM[u] + g.length[k];
          prev[v] = u;
          heap.push(t + h(v), v);
        }
      }
    }
    return null;
  }
}
