import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db, Queryable } from '../db/types.ts';
import type { MultiPolygon } from './area-index.ts';

/**
 * Kazakhstan's 20 regions and 224 districts (geokz 2024, CC BY 4.0), loaded from `data/geokz` into
 * `kernel_geo_area` on first start, then served as GeoJSON and used to place points (lon/lat → KATO).
 */
export const GEO_ATTRIBUTION = 'Boundaries: geokz, Alexander Rodionov, https://github.com/arodionoff/geokz, CC BY 4.0';

export interface AreaName {
  ru: string;
  kk: string;
  en: string;
}

export interface Area {
  kato: string;
  level: 'region' | 'district';
  parentKato: string | null;
  iso: string | null;
  name: AreaName;
}

export interface Placement {
  region: Area | null;
  district: Area | null;
}

/**
 * The source data spells some Kazakh names with a Latin `i` (U+0069) where Kazakh Cyrillic has `і` (U+0456),
 * e.g. «Солтүстiк Қазақстан»: fixed on load so search and sorting work.
 */
export function fixKazakh(name: string): string {
  return /[\u0400-\u04FF]/.test(name) ? name.replace(/i/g, '\u0456').replace(/I/g, '\u0406') : name;
}

interface GeoFeature {
  properties: Record<string, string>;
  geometry: unknown;
}

/** A boundary as `kernel_geo_area` holds it, read from the geokz GeoJSON. */
export type BoundaryRow = AreaRow & { geometry: MultiPolygon };

/** Kazakhstan's regions, then its districts, from the geokz files in `dataDir`. */
export function readBoundaries(dataDir: string): BoundaryRow[] {
  const read = (f: string) => JSON.parse(readFileSync(join(dataDir, f), 'utf8')) as { features: GeoFeature[] };
  const regions = read('kz-regions-2024.geojson').features;
  const districts = read('kz-districts-2024.geojson').features;
  const regionByPcode = new Map(regions.map((f) => [f.properties.ADM1_PCODE, f.properties.KATO]));
  const row = (f: GeoFeature, level: 'region' | 'district', parent: string | null, names: AreaName): BoundaryRow => ({
    kato: f.properties.KATO,
    level,
    parent_kato: parent,
    iso: f.properties.ISO_3166_2 ?? null,
    name_ru: names.ru,
    name_kk: names.kk,
    name_en: names.en,
    geometry: f.geometry as MultiPolygon,
  });
  return [
    ...regions.map((f) => row(f, 'region', null, { ru: f.properties.ADM1_RU, kk: fixKazakh(f.properties.ADM1_KK), en: f.properties.ADM1_EN })),
    ...districts.map((f) =>
      row(f, 'district', regionByPcode.get(f.properties.ADM1_PCODE) ?? null, { ru: f.properties.ADM2_RU, kk: fixKazakh(f.properties.ADM2_KK), en: f.properties.ADM2_EN }),
    ),
  ];
}

/** Loads the boundaries when the table is empty. Idempotent; safe when two processes start together. */
export async function loadBoundaries(db: Db, dataDir: string): Promise<number> {
  const [{ n }] = await db.query<{ n: number }>('select count(*)::int8 as n from kernel_geo_area');
  if (n > 0) return 0;
  const rows = readBoundaries(dataDir);
  return db.transaction(async (tx) => {
    await tx.query('lock table kernel_geo_area in exclusive mode');
    const [{ n: again }] = await tx.query<{ n: number }>('select count(*)::int8 as n from kernel_geo_area');
    if (again > 0) return 0;
    for (const r of rows) {
      await tx.query(
        `insert into kernel_geo_area (kato, level, parent_kato, iso, name_ru, name_kk, name_en, geom)
         values ($1, $2, $3, $4, $5, $6, $7, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($8), 4326)))`,
        [r.kato, r.level, r.parent_kato, r.iso, r.name_ru, r.name_kk, r.name_en, JSON.stringify(r.geometry)],
      );
    }
    return rows.length;
  });
}

/** A row of `kernel_geo_area` without its geometry. */
export interface AreaRow {
  kato: string;
  level: 'region' | 'district';
  parent_kato: string | null;
  iso: string | null;
  name_ru: string;
  name_kk: string;
  name_en: string;
}

export const toArea = (r: AreaRow): Area => ({
  kato: r.kato,
  level: r.level,
  parentKato: r.parent_kato,
  iso: r.iso,
  name: { ru: r.name_ru, kk: r.name_kk, en: r.name_en },
});

/** The region and district that contain a WGS 84 point; nulls outside Kazakhstan. */
export async function locate(db: Queryable, lon: number, lat: number): Promise<Placement> {
  const rows = await db.query<AreaRow>(
    `select kato, level, parent_kato, iso, name_ru, name_kk, name_en from kernel_geo_area
     where ST_Covers(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))`,
    [lon, lat],
  );
  const region = rows.find((r) => r.level === 'region');
  const district = rows.find((r) => r.level === 'district');
  return { region: region ? toArea(region) : null, district: district ? toArea(district) : null };
}

export async function getArea(db: Queryable, kato: string): Promise<Area | null> {
  const rows = await db.query<AreaRow>(
    'select kato, level, parent_kato, iso, name_ru, name_kk, name_en from kernel_geo_area where kato = $1',
    [kato],
  );
  return rows[0] ? toArea(rows[0]) : null;
}

/** A FeatureCollection of one level's areas (optionally inside one region), as a JSON string. */
export async function areasGeoJson(db: Queryable, level: 'region' | 'district', parentKato?: string): Promise<string> {
  const rows = await db.query<AreaRow & { geometry: string }>(
    `select kato, level, parent_kato, iso, name_ru, name_kk, name_en, ST_AsGeoJSON(geom, 5) as geometry
     from kernel_geo_area where level = $1 and ($2::text is null or parent_kato = $2) order by kato`,
    [level, parentKato ?? null],
  );
  const features = rows.map((r) => {
    const a = toArea(r);
    const properties =
      level === 'region'
        ? { kato: a.kato, level: a.level, iso: a.iso, name: a.name }
        : { kato: a.kato, level: a.level, parentKato: a.parentKato, name: a.name };
    return `{"type":"Feature","id":${JSON.stringify(a.kato)},"properties":${JSON.stringify(properties)},"geometry":${r.geometry}}`;
  });
  return `{"type":"FeatureCollection","features":[${features.join(',')}]}`;
}
