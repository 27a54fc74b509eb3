import { type Crs, localPlanar } from './crs.ts';

/**
 * Historical incidents from a table (CSV rows or GeoJSON properties) by a column mapping. Pure: the CLI and the
 * import API both read through here, so a file that imports also backtests, row for row.
 */

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF; a comma, semicolon or tab separator, guessed from the header. */
export function parseCsv(text: string): string[][] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const firstLine = src.slice(0, src.search(/\r?\n|$/));
  const sep = [',', ';', '\t'].map((s) => ({ s, n: firstLine.split(s).length })).sort((a, b) => b.n - a.n)[0].s;
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i];
    if (quoted) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === sep) {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && src[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * A time in one of the forms police exports use, as epoch milliseconds (UTC), or null:
 * ISO 8601 (`2016-03-01`, `2016-03-01T14:05:00Z`, `2016-03-01 14:05`), a month (`2016-03`, police.uk),
 * `01.03.2016 [14:05[:00]]` (day first, Kazakhstan/Russia), `03/01/2016 [02:05:00 PM]` (month first, US portals).
 * A time without a zone is taken as UTC.
 */
export function parseTime(value: string): number | null {
  const v = value.trim();
  if (v === '') return null;
  let m = /^(\d{4})-(\d{2})$/.exec(v);
  if (m) return Date.UTC(+m[1], +m[2] - 1, 1);
  m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(v);
  if (m) {
    if (m[7]) {
      const t = Date.parse(v.replace(' ', 'T'));
      return Number.isNaN(t) ? null : t;
    }
    return checked(+m[1], +m[2], +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  }
  m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(v);
  if (m) return checked(+m[3], +m[2], +m[1], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?(?: ?([AP]M))?)?$/i.exec(v);
  if (m) {
    let hour = +(m[4] ?? 0);
    if (m[7]) hour = (hour % 12) + (m[7].toUpperCase() === 'PM' ? 12 : 0);
    return checked(+m[3], +m[1], +m[2], hour, +(m[5] ?? 0), +(m[6] ?? 0));
  }
  return null;
}

function checked(y: number, mo: number, d: number, h: number, mi: number, s: number): number | null {
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  return t;
}

export interface ColumnMapping {
  time: string;
  /** Longitude or planar x (by the CRS). */
  x: string;
  /** Latitude or planar y. */
  y: string;
  category?: string;
  outcome?: string;
}

export interface TableIncident {
  /** Source row, 1-based after the header (or the feature's index + 1). */
  row: number;
  at: number;
  lon: number;
  lat: number;
  category: string | null;
  outcome: string | null;
}

export interface RowError {
  row: number;
  field: 'time' | 'x' | 'y' | 'category' | 'outcome' | 'header';
  code: 'missing_column' | 'bad_time' | 'bad_coordinate' | 'out_of_range';
}

/** The rows of a table (first row the header) as incidents in WGS 84, with every bad row named. */
export function incidentsFromRows(rows: string[][], mapping: ColumnMapping, crs: Crs): { incidents: TableIncident[]; errors: RowError[] } {
  const header = (rows[0] ?? []).map((h) => h.trim());
  const col = (name: string | undefined) => (name === undefined ? -1 : header.indexOf(name));
  const errors: RowError[] = [];
  const need = { time: col(mapping.time), x: col(mapping.x), y: col(mapping.y) };
  for (const [field, idx] of Object.entries(need)) if (idx < 0) errors.push({ row: 0, field: field as RowError['field'], code: 'missing_column' });
  const cat = col(mapping.category);
  const out = col(mapping.outcome);
  if (mapping.category && cat < 0) errors.push({ row: 0, field: 'category', code: 'missing_column' });
  if (mapping.outcome && out < 0) errors.push({ row: 0, field: 'outcome', code: 'missing_column' });
  if (errors.length > 0) return { incidents: [], errors };
  const incidents: TableIncident[] = [];
  for (let r = 1; r < rows.length; r++) {
    const cells = rows[r];
    const at = parseTime(cells[need.time] ?? '');
    if (at === null) {
      errors.push({ row: r, field: 'time', code: 'bad_time' });
      continue;
    }
    const x = Number((cells[need.x] ?? '').trim() || Number.NaN);
    const y = Number((cells[need.y] ?? '').trim() || Number.NaN);
    if (!Number.isFinite(x)) {
      errors.push({ row: r, field: 'x', code: 'bad_coordinate' });
      continue;
    }
    if (!Number.isFinite(y)) {
      errors.push({ row: r, field: 'y', code: 'bad_coordinate' });
      continue;
    }
    const [lon, lat] = crs.geographic && crs.name === 'EPSG:4326' ? [x, y] : crs.toLonLat(x, y);
    if (!(Math.abs(lon) <= 180 && Math.abs(lat) <= 90)) {
      errors.push({ row: r, field: crs.geographic ? 'y' : 'x', code: 'out_of_range' });
      continue;
    }
    const text = (i: number) => (i >= 0 ? (cells[i] ?? '').trim() || null : null);
    incidents.push({ row: r, at, lon, lat, category: text(cat), outcome: text(out) });
  }
  return { incidents, errors };
}

/** GeoJSON Point features as table rows: the header is `lon`, `lat` and every property name. */
export function rowsFromGeoJson(doc: unknown): string[][] {
  const features = (doc as { features?: unknown[] })?.features;
  if (!Array.isArray(features)) return [];
  const names = new Set<string>();
  for (const f of features) for (const k of Object.keys((f as { properties?: object })?.properties ?? {})) names.add(k);
  const header = ['lon', 'lat', ...names];
  const rows = [header];
  for (const f of features) {
    const g = (f as { geometry?: { type?: string; coordinates?: unknown[] } }).geometry;
    const props = (f as { properties?: Record<string, unknown> }).properties ?? {};
    const [x, y] = g?.type === 'Point' && Array.isArray(g.coordinates) ? g.coordinates : ['', ''];
    rows.push([String(x ?? ''), String(y ?? ''), ...[...names].map((n) => (props[n] === null || props[n] === undefined ? '' : String(props[n])))]);
  }
  return rows;
}

/**
 * Planar metres for forecasting: the source coordinates themselves when the CRS is projected in (true) metres,
 * otherwise (longitude/latitude, feet, Web Mercator) an azimuthal equidistant projection centred on the data.
 */
export function planarOf(incidents: readonly TableIncident[], crs: Crs, crsDef?: string): (i: TableIncident) => { x: number; y: number } {
  const planar = planarCrsOf(incidents, crs, crsDef);
  return (i) => {
    const [x, y] = planar.fromLonLat(i.lon, i.lat);
    return { x, y };
  };
}

/**
 * The planar CRS (metres) the incidents are forecast in: the file's own when it is metric, else an azimuthal
 * equidistant projection centred on them. Its `toLonLat` takes the planar x, y back to longitude/latitude (H3).
 */
export function planarCrsOf(incidents: readonly TableIncident[], crs: Crs, crsDef?: string): Crs {
  const def = crsDef ?? '';
  // Web Mercator is in metres but stretched by 1/cos(latitude) (×1.37 in Almaty): cells would not be square metres.
  const metric = !crs.geographic && crs.name !== 'EPSG:3857' && (/\+units=m\b/.test(def) || crs.name !== 'custom');
  if (metric) return crs;
  let lon = 0;
  let lat = 0;
  for (const i of incidents) {
    lon += i.lon;
    lat += i.lat;
  }
  return localPlanar(lon / Math.max(1, incidents.length), lat / Math.max(1, incidents.length));
}

