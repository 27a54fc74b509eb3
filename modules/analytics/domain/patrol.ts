/**
 * Patrol plans over forecast hotspots — a team orienteering problem with repeat visits, in two steps:
 *
 * 1. **Circuits.** Hotspots are taken in order of risk and each is put into one unit's circuit: a closed tour of
 *    hotspots the unit can drive round, dwelling the longest dwell at each, within the revisit interval (120 min).
 *    A hotspot goes where it costs least — the cheapest insertion into a circuit that stays within 120 min, or, if
 *    that is dearer, a unit with no circuit yet whose depot is nearer — and only where the unit can reach it and be
 *    back within the shift. Circuits do not share hotspots, so no two units are ever on one place at once. Hotspots
 *    left over (every circuit full, or out of every unit's reach) are in no circuit.
 * 2. **Routes.** Each unit leaves its depot at the start of the shift and must be back by its end; at every stop it
 *    dwells 12–15 minutes, drawn at random (Koper 1995's "just enough presence": under about 10 minutes deters no more
 *    than a drive-by, past 15 adds little). The unit free earliest chooses its next stop among its circuit's
 *    hotspots and the hotspots in no circuit not yet visited (one-off visits in its slack), by value ÷ (travel +
 *    dwell), at random among its three best with probability ∝ that ratio, so two shifts with the same forecast are
 *    not the same route and the order within a cycle and the start vary (patrols that can be predicted can be
 *    avoided). A visit's value is the hotspot's risk × min(1, minutes since it was last left ÷ 120). A stop is only
 *    allowed if afterwards the unit can still reach every hotspot of its circuit before its revisit is due (a hotspot
 *    not yet visited is due 120 minutes after the unit's first stop) — checked by driving two rounds of the circuit
 *    in thought with the longest dwell, earliest due first or along the circuit's tour from any of its hotspots; when
 *    no stop is allowed it goes to the hotspot of its circuit due soonest.
 *
 * The plan says which revisits could not be made within 120 minutes and why (`revisitMisses`): `travel` — the unit
 * came back later than due (its circuit plus the drive from the depot did not fit); `shift_end` — the revisit fell
 * due within the shift but after the unit had to head back to its depot.
 *
 * Travel is straight-line distance × a detour factor ÷ speed unless a `travelMinutes` function (a road network) is
 * given. Coordinates are planar metres; the caller projects.
 */
export interface PatrolHotspot {
  id: string;
  x: number;
  y: number;
  /** Expected crimes (or any risk score) — only its relative size matters. */
  risk: number;
}

export interface PatrolUnit {
  id: string;
  depot: { x: number; y: number };
}

export interface PatrolOptions {
  shiftMinutes: number;
  /** Straight-line speed, km/h (default 25: urban patrol speed). */
  speedKmh?: number;
  /** Road distance ÷ straight-line distance (default 1.3, typical of city grids). */
  detour?: number;
  dwellMinutes?: [number, number];
  /** A circuit's hotspots are revisited within this many minutes, arrival to arrival (default 120: Koper). */
  revisitMinutes?: number;
  /** Candidates the random choice is made among (default 3; 1 makes the plan deterministic). */
  choices?: number;
  seed?: number;
  travelMinutes?: (from: { x: number; y: number }, to: { x: number; y: number }) => number;
}

export interface PatrolStop {
  hotspotId: string;
  /** Minutes from the start of the shift. */
  arrive: number;
  depart: number;
  /** Risk credited to this visit. */
  value: number;
  /** `circuit`: one of the unit's circuit, revisited within 120 min; `once`: a hotspot in no circuit, visited in slack. */
  kind: 'circuit' | 'once';
}

export interface PatrolRoute {
  unitId: string;
  stops: PatrolStop[];
  /** The hotspots the unit cycles through, in tour order. */
  circuit: string[];
  /** One round of the circuit with the longest dwell at each hotspot, minutes (≤ the revisit interval). */
  circuitMinutes: number;
  /** Minutes from the start of the shift when the unit is back at its depot. */
  returnAt: number;
  value: number;
}

