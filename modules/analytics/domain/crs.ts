import proj4, { type Converter } from 'proj4';

/**
 * Coordinate reference systems for imported incidents. Everything runs offline: proj4 knows EPSG:4326 and
 * EPSG:3857 itself, the table below adds the systems our data and Kazakhstan's agencies use, and any other
 * system is given as a proj4 definition string (`--crs-def` on the CLI, `crsDef` in the API), e.g.
 * `+proj=tmerc +lat_0=36.66666666666666 +lon_0=-88.33333333333333 +k=0.999975 +x_0=300000 +y_0=0 +ellps=GRS80 +units=m +no_defs`.
 * Definitions are those of epsg.io / the EPSG registry (proj4 form).
 */
export const KNOWN_CRS: Record<string, string> = {
  'EPSG:4326': '+proj=longlat +datum=WGS84 +no_defs',
  'EPSG:3857': '+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +no_defs',
  // NAD83 / Illinois East (metres): Chicago's open data.
  'EPSG:26971': '+proj=tmerc +lat_0=36.66666666666666 +lon_0=-88.33333333333333 +k=0.999975 +x_0=300000 +y_0=0 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
  // OSGB 1936 / British National Grid: police.uk and the Met.
  'EPSG:27700': '+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 +ellps=airy +towgs84=446.448,-125.157,542.06,0.15,0.247,0.842,-20.489 +units=m +no_defs',
  // WGS 84 / UTM zones 39N–45N: Kazakhstan from the Caspian to the Altai.
  ...Object.fromEntries([39, 40, 41, 42, 43, 44, 45].map((z) => [`EPSG:326${z}`, `+proj=utm +zone=${z} +datum=WGS84 +units=m +no_defs`])),
  // Pulkovo 1942 / Gauss–Krüger zones 9–15 (6° zones), still found in Kazakhstan's older survey data.
  ...Object.fromEntries(
    [9, 10, 11, 12, 13, 14, 15].map((z) => [
      `EPSG:${28400 + z}`,
      `+proj=tmerc +lat_0=0 +lon_0=${z * 6 - 3} +k=1 +x_0=${z}500000 +y_0=0 +ellps=krass +towgs84=23.92,-141.27,-80.9,0,0.35,0.82,-0.12 +units=m +no_defs`,
    ]),
  ),
};

export class CrsError extends Error {
  constructor(
    message: string,
    readonly code: 'unknown_crs' | 'bad_crs_definition',
  ) {
    super(message);
  }
}

/** A transform between a source CRS and WGS 84 longitude/latitude. */
export interface Crs {
  /** `EPSG:…` or `custom`. */
  name: string;
  geographic: boolean;
  toLonLat(x: number, y: number): [number, number];
  fromLonLat(lon: number, lat: number): [number, number];
}

/** Normalises `epsg:26971`, `26971`, `EPSG:26971` to `EPSG:26971`. */
export function normaliseCrsName(name: string): string {
  const m = /^(?:epsg:)?(\d{4,6})$/i.exec(name.trim());
  return m ? `EPSG:${m[1]}` : name.trim();
}

/** The transform for `name` (from the table), or for a proj4 definition `def` (which wins when given). */
export function crsOf(name = 'EPSG:4326', def?: string): Crs {
  const key = normaliseCrsName(name);
  const definition = def?.trim() || KNOWN_CRS[key];
  if (!definition) throw new CrsError(`unknown CRS ${name}: give its proj4 definition (--crs-def) or one of ${Object.keys(KNOWN_CRS).join(', ')}`, 'unknown_crs');
  let converter: Converter;
  try {
    converter = proj4(definition, KNOWN_CRS['EPSG:4326']);
  } catch (e) {
    throw new CrsError(`bad proj4 definition for ${name}: ${(e as Error).message}`, 'bad_crs_definition');
  }
  const geographic = /\+proj=longlat/.test(definition);
  return {
    name: def ? 'custom' : key,
    geographic,
    toLonLat: (x, y) => converter.forward([x, y]) as [number, number],
    fromLonLat: (lon, lat) => converter.inverse([lon, lat]) as [number, number],
  };
}

/**
 * A planar projection in metres for forecasting on geographic data: an azimuthal equidistant projection centred
 * on the data, where distances from the centre are true and a 200 km city is distorted by well under 0.1 %.
 */
export function localPlanar(lon0: number, lat0: number): Crs {
  return crsOf('custom', `+proj=aeqd +lat_0=${lat0} +lon_0=${lon0} +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs`);
}
