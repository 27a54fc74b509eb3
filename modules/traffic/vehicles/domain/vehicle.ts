/**
 * A register entry as people and import files give it, and its validation. Pure: the route and the bulk import
 * use the same rules, so a vehicle refused by one is refused by the other with the same field errors.
 */
import { z } from 'zod';
import { type FieldError, fieldErrorsFromZod, parseReporting } from '../../../../packages/kernel/src/errors.ts';
import type { VehicleClass } from '../../contract.ts';
import { idNumberProblem } from './iin.ts';
import { normalisePlate } from '../../domain/plates.ts';

export const VEHICLE_CLASSES = ['car', 'truck', 'bus', 'motorcycle', 'moped', 'other'] as const satisfies readonly VehicleClass[];

const text = (max: number) => z.string().trim().min(1).max(max);

export const OwnerInput = z.strictObject({
  /** A person (ИИН) or an organisation (БИН). */
  kind: z.enum(['person', 'organisation']).default('person'),
  name: text(300),
  /** ИИН of a person or БИН of an organisation: 12 digits with a valid check digit. */
  iin: z.string().regex(/^\d{12}$/),
  address: text(500),
});

export const WantedInput = z.strictObject({
  reason: text(500),
  /** The legal basis: case number, court or investigator's order. */
  basis: text(500),
});

export const VehicleInput = z.strictObject({
  plate: z.string().trim().min(2).max(20),
  class: z.enum(VEHICLE_CLASSES),
  make: text(100).optional(),
  model: text(100).optional(),
  colour: text(50).optional(),
  year: z.number().int().min(1900).max(2100).optional(),
  /** ISO 3779 (no I, O, Q). Mopeds without one get it at inspection. */
  vin: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-HJ-NPR-Z0-9]{17}$/)
    .optional(),
  owner: OwnerInput,
  /** YYYY-MM-DD; null = no compulsory insurance policy on record. */
  insuranceValidUntil: z.iso.date().nullable(),
  /** Set to put the vehicle on the wanted list; null or absent = not wanted. */
  wanted: WantedInput.nullable().optional(),
});
export type VehicleInput = z.input<typeof VehicleInput>;

/** A validated, normalised register entry. */
export interface Vehicle {
  plate: string;
  country: string | null;
  class: VehicleClass;
  make: string | null;
  model: string | null;
  colour: string | null;
  year: number | null;
  vin: string | null;
  owner: { kind: 'person' | 'organisation'; name: string; iin: string; address: string };
  insuranceValidUntil: string | null;
  wanted: { reason: string; basis: string } | null;
}

/** The checks zod cannot express: the plate folds to a plate, the ИИН/БИН check digit. */
export function checkVehicle(v: z.infer<typeof VehicleInput>, at: string): { vehicle: Vehicle } | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  // The read pipeline's normaliser: the register and the cameras fold plates the same way.
  const folded = normalisePlate(v.plate);
  const plate = folded.ok ? folded.value : null;
  if (!plate) errors.push({ path: `${at}.plate`, code: 'plate_format' });
  const idProblem = idNumberProblem(v.owner.iin, v.owner.kind);
  if (idProblem) errors.push({ path: `${at}.owner.iin`, code: idProblem === 'checksum' ? 'iin_checksum' : 'iin_format' });
  if (errors.length > 0 || !plate) return { errors };
  return {
    vehicle: {
      plate: plate.plate,
      country: plate.country,
      class: v.class,
      make: v.make ?? null,
      model: v.model ?? null,
      colour: v.colour ?? null,
      year: v.year ?? null,
      vin: v.vin ?? null,
      owner: { kind: v.owner.kind, name: v.owner.name, iin: v.owner.iin, address: v.owner.address },
      insuranceValidUntil: v.insuranceValidUntil,
      wanted: v.wanted ?? null,
    },
  };
}

/** Validates one entry (zod, then the domain checks); `at` prefixes the field paths. */
export function validateVehicle(value: unknown, at: string): { vehicle: Vehicle } | { errors: FieldError[] } {
  const r = parseReporting(VehicleInput, value);
  if (!r.success) return { errors: fieldErrorsFromZod(r.error.issues, at) };
  return checkVehicle(r.data, at);
}

// ---- bulk import -------------------------------------------------------------------------------------------------

/** CSV columns (header row required, any order; RFC 4180 quoting). */
export const CSV_COLUMNS = [
  'plate',
  'class',
  'make',
  'model',
  'colour',
  'year',
  'vin',
  'owner_kind',
  'owner_name',
  'owner_iin',
  'owner_address',
  'insurance_valid_until',
  'wanted_reason',
  'wanted_basis',
] as const;
const REQUIRED_COLUMNS = ['plate', 'class', 'owner_name', 'owner_iin', 'owner_address', 'insurance_valid_until'];