export interface RevisitMiss {
  unitId: string;
  hotspotId: string;
  /** The visit after which the revisit was due, minutes from the start of the shift. */
  lastArrive: number;
  due: number;
  /** The next visit's arrival, or null when none came before the end of the shift. */
  nextArrive: number | null;
  reason: 'travel' | 'shift_end';
}

export interface PatrolPlan {
  routes: PatrolRoute[];
  /** Σ value over every visit. */
  coveredRisk: number;
  visits: number;
  hotspotsVisited: number;
  /** Hotspots in some unit's circuit. */
  hotspotsInCircuits: number;
  /** Hotspots in no circuit and why: every circuit near enough was full, or no unit could reach it and be back in time. */
  outsideCircuits: { hotspotId: string; reason: 'circuits_full' | 'out_of_reach' }[];
  /** The longest gap between two consecutive arrivals at a hotspot visited more than once, minutes. */
  longestRevisitGap: number | null;
  /** Of the repeat visits, the share that came within `revisitMinutes` of the last arrival. */
  revisitsOnTime: number | null;
  revisitMisses: RevisitMiss[];
}

/** Park–Miller minimal standard generator: a seeded plan is reproducible. */
export function seeded(seed: number): () => number {
  let s = Math.floor(Math.abs(seed)) % 2147483646 || 1;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

/** Straight-line travel minutes: distance × detour ÷ speed (defaults 1.3 and 25 km/h). */
export function straightLine(speedKmh = 25, detour = 1.3): (a: { x: number; y: number }, b: { x: number; y: number }) => number {
  const perMinute = (speedKmh * 1000) / 60;
  return (a, b) => (Math.hypot(a.x - b.x, a.y - b.y) * detour) / perMinute;
}

type Travel = (a: { x: number; y: number }, b: { x: number; y: number }) => number;

/** Closed-tour minutes of a circuit (indices into `spots`) with `dwell` at each stop. */
function tourMinutes(tour: readonly number[], spots: readonly PatrolHotspot[], travel: Travel, dwell: number): number {
  let m = tour.length * dwell;
  for (let i = 0; i < tour.length; i++) m += travel(spots[tour[i]], spots[tour[(i + 1) % tour.length]]);
  return m;
}

/** Step 1: circuits by cheapest insertion, hotspots in order of risk. */
export function buildCircuits(hotspots: readonly PatrolHotspot[], units: readonly PatrolUnit[], o: { shiftMinutes: number; dwellMax: number; revisit: number; travel: Travel }) {
  const { travel, dwellMax, revisit, shiftMinutes } = o;
  const tours: number[][] = units.map(() => []);
  const minutes = units.map(() => 0);
  const outside: { h: number; reason: 'circuits_full' | 'out_of_reach' }[] = [];
  const order = hotspots.map((_, i) => i).sort((a, b) => hotspots[b].risk - hotspots[a].risk || a - b);
  for (const h of order) {
    const spot = hotspots[h];
    let best: { u: number; at: number; cost: number } | null = null;
    let reachable = false;
    for (let u = 0; u < units.length; u++) {
      const depot = units[u].depot;
      const out = travel(depot, spot);
      const back = travel(spot, depot);
      // The unit must be able to get there, dwell and be back within the shift.
      if (out + dwellMax + back > shiftMinutes) continue;
      reachable = true;
      const tour = tours[u];
      if (tour.length === 0) {
        if (dwellMax <= revisit && (!best || out < best.cost)) best = { u, at: 0, cost: out };
        continue;
      }
      for (let i = 0; i < tour.length; i++) {
        const a = hotspots[tour[i]];
        const b = hotspots[tour[(i + 1) % tour.length]];
        const cost = travel(a, spot) + travel(spot, b) - (tour.length === 1 ? 0 : travel(a, b));
        if (minutes[u] + cost + dwellMax > revisit) continue;
        if (!best || cost < best.cost) best = { u, at: i + 1, cost };
      }
    }
    if (!best) {
      outside.push({ h, reason: reachable ? 'circuits_full' : 'out_of_reach' });
      continue;
    }
    tours[best.u].splice(best.at, 0, h);
    minutes[best.u] = tourMinutes(tours[best.u], hotspots, travel, dwellMax);
  }
  return { tours, minutes, outside };
}

export function planPatrols(hotspots: readonly PatrolHotspot[], units: readonly PatrolUnit[], o: PatrolOptions): PatrolPlan {
  const [dwellMin, dwellMax] = o.dwellMinutes ?? [12, 15];
  const revisit = o.revisitMinutes ?? 120;
  const choices = Math.max(1, o.choices ?? 3);
  const random = seeded(o.seed ?? Date.now());
  const travel = o.travelMinutes ?? straightLine(o.speedKmh, o.detour);
  const shift = o.shiftMinutes;
  const n = hotspots.length;
  const { tours, minutes, outside } = buildCircuits(hotspots, units, { shiftMinutes: shift, dwellMax, revisit, travel });
  const owner = new Int32Array(n).fill(-1);
  tours.forEach((t, u) => {
    for (const h of t) owner[h] = u;
  });
  const loose = outside.map((x) => x.h);
  const lastLeft = new Float64Array(n).fill(-Infinity);
  const lastArrive = new Float64Array(n).fill(-Infinity);
  /** A hotspot in no circuit is taken while a unit is on its way or dwelling there, and is visited once. */
  const taken = new Uint8Array(n);
  const visitsAt: number[][] = hotspots.map(() => []);
  /** The latest arrival at a hotspot that still leaves time to dwell and drive back to the unit's depot. */
  const latest = new Float64Array(n);
  tours.forEach((t, u) => {
    for (const h of t) latest[h] = shift - dwellMax - travel(hotspots[h], units[u].depot);
  });
  const state = units.map((u, i) => ({ i, unit: u, at: u.depot as { x: number; y: number }, time: 0, done: false, stops: [] as PatrolStop[], value: 0 }));

  /** When each unit made its first stop: its circuit's first round is due within the revisit interval of that. */
  const started = new Float64Array(units.length).fill(Infinity);
  /** Revisit due time of a circuit hotspot of unit `u` (before its first visit: the end of the unit's first round). */
  const due = (h: number, u: number) => (Number.isFinite(lastArrive[h]) ? lastArrive[h] : started[u]) + revisit;
  /** Can the unit, at `from` at `time`, drive `order` twice without arriving anywhere after its revisit was due? */
  const holds = (order: readonly number[], from: { x: number; y: number }, time: number, dueOf: Map<number, number>) => {
    const d = new Map(dueOf);
    let t = time;
    let at = from;
    for (let pass = 0; pass < 2; pass++) {
      for (const h of order) {
        const arrive = t + travel(at, hotspots[h]);
        const by = d.get(h)!;
        if (by <= latest[h] && arrive > by + 1e-9) return false;
        // Too late to visit and still be back at the depot in time: the unit would not go there.
        if (arrive > latest[h]) continue;
        d.set(h, arrive + revisit);
        t = arrive + dwellMax;
        at = hotspots[h];
      }
    }
    return true;
  };
  /** After a stop at `h` (arriving `arrive`, leaving `depart`), can the unit still keep every revisit of its circuit? */
  const safeAfter = (u: number, h: number, arrive: number, depart: number) => {
    const tour = tours[u];
    if (tour.length === 0) return true;
    const dueOf = new Map<number, number>();
    const first = Math.min(started[u], arrive);
    for (const c of tour) dueOf.set(c, c === h ? arrive + revisit : (Number.isFinite(lastArrive[c]) ? lastArrive[c] : first) + revisit);
    const edf = [...tour].sort((a, b) => dueOf.get(a)! - dueOf.get(b)! || tour.indexOf(a) - tour.indexOf(b));
    const from = hotspots[h];
    if (holds(edf, from, depart, dueOf)) return true;
    // The circuit's tour, from each of its hotspots in turn (the most urgent first).
    const urgent = tour.indexOf(edf[0]);
    for (let k = 0; k < tour.length; k++) {
      const i = (urgent + k) % tour.length;
      if (holds([...tour.slice(i), ...tour.slice(0, i)], from, depart, dueOf)) return true;
    }
    return false;
  };

  const scored: { h: number; score: number; arrive: number; value: number }[] = [];
  for (;;) {
    let current: (typeof state)[number] | undefined;
    for (const s of state) if (!s.done && (!current || s.time < current.time)) current = s;
    if (!current) break;
    const u = current.i;
    const depot = current.unit.depot;
    const dwell = dwellMin + random() * (dwellMax - dwellMin);
    scored.length = 0;
    const consider = (h: number) => {
      const spot = hotspots[h];
      const arrive = current.time + travel(current.at, spot);
      if (arrive + dwell + travel(spot, depot) > shift) return;
      const value = spot.risk * Math.min(1, (arrive - lastLeft[h]) / revisit);
      if (value <= 0) return;
      scored.push({ h, score: value / (arrive - current.time + dwell), arrive, value });
    };
    for (const h of tours[u]) consider(h);
    for (const h of loose) if (!taken[h]) consider(h);
    scored.sort((a, b) => b.score - a.score || a.h - b.h);
    // Checked in order of score: every hotspot of the circuit (one of them continues a round that keeps every
    // revisit, if any does), and the best 50 of the others.
    const safe: typeof scored = [];
    let others = 0;
    for (let i = 0; i < scored.length && safe.length < choices; i++) {
      const c = scored[i];
      const mine = owner[c.h] === u;
      if (!mine && ++others > 50) continue;
      if (safeAfter(u, c.h, c.arrive, c.arrive + dwell)) safe.push(c);
    }
    let pick: (typeof scored)[number] | undefined = safe[0];
    if (safe.length > 1) {
      const total = safe.reduce((a, c) => a + c.score, 0);
      let r = random() * total;
      for (const c of safe) {
        r -= c.score;
        if (r <= 0) {
          pick = c;
          break;
        }
      }
    }
    if (!pick) {
      // Nothing keeps every revisit: the most overdue hotspot of the circuit that can still be visited in the shift.
      const overdue = tours[u]
        .map((h) => ({ h, arrive: current.time + travel(current.at, hotspots[h]) }))
        .filter((c) => c.arrive + dwell + travel(hotspots[c.h], depot) <= shift && c.arrive - lastLeft[c.h] > 0)
        .sort((a, b) => due(a.h, u) - due(b.h, u));
      if (overdue.length === 0) {
        current.done = true;
        continue;
      }
      const c = overdue[0];
      pick = { h: c.h, arrive: c.arrive, score: 0, value: hotspots[c.h].risk * Math.min(1, (c.arrive - lastLeft[c.h]) / revisit) };
    }
    const depart = pick.arrive + dwell;
    if (current.stops.length === 0) started[u] = pick.arrive;
    current.stops.push({ hotspotId: hotspots[pick.h].id, arrive: pick.arrive, depart, value: pick.value, kind: owner[pick.h] === u ? 'circuit' : 'once' });
    current.value += pick.value;
    current.time = depart;
    current.at = hotspots[pick.h];
    lastLeft[pick.h] = depart;
    lastArrive[pick.h] = pick.arrive;
    if (owner[pick.h] < 0) taken[pick.h] = 1;
    visitsAt[pick.h].push(pick.arrive);
  }

  let longest: number | null = null;
  let visited = 0;
  let repeats = 0;
  let onTime = 0;
  const misses: RevisitMiss[] = [];
  for (let h = 0; h < n; h++) {
    const v = visitsAt[h];
    if (v.length > 0) visited++;
    v.sort((a, b) => a - b);
    const unitId = owner[h] >= 0 ? units[owner[h]].id : '';
    for (let i = 1; i < v.length; i++) {
      const gap = v[i] - v[i - 1];
      longest = Math.max(longest ?? 0, gap);
      repeats++;
      if (gap <= revisit + 1e-9) onTime++;
      else misses.push({ unitId, hotspotId: hotspots[h].id, lastArrive: v[i - 1], due: v[i - 1] + revisit, nextArrive: v[i], reason: 'travel' });
    }
    if (owner[h] >= 0 && v.length > 0) {
      const last = v[v.length - 1];
      if (last + revisit < shift) misses.push({ unitId, hotspotId: hotspots[h].id, lastArrive: last, due: last + revisit, nextArrive: null, reason: last + revisit > latest[h] ? 'shift_end' : 'travel' });
    }
  }
  const routes = state.map((s) => ({
    unitId: s.unit.id,
    stops: s.stops,
    circuit: tours[s.i].map((h) => hotspots[h].id),
    circuitMinutes: minutes[s.i],
    returnAt: s.stops.length ? s.time + travel(s.at, s.unit.depot) : 0,
    value: s.value,
  }));
  return {
    routes,
    coveredRisk: routes.reduce((a, r) => a + r.value, 0),
    visits: routes.reduce((a, r) => a + r.stops.length, 0),
    hotspotsVisited: visited,
    hotspotsInCircuits: tours.reduce((a, t) => a + t.length, 0),
    outsideCircuits: outside.map((x) => ({ hotspotId: hotspots[x.h].id, reason: x.reason })),
    longestRevisitGap: longest,
    revisitsOnTime: repeats > 0 ? onTime / repeats : null,
    revisitMisses: misses.sort((a, b) => a.lastArrive - b.lastArrive),
  };
}

export interface PlannedVisit {
  unitId: string;
  hotspotId: string;
  lon: number;
  lat: number;
  /** Planned window, epoch ms. */
  from: number;
  to: number;
}

export interface TelemetrySample {
  unitId: string;
  lon: number;
  lat: number;
  at: number;
}

export interface AdherenceOptions {
  /** A unit within this many metres of the hotspot is there (default 100). */
  radiusMetres?: number;
  /** Dwell that counts as a visit, minutes (default 10: Koper's threshold). */
  minDwellMinutes?: number;
  /** Slack around the planned window, minutes (default 30). */
  slackMinutes?: number;
  /** Samples further apart than this do not add dwell between them, minutes (default 5). */
  maxGapMinutes?: number;
}

export interface UnitAdherence {
  unitId: string;
  planned: number;
  made: number;
  share: number;
}

const metresBetween = (aLon: number, aLat: number, bLon: number, bLat: number) => {
  const rad = Math.PI / 180;
  const x = (bLon - aLon) * rad * Math.cos(((aLat + bLat) / 2) * rad);
  const y = (bLat - aLat) * rad;
  return Math.hypot(x, y) * 6_371_000;
};

/**
 * Adherence: the share of planned hotspot visits a unit made with enough dwell — time inside the radius summed
 * over consecutive telemetry samples both inside it, within the planned window ± slack.
 */
export function adherence(visits: readonly PlannedVisit[], samples: readonly TelemetrySample[], o: AdherenceOptions = {}): { units: UnitAdherence[]; visits: (PlannedVisit & { dwellMinutes: number; made: boolean })[] } {
  const radius = o.radiusMetres ?? 100;
  const minDwell = (o.minDwellMinutes ?? 10) * 60_000;
  const slack = (o.slackMinutes ?? 30) * 60_000;
  const maxGap = (o.maxGapMinutes ?? 5) * 60_000;
  const byUnit = new Map<string, TelemetrySample[]>();
  for (const s of samples) byUnit.set(s.unitId, [...(byUnit.get(s.unitId) ?? []), s]);
  for (const list of byUnit.values()) list.sort((a, b) => a.at - b.at);
  const judged = visits.map((v) => {
    const list = (byUnit.get(v.unitId) ?? []).filter((s) => s.at >= v.from - slack && s.at <= v.to + slack);
    let dwell = 0;
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1];
      const b = list[i];
      if (b.at - a.at > maxGap) continue;
      if (metresBetween(a.lon, a.lat, v.lon, v.lat) <= radius && metresBetween(b.lon, b.lat, v.lon, v.lat) <= radius) dwell += b.at - a.at;
    }
    return { ...v, dwellMinutes: dwell / 60_000, made: dwell >= minDwell };
  });
  const units = new Map<string, UnitAdherence>();
  for (const v of judged) {
    const u = units.get(v.unitId) ?? { unitId: v.unitId, planned: 0, made: 0, share: 0 };
    u.planned++;
    if (v.made) u.made++;
    u.share = u.made / u.planned;
    units.set(v.unitId, u);
  }
  return { units: [...units.values()], visits: judged };
}
