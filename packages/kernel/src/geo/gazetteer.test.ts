import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { AreaIndex } from './area-index.ts';
import { haversineM } from './distance.ts';
import { Gazetteer, nameKey, words } from './gazetteer.ts';
import { readGazetteerSource } from './gazetteer-osm.ts';
import { readBoundaries } from './geo.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

// Real data only: Kazakhstan's boundaries (geokz) and the OpenStreetMap extract of Monaco the road network uses.
let areas: AreaIndex;
let kazakhstan: Gazetteer;
let monaco: Gazetteer;

beforeAll(() => {
  areas = AreaIndex.fromRows(readBoundaries(join(REPO_ROOT, 'data/geokz')));
  kazakhstan = new Gazetteer(areas);
  monaco = new Gazetteer(areas, readGazetteerSource(join(REPO_ROOT, 'data/monaco-osm/monaco.osm.pbf')));
});

const placed = (g: Gazetteer, address: string) => {
  const r = g.geocode(address);
  if (!r.found) throw new Error(`${address}: ${r.reason}`);
  return r.place;
};

describe('words of an address', () => {
  it('drops the words that say what kind of thing a name is, in Russian, Kazakh and English, and keeps house numbers whole', () => {
    expect(words('г. Алматы, пр-т Абая, д. 10 а')).toEqual(['алматы', 'абая', '10а']);
    expect(words('Алматы қаласы, Абай даңғылы, 10/2')).toEqual(['алматы', 'абай', '10/2']);
    expect(words('мкр. Самал-2, 58')).toEqual(['самал', '2', '58']);
    expect(words('ул. Жолдасбекова (угол Сатпаева) № 4-6')).toEqual(['жолдасбекова', 'сатпаева', '4']);
    expect(words('улица Ёлочная')).toEqual(['елочная']);
    // Word order does not make another street.
    expect(nameKey('проспект Абая')).toBe(nameKey('Абая проспект'));
  });
});

describe('gazetteer: Kazakhstan’s districts', () => {
  it('places an address naming a district well inside that district, in Russian, Kazakh or English', () => {
    for (const address of ['Алматы, Алмалинский район, ул. Толе би', 'Алмалы ауданы, Алматы қаласы', 'Almaly district, Almaty']) {
      const p = placed(kazakhstan, address);
      expect(p.precision).toBe('district');
      expect(areas.katoOf(p.lon, p.lat)).toBe('751110000');
      expect(p.label).toBe('Алмалинский, Алматы');
    }
  });

  it('a district’s label point is inside it for every district of Kazakhstan (a centroid would not be)', () => {
    const outside = areas
      .all()
      .filter((a) => a.level === 'district')
      .filter((a) => {
        const p = areas.labelPoint(a.kato);
        return !p || areas.katoOf(p.lon, p.lat) !== a.kato;
      })
      .map((a) => a.kato);
    // geokz's regions and districts do not meet to the metre: a point may be placed in the neighbour across a
    // sliver, but none of 224 should be.
    expect(outside).toEqual([]);
  });

  it('a city alone is placed only as precisely as the city (region level): a report needs more', () => {
    expect(placed(kazakhstan, 'г. Алматы')).toMatchObject({ precision: 'region' });
    expect(placed(kazakhstan, 'Шымкент')).toMatchObject({ precision: 'region' });
  });

  it('an address with no known street, place or area is not found, not guessed', () => {
    expect(kazakhstan.geocode('ул. Несуществующая, 5')).toEqual({ found: false, reason: 'not_found' });
    expect(kazakhstan.geocode('  ,. ')).toEqual({ found: false, reason: 'not_found' });
  });
});

describe('gazetteer: houses, streets and places of an OpenStreetMap extract (Monaco)', () => {
  it('finds a house by street and number, in any word order and case, at the OpenStreetMap node', () => {
    // Node 1662764981: Avenue des Papalins 6 (Le barbagiuan), 7.41720 43.72924.
    for (const address of ['Avenue des Papalins 6', '6, avenue des papalins', 'Papalins des 6 av.']) {
      const p = placed(monaco, address);
      expect(p).toMatchObject({ precision: 'house', label: 'Avenue des Papalins 6' });
      expect(haversineM(p, { lon: 7.4172, lat: 43.72924 })).toBeLessThan(5);
    }
    // Another number on the same street is another house.
    expect(haversineM(placed(monaco, 'Avenue des Papalins 8'), { lon: 7.41718, lat: 43.7291 })).toBeLessThan(5);
    // A suffixed number (4bis) and a building's outline (way 161885377: Quai Antoine 1er 4).
    expect(placed(monaco, 'Rue de la Colle 4bis')).toMatchObject({ precision: 'house', label: 'Rue de la Colle 4bis' });
    expect(placed(monaco, 'Quai Antoine 1er 4')).toMatchObject({ precision: 'house' });
  });

  it('a number the street does not have falls back to the street, placed on the street', () => {
    const p = placed(monaco, 'Avenue des Papalins 999');
    expect(p.precision).toBe('street');
    expect(haversineM(p, { lon: 7.4172, lat: 43.72924 })).toBeLessThan(800);
  });

  it('a house number found in two towns is ambiguous until the town is named', () => {
    // Avenue de Verdun 196 exists in Roquebrune-Cap-Martin (node 939968517), and 244 in Èze; the street runs through
    // several towns, so without a town it is ambiguous…
    expect(monaco.geocode('Avenue de Verdun')).toEqual({ found: false, reason: 'ambiguous' });
    // …and with one it is found.
    expect(placed(monaco, 'Avenue de Verdun 196, Roquebrune-Cap-Martin')).toMatchObject({ precision: 'house' });
  });

  it('a place named alone is placed at the place', () => {
    const p = placed(monaco, 'Fontvieille');
    expect(p.precision).toBe('place');
    expect(haversineM(p, { lon: 7.416, lat: 43.729 })).toBeLessThan(1500);
  });

  it('counts what it read', () => {
    expect(monaco.counts.houses).toBeGreaterThanOrEqual(60);
    expect(monaco.counts.streets).toBeGreaterThan(1000);
    expect(monaco.counts.places).toBeGreaterThan(20);
  });
});
