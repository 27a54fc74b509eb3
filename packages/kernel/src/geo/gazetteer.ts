import type { AreaIndex } from './area-index.ts';
import { haversineM } from './distance.ts';

/**
 * The offline geocoder: an address as a person types it («Алматы, пр. Абая 10», «Абай даңғылы 10», «Avenue des
 * Papalins 6») → a point, with how precisely it is known. Nothing leaves the installation (an operations centre's
 * addresses are not sent to a public geocoder). Two sources:
 *
 * - Kazakhstan's regions and districts (the boundaries every installation loads): an address that names only a
 *   district is placed well inside it — enough to reach the right operations centre, not to send a unit.
 * - Optionally an OpenStreetMap extract (`.osm.pbf`, the one the road network is read from; see gazetteer-osm.ts):
 *   houses (`addr:street` / `addr:place` + `addr:housenumber`), named streets, and places (city … hamlet).
 *
 * Matching is by words, not by order: a name matches when every significant word of it is in the query (so
 * «проспект Абая» is found from «Абая пр., 10» and the Kazakh «Абай даңғылы» from its own name:kk), after
 * lower-casing, ё → е, and dropping the words that say what kind of thing a name is (улица, көшесі, avenue, район…).
 * Areas and places the query names narrow the streets searched; a name found in several towns with nothing to tell
 * them apart is `ambiguous` rather than a guess — the caller asks for the town or a pin on the map.
 */

/** How precisely an address was placed, finest first. */
export const PRECISIONS = ['house', 'street', 'place', 'district', 'region'] as const;
export type Precision = (typeof PRECISIONS)[number];

export interface GeocodedPlace {
  lon: number;
  lat: number;
  precision: Precision;
  /** What was found, in the source's words: «Avenue des Papalins 6», «Алмалинский район, Алматы». */
  label: string;
}

export type Geocoded = { found: true; place: GeocodedPlace } | { found: false; reason: 'not_found' | 'ambiguous' };

/** Words that say what kind of street, place or area a name is, and articles: not part of the name's identity. */
const KIND_WORDS = new Set(
  [
    // ru
    'улица ул проспект пр просп пр-т пр-кт переулок пер бульвар б-р бул шоссе ш площадь пл набережная наб тупик туп',
    'проезд пр-д микрорайон мкр мкрн мкр-н район р-н жилой массив жм ж/м дом д город г гор село с поселок пос п аул',
    'область обл корпус корп кв квартира имени им угол и',
    // kk
    'көшесі көш даңғылы даң ықшамауданы ықшам шағынауданы шағын аудан ауданы қала қаласы қ облысы ауылы тұйығы алаңы үй',
    'кенті елді мекені',
    // en
    'street st str avenue ave av road rd boulevard blvd lane ln drive dr square sq city town district region',
    'microdistrict village house of the and corner',
    // fr/it (OpenStreetMap's names in the Monaco extract the tests use)
    'rue boulevard chemin allée allee place quai impasse route montée montee escalier esplanade promenade',
    'de des du la le les l d di del',
  ]
    .join(' ')
    .split(' '),
);

/** A house number: 10, 10а, 4bis, 12/1, 4-6 (the first of a range). */
const HOUSE_NUMBER = /^\d{1,5}([a-zа-яәғқңөұүһі]{1,3})?(\/\d{1,4}[a-zа-я]?)?$/;