/**
 * Splits CSV text into records of fields (RFC 4180: quotes, doubled quotes, separators and newlines inside quotes;
 * CRLF or LF; a leading BOM is dropped). Blank records are kept so record numbers match the file.
 */
export function parseCsv(text: string): { rows: string[][] } | { error: { row: number } } {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  while (i < s.length) {
    const c = s[i];
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      if (field !== '') return { error: { row: rows.length + 1 } };
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      if (c === '\r' && s[i + 1] === '\n') i++;
    } else {
      field += c;
    }
    i++;
  }
  if (quoted) return { error: { row: rows.length + 1 } };
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return { rows };
}

/** A CSV row as the JSON entry it stands for (empty cells are absent values). */
function csvEntry(header: string[], cells: string[]): Record<string, unknown> {
  const get = (name: string) => {
    const i = header.indexOf(name);
    const v = i >= 0 ? (cells[i] ?? '').trim() : '';
    return v === '' ? undefined : v;
  };
  const year = get('year');
  const wantedReason = get('wanted_reason');
  const wantedBasis = get('wanted_basis');
  return {
    plate: get('plate'),
    class: get('class'),
    make: get('make'),
    model: get('model'),
    colour: get('colour'),
    year: year === undefined ? undefined : /^\d+$/.test(year) ? Number(year) : year,
    vin: get('vin'),
    owner: { kind: get('owner_kind'), name: get('owner_name'), iin: get('owner_iin'), address: get('owner_address') },
    insuranceValidUntil: get('insurance_valid_until') ?? null,
    wanted: wantedReason !== undefined || wantedBasis !== undefined ? { reason: wantedReason, basis: wantedBasis } : null,
  };
}

export type ImportResult = { ok: true; vehicles: Vehicle[] } | { ok: false; errors: FieldError[] };

const MAX_ERRORS = 100;

/**
 * Parses and validates a bulk import, all or nothing: any bad line refuses the whole file with per-line field
 * errors (`line.17.owner.iin`: the NDJSON line, or the CSV record with the header as 1) so the sender can fix and
 * resend it. A plate that appears twice is refused too (which line wins would be a guess).
 */
export function parseImport(text: string, format: 'ndjson' | 'csv', maxLines: number): ImportResult {
  const errors: FieldError[] = [];
  const vehicles: Vehicle[] = [];
  const seen = new Map<string, number>();
  const add = (value: unknown, line: number) => {
    const at = `line.${line}`;
    const r = validateVehicle(value, at);
    if ('errors' in r) {
      errors.push(...r.errors);
      return;
    }
    const first = seen.get(r.vehicle.plate);
    if (first !== undefined) {
      errors.push({ path: `${at}.plate`, code: 'duplicate_plate', params: { line: first } });
      return;
    }
    seen.set(r.vehicle.plate, line);
    vehicles.push(r.vehicle);
  };

  if (format === 'ndjson') {
    const raw = text.split('\n');
    let count = 0;
    for (let i = 0; i < raw.length && errors.length < MAX_ERRORS; i++) {
      const s = raw[i].trim();
      if (s === '') continue;
      if (++count > maxLines) {
        errors.push({ path: `line.${i + 1}`, code: 'too_big', params: { maximum: `${maxLines} lines` } });
        break;
      }
      let value: unknown;
      try {
        value = JSON.parse(s);
      } catch {
        errors.push({ path: `line.${i + 1}`, code: 'invalid_json' });
        continue;
      }
      add(value, i + 1);
    }
  } else {
    const parsed = parseCsv(text);
    if ('error' in parsed) return { ok: false, errors: [{ path: `line.${parsed.error.row}`, code: 'invalid_csv' }] };
    const [head, ...rows] = parsed.rows;
    if (!head) return { ok: false, errors: [{ path: 'body', code: 'required' }] };
    const header = head.map((h) => h.trim().toLowerCase());
    for (const h of header) {
      if (!(CSV_COLUMNS as readonly string[]).includes(h)) errors.push({ path: `line.1.${h}`, code: 'unrecognized_key' });
    }
    for (const r of REQUIRED_COLUMNS) if (!header.includes(r)) errors.push({ path: `line.1.${r}`, code: 'required' });
    if (errors.length > 0) return { ok: false, errors };
    if (rows.length > maxLines) return { ok: false, errors: [{ path: `line.${maxLines + 2}`, code: 'too_big', params: { maximum: `${maxLines} lines` } }] };
    for (let i = 0; i < rows.length && errors.length < MAX_ERRORS; i++) {
      if (rows[i].length === 1 && rows[i][0].trim() === '') continue;
      if (rows[i].length !== header.length) {
        errors.push({ path: `line.${i + 2}`, code: 'csv_columns', params: { expected: header.length, got: rows[i].length } });
        continue;
      }
      add(csvEntry(header, rows[i]), i + 2);
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  if (vehicles.length === 0) return { ok: false, errors: [{ path: 'body', code: 'required' }] };
  return { ok: true, vehicles };
}
