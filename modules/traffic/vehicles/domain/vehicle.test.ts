import { describe, expect, it } from 'vitest';
import { parseCsv, parseImport, validateVehicle } from './vehicle.ts';

const IIN = '850501300129';
const good = {
  plate: '123 авс 02',
  class: 'car',
  owner: { name: 'Ерлан Ахметов', iin: IIN, address: 'Астана, ул. Кенесары, 1' },
  insuranceValidUntil: '2027-01-01',
};

describe('validateVehicle', () => {
  it('normalises the plate and fills the defaults', () => {
    const r = validateVehicle(good, 'body');
    expect(r).toEqual({
      vehicle: expect.objectContaining({ plate: '123ABC02', country: 'KZ', class: 'car', wanted: null, owner: { kind: 'person', name: 'Ерлан Ахметов', iin: IIN, address: 'Астана, ул. Кенесары, 1' } }),
    });
  });

  it('refuses a wrong ИИН check digit, an unreadable plate, and unknown fields with field paths', () => {
    expect(validateVehicle({ ...good, owner: { ...good.owner, iin: '850501300128' } }, 'body')).toEqual({ errors: [{ path: 'body.owner.iin', code: 'iin_checksum' }] });
    expect(validateVehicle({ ...good, plate: '12#AB02' }, 'body')).toEqual({ errors: [{ path: 'body.plate', code: 'plate_format' }] });
    const r = validateVehicle({ ...good, colour: 'red', extra: 1, class: 'tank' }, 'line.3');
    expect('errors' in r && r.errors.map((e) => `${e.path}:${e.code}`).sort()).toEqual(['line.3.class:invalid_value', 'line.3.extra:unrecognized_key']);
  });

  it('needs a reason and a legal basis to mark a vehicle wanted', () => {
    const r = validateVehicle({ ...good, wanted: { reason: 'угон' } }, 'body');
    expect('errors' in r && r.errors).toEqual([{ path: 'body.wanted.basis', code: 'required', params: { expected: 'string' } }]);
  });
});

describe('parseCsv', () => {
  it('handles quotes, doubled quotes, commas and newlines inside quotes, CRLF and a BOM', () => {
    expect(parseCsv('\ufeffa,b\r\n"x, ""y""","multi\nline"\r\n')).toEqual({ rows: [['a', 'b'], ['x, "y"', 'multi\nline']] });
  });
  it('refuses an unclosed quote', () => {
    expect(parseCsv('a,b\n"x,y\n')).toEqual({ error: { row: 2 } });
  });
});

describe('parseImport', () => {
  const line = (o: object) => JSON.stringify(o);
  it('accepts NDJSON, skipping blank lines', () => {
    const r = parseImport(`${line(good)}\n\n${line({ ...good, plate: '389BK01', owner: { ...good.owner, kind: 'organisation', iin: '050140001238' } })}\n`, 'ndjson', 10);
    expect(r.ok && r.vehicles.map((v) => v.plate)).toEqual(['123ABC02', '389BK01']);
  });

  it('refuses the whole file when one line is bad, naming the line', () => {
    const r = parseImport(`${line(good)}\n{not json\n${line({ ...good, plate: '777KMX01', owner: { ...good.owner, iin: '1' } })}`, 'ndjson', 10);
    expect(r).toEqual({
      ok: false,
      errors: [
        { path: 'line.2', code: 'invalid_json' },
        { path: 'line.3.owner.iin', code: 'invalid_format', params: { format: 'regex' } },
      ],
    });
  });

  it('refuses the same plate twice (however it was spelled) and too many lines', () => {
    const r = parseImport(`${line(good)}\n${line({ ...good, plate: '123ABC02' })}`, 'ndjson', 10);
    expect(r).toEqual({ ok: false, errors: [{ path: 'line.2.plate', code: 'duplicate_plate', params: { line: 1 } }] });
    expect(parseImport(`${line(good)}\n${line({ ...good, plate: '124ABC02' })}`, 'ndjson', 1)).toMatchObject({ ok: false, errors: [{ path: 'line.2', code: 'too_big' }] });
    expect(parseImport('\n\n', 'ndjson', 10)).toEqual({ ok: false, errors: [{ path: 'body', code: 'required' }] });
  });

  it('reads CSV with a header in any order, empty cells as absent values, wanted columns', () => {
    const csv = [
      'owner_iin,plate,class,owner_name,owner_address,insurance_valid_until,year,wanted_reason,wanted_basis',
      `${IIN},123ABC02,car,"Ахметов, Ерлан","Астана, ул. Кенесары, 1",2027-01-01,2015,,`,
      `${IIN},124ABC02,moped,Ахметов,Астана,,,угон,УД № 251234`,
    ].join('\r\n');
    const r = parseImport(csv, 'csv', 10);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.vehicles[0]).toMatchObject({ plate: '123ABC02', year: 2015, owner: { name: 'Ахметов, Ерлан' }, wanted: null, insuranceValidUntil: '2027-01-01' });
    expect(r.vehicles[1]).toMatchObject({ plate: '124ABC02', class: 'moped', insuranceValidUntil: null, wanted: { reason: 'угон', basis: 'УД № 251234' } });
  });

  it('refuses CSV with unknown or missing columns, short rows, or a bad cell (record numbers, header = 1)', () => {
    expect(parseImport('plate,class,colour_x\n', 'csv', 10)).toMatchObject({ ok: false, errors: expect.arrayContaining([{ path: 'line.1.colour_x', code: 'unrecognized_key' }, { path: 'line.1.owner_iin', code: 'required' }]) });
    const head = 'plate,class,owner_name,owner_iin,owner_address,insurance_valid_until';
    expect(parseImport(`${head}\n123ABC02,car,A,${IIN}`, 'csv', 10)).toEqual({ ok: false, errors: [{ path: 'line.2', code: 'csv_columns', params: { expected: 6, got: 4 } }] });
    expect(parseImport(`${head}\n123ABC02,car,A,${IIN},B,\n124ABC02,car,A,850501300128,B,`, 'csv', 10)).toEqual({ ok: false, errors: [{ path: 'line.3.owner.iin', code: 'iin_checksum' }] });
  });
});