/** Lower-cased words of a text, kind words dropped; hyphenated names split («Самал-2» → самал 2). */
export function words(text: string): string[] {
  const out: string[] = [];
  const raw = text
    .replace(/№/g, ' ') // NFKC would make it «No»
    .normalize('NFKC')
    .toLowerCase()
    .replace(/ё/g, 'е')
    .split(/[\s,.;:!?«»"“”„'’‘`()[\]{}№#]+/);
  for (const w of raw) {
    if (!w || KIND_WORDS.has(w)) continue;
    // A number with a letter after a space («10 а») is one house number.
    if (/^[a-zа-я]$/.test(w) && out.length > 0 && /^\d+$/.test(out[out.length - 1])) {
      out[out.length - 1] += w;
      continue;
    }
    if (HOUSE_NUMBER.test(w)) {
      out.push(w);
      continue;
    }
    if (/^\d+-\d+$/.test(w)) {
      out.push(w.split('-')[0]); // 4-6: a range of houses, found by its first
      continue;
    }
    for (const part of w.split(/[-–]/)) if (part && !KIND_WORDS.has(part)) out.push(part);
  }
  return out;
}

/** A name's identity: its significant words, sorted (word order does not matter). */
export const nameKey = (name: string): string => [...new Set(words(name))].sort().join(' ');

export const houseNumberKey = (n: string): string | null => {
  const w = words(n)[0];
  return w && /^\d/.test(w) ? w : null;
};

/** A house or one segment of a street: where it is and what it is called. */
interface Spot {
  label: string;
  lon: number;
  lat: number;
}

interface Named {
  key: string;
  words: string[];
  label: string;
  lon: number;
  lat: number;
}

interface NamedPlace extends Named {
  precision: Precision;
  /** How far from its point a street may be and still be in it, metres. */
  radiusM: number;
}

interface NamedArea {
  key: string;
  words: string[];
  kato: string;
  level: 'region' | 'district';
  label: string;
}

/** What an OpenStreetMap extract (or any other source) contributes. */
export interface GazetteerSource {
  /** One entry per street segment (or per name of it): many per street. */
  streets: { name: string; lon: number; lat: number }[];
  houses: { street: string; number: string; lon: number; lat: number }[];
  places: { name: string; kind: string; lon: number; lat: number }[];
}

/** OpenStreetMap's place kinds → how precise a place is, and how far its streets reach. */
const PLACE_KINDS: Record<string, { precision: Precision; radiusM: number }> = {
  city: { precision: 'region', radiusM: 30_000 },
  town: { precision: 'district', radiusM: 12_000 },
  village: { precision: 'place', radiusM: 5_000 },
  suburb: { precision: 'place', radiusM: 4_000 },
  quarter: { precision: 'place', radiusM: 2_500 },
  neighbourhood: { precision: 'place', radiusM: 2_000 },
  hamlet: { precision: 'place', radiusM: 2_000 },
  locality: { precision: 'place', radiusM: 2_000 },
  isolated_dwelling: { precision: 'place', radiusM: 1_000 },
};

/** Houses of one number on one street further apart than this are different houses (two towns). */
const SAME_HOUSE_M = 300;
/**
 * Segments of one name form one street when each is within this of another (a street's segments' middles are a few
 * hundred metres apart); two such groups are two streets of one name (two towns, or two villages' «Центральная»).
 */
const STREET_GAP_M = 2_000;
/** More segments of one name than this, with no town named, are not worth telling apart: ask for the town. */
const MAX_SEGMENTS = 3_000;

class WordIndex<T extends { words: string[] }> {
  private readonly byWord = new Map<string, T[]>();
  add(item: T): void {
    for (const w of new Set(item.words)) {
      const list = this.byWord.get(w);
      if (list) list.push(item);
      else this.byWord.set(w, [item]);
    }
  }
  /** Items every word of which is in the query, longest names first. */
  within(query: ReadonlySet<string>): T[] {
    const seen = new Set<T>();
    for (const w of query) for (const item of this.byWord.get(w) ?? []) if (!seen.has(item) && item.words.every((x) => query.has(x))) seen.add(item);
    return [...seen].sort((a, b) => b.words.length - a.words.length);
  }
}

export class Gazetteer {
  private readonly areas = new WordIndex<NamedArea>();
  private readonly places = new WordIndex<NamedPlace>();
  /** Street name key → the street's points (one per segment), and the index of keys by word. */
  private readonly streetPoints = new Map<string, Spot[]>();
  private readonly streetNames = new WordIndex<{ key: string; words: string[] }>();
  /** Street (or place) name key → house number → the houses. */
  private readonly houses = new Map<string, Map<string, Spot[]>>();
  readonly counts = { areas: 0, places: 0, streets: 0, houses: 0 };

  constructor(
    private readonly areaIndex: AreaIndex,
    source: GazetteerSource | null = null,
  ) {
    for (const area of areaIndex.all()) {
      const parent = area.parentKato ? areaIndex.area(area.parentKato) : null;
      const label = parent ? `${area.name.ru}, ${parent.name.ru}` : area.name.ru;
      for (const name of new Set([area.name.ru, area.name.kk, area.name.en])) {
        const key = nameKey(name);
        if (!key) continue;
        this.areas.add({ key, words: key.split(' '), kato: area.kato, level: area.level, label });
      }
      this.counts.areas++;
    }
    if (!source) return;
    for (const p of source.places) {
      const kind = PLACE_KINDS[p.kind];
      const key = nameKey(p.name);
      if (!kind || !key) continue;
      this.places.add({ key, words: key.split(' '), label: p.name, lon: p.lon, lat: p.lat, ...kind });
      this.counts.places++;
    }
    const street = (name: string, lon: number, lat: number) => {
      const key = nameKey(name);
      if (!key) return null;
      let points = this.streetPoints.get(key);
      if (!points) {
        points = [];
        this.streetPoints.set(key, points);
        this.streetNames.add({ key, words: key.split(' ') });
      }
      points.push({ label: name, lon, lat });
      return key;
    };
    for (const s of source.streets) if (street(s.name, s.lon, s.lat)) this.counts.streets++;
    for (const h of source.houses) {
      const number = houseNumberKey(h.number);
      // A house also says its street is there (a street may have houses in the extract but no named way).
      const key = street(h.street, h.lon, h.lat);
      if (!number || !key) continue;
      let byNumber = this.houses.get(key);
      if (!byNumber) {
        byNumber = new Map();
        this.houses.set(key, byNumber);
      }
      const list = byNumber.get(number) ?? [];
      list.push({ label: `${h.street} ${h.number}`, lon: h.lon, lat: h.lat });
      byNumber.set(number, list);
      this.counts.houses++;
    }
  }

  geocode(address: string): Geocoded {
    const query = words(address);
    if (query.length === 0) return { found: false, reason: 'not_found' };
    const querySet = new Set(query);
    // Each street name wholly in the query is tried (longest first), then none: «Avenue de Verdun 196,
    // Roquebrune-Cap-Martin» holds the street «Cap Martin» too, and only «Verdun» has a house 196 there.
    let best: GeocodedPlace | null = null;
    let ambiguous = false;
    for (const street of [...this.streetNames.within(querySet).slice(0, 6), null]) {
      const r = this.resolve(query, querySet, street);
      if (r === 'ambiguous') ambiguous = true;
      else if (r && (!best || PRECISIONS.indexOf(r.precision) < PRECISIONS.indexOf(best.precision))) best = r;
      if (best?.precision === 'house') break;
    }
    // A street of that name in several towns, and only the region known otherwise: ask for the town.
    if (best && (!ambiguous || PRECISIONS.indexOf(best.precision) <= PRECISIONS.indexOf('street'))) return { found: true, place: best };
    return { found: false, reason: ambiguous ? 'ambiguous' : 'not_found' };
  }

  /** The address read with this street name (or none), or null when that reading finds nothing. */
  private resolve(query: readonly string[], querySet: ReadonlySet<string>, streetName: { key: string; words: string[] } | null): GeocodedPlace | 'ambiguous' | null {
    const number = streetName ? query.find((w) => !streetName.words.includes(w) && /^\d/.test(w) && HOUSE_NUMBER.test(w)) : undefined;
    // A name that is both a street's and a place's («Fontvieille»), with no house number, is the place.
    if (streetName && !number && this.places.within(querySet).some((p) => p.key === streetName.key)) return null;
    const rest = new Set(query.filter((w) => !streetName?.words.includes(w)));
    // What narrows it: areas and places named by the words the street did not take. A district counts only when its
    // region is named too or no region is (Astana's district «Алматы» must not take «г. Алматы»).
    const named = this.areas.within(rest);
    const regions = named.filter((a) => a.level === 'region');
    const districts = named.filter((a) => a.level === 'district' && (regions.length === 0 || regions.some((r) => r.kato === this.areaIndex.area(a.kato)?.parentKato)));
    // Two districts of one name in different regions, and no region to tell them apart.
    if (districts.some((d) => d.kato !== districts[0].kato && d.words.length === districts[0].words.length)) return 'ambiguous';
    const area = districts[0] ?? regions[0];
    const places = this.places.within(rest);
    const inArea = (lon: number, lat: number) => {
      if (!area) return true;
      const kato = this.areaIndex.katoOf(lon, lat);
      // A district's code is its own; a region's districts share its first two digits.
      return kato !== null && (area.level === 'district' ? kato === area.kato : kato.slice(0, 2) === area.kato.slice(0, 2));
    };
    const fits = (n: { lon: number; lat: number }) =>
      inArea(n.lon, n.lat) && (places.length === 0 || places.some((p) => haversineM(p, n) <= p.radiusM));

    if (streetName) {
      if (number) {
        const houses = (this.houses.get(streetName.key)?.get(number) ?? []).filter(fits);
        if (houses.length > 0) {
          if (!together(houses, SAME_HOUSE_M)) return 'ambiguous';
          return { lon: houses[0].lon, lat: houses[0].lat, precision: 'house', label: houses[0].label };
        }
      }
      const points = (this.streetPoints.get(streetName.key) ?? []).filter(fits);
      if (points.length > 0) {
        const streets = clusters(points, STREET_GAP_M);
        if (streets === null || streets.length > 1) return 'ambiguous';
        const mid = middleOf(points);
        return { lon: mid.lon, lat: mid.lat, precision: 'street', label: mid.label };
      }
      return null; // not in the named town
    }
    const place = places.filter((p) => inArea(p.lon, p.lat)).sort((a, b) => PRECISIONS.indexOf(a.precision) - PRECISIONS.indexOf(b.precision))[0];
    if (place && (!area || PRECISIONS.indexOf(place.precision) < PRECISIONS.indexOf(area.level))) {
      return { lon: place.lon, lat: place.lat, precision: place.precision, label: place.label };
    }
    const point = area ? this.areaIndex.labelPoint(area.kato) : null;
    return area && point ? { ...point, precision: area.level, label: area.label } : null;
  }
}

/** Whether every point is within `maxM` of the first. */
function together(points: readonly { lon: number; lat: number }[], maxM: number): boolean {
  return points.every((p) => haversineM(points[0], p) <= maxM);
}

/** Single-linkage groups of points no further than `gapM` apart in a chain; null when there are too many to group. */
function clusters<T extends { lon: number; lat: number }>(points: readonly T[], gapM: number): T[][] | null {
  if (points.length > MAX_SEGMENTS) return null;
  const group = new Int32Array(points.length).fill(-1);
  const out: T[][] = [];
  for (let i = 0; i < points.length; i++) {
    if (group[i] >= 0) continue;
    const members = [points[i]];
    group[i] = out.length;
    for (let k = 0; k < members.length; k++)
      for (let j = 0; j < points.length; j++)
        if (group[j] < 0 && haversineM(members[k], points[j]) <= gapM) {
          group[j] = out.length;
          members.push(points[j]);
        }
    out.push(members);
  }
  return out;
}

/** The point nearest the points' mean: a street's segments stand for the street by its middle one. */
function middleOf<T extends { lon: number; lat: number }>(points: readonly T[]): T {
  let lon = 0;
  let lat = 0;
  for (const p of points) {
    lon += p.lon;
    lat += p.lat;
  }
  lon /= points.length;
  lat /= points.length;
  let best = points[0];
  let bestM = Infinity;
  for (const p of points) {
    const m = haversineM({ lon, lat }, p);
    if (m < bestM) {
      best = p;
      bestM = m;
    }
  }
  return best;
}
