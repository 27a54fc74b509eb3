import { describe, expect, it } from 'vitest';
import { isoZ, parsePayload, type ReadInput, TartipRead } from './formats.ts';

const reads = (value: unknown): ReadInput[] => {
  const r = parsePayload(value, 'line.1');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.reads;
};

describe('parsePayload', () => {
  it('reads our own schema', () => {
    const [r] = reads({ camera: 'AST-1', plate: '123 АВС 01', at: '2026-03-01T10:00:00.123Z', vehicleClass: 'truck', speedKmh: 97, lane: 2, confidence: 93.5, imageUrl: 'https://img.example.kz/1.jpg', ref: 'x-1' });
    expect(r).toEqual({
      camera: ['AST-1'],
      plateRaw: '123 АВС 01',
      country: null,
      atMs: Date.parse('2026-03-01T10:00:00.123Z'),
      vehicleClass: 'truck',
      speedKmh: 97,
      lane: 2,
      confidence: 93.5,
      imageUrl: 'https://img.example.kz/1.jpg',
      source: 'tartip',
      sourceRef: 'x-1',
    });
  });

  it('reads OpenALPR alpr_results: one read per result, camera as `<site_id>-cam<camera_id>` then `<camera_id>`', () => {
    // Shaped as openalpr alpr_impl.cpp toJson + the agent's uuid / camera_id / site_id.
    const payload = {
      version: 2,
      data_type: 'alpr_results',
      epoch_time: 1772359200123,
      img_width: 1280,
      img_height: 720,
      processing_time_ms: 64.8,
      regions_of_interest: [{ x: 0, y: 0, width: 1280, height: 720 }],
      results: [
        {
          plate: '123ABC01',
          confidence: 91.2,
          matches_template: 1,
          plate_index: 0,
          region: 'kz',
          region_confidence: 88,
          processing_time_ms: 21.5,
          requested_topn: 10,
          coordinates: [
            { x: 10, y: 10 },
            { x: 90, y: 10 },
            { x: 90, y: 40 },
            { x: 10, y: 40 },
          ],
          candidates: [{ plate: '123ABC01', confidence: 91.2, matches_template: 1 }],
        },
        { plate: 'A123BC77', confidence: 80, region: 'ru-77', candidates: [] },
      ],
      uuid: 'astana-cam3-1772359200123',
      camera_id: 3,
      site_id: 'astana',
      company_id: 'c0ffee',
    };
    const out = reads(payload);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({ camera: ['astana-cam3', '3'], plateRaw: '123ABC01', country: 'kz', atMs: 1772359200123, confidence: 91.2, source: 'alpr_results', sourceRef: 'astana-cam3-1772359200123#0' });
    expect(out[1]).toMatchObject({ plateRaw: 'A123BC77', country: 'ru', sourceRef: 'astana-cam3-1772359200123#1' });
  });

  it('reads OpenALPR alpr_group: the best plate at epoch_start, with the vehicle body type', () => {
    const [r] = reads({
      version: 2,
      data_type: 'alpr_group',
      epoch_start: 1772359200000,
      epoch_end: 1772359201500,
      frame_start: 100,
      frame_end: 140,
      company_id: 'c0ffee',
      site_id: 'astana',
      camera_id: 7,
      uuids: ['astana-cam7-1772359200000', 'astana-cam7-1772359200400'],
      best_plate: { plate: '777AAA02', confidence: 94, region: 'kz' },
      best_plate_number: '777AAA02',
      best_confidence: 94,
      best_region: 'kz',
      best_uuid: 'astana-cam7-1772359200400',
      candidates: [{ plate: '777AAA02', confidence: 94 }],
      vehicle: { color: [{ name: 'white', confidence: 90 }], make: [{ name: 'toyota', confidence: 80 }], body_type: [{ name: 'truck-standard', confidence: 70 }] },
    });
    expect(r).toMatchObject({ camera: ['astana-cam7', '7'], plateRaw: '777AAA02', atMs: 1772359200000, vehicleClass: 'truck', country: 'kz', sourceRef: 'astana-cam7-1772359200400', source: 'alpr_group' });
  });

  it('reads Frigate lpr updates (tracked_object_update) and ignores its other updates and OpenALPR heartbeats', () => {
    const [r] = reads({ type: 'lpr', id: '1772359200.475377-mxklsc', name: null, plate: '123ABC01', score: 0.934, camera: 'gate_north', timestamp: 1772359200.748393, plate_box: [100, 200, 180, 230] });
    expect(r).toMatchObject({ camera: ['gate_north'], plateRaw: '123ABC01', atMs: 1772359200748, confidence: 93.4, sourceRef: '1772359200.475377-mxklsc', source: 'frigate' });
    expect(reads({ type: 'face', id: 'x', name: 'someone', score: 0.9, camera: 'c', timestamp: 1 })).toEqual([]);
    expect(reads({ type: 'description', id: 'x', description: 'a car' })).toEqual([]);
    expect(reads({ version: 2, data_type: 'heartbeat', company_id: 'c', agent_uid: 'a' })).toEqual([]);
  });

  it('reports field errors with the item’s path', () => {
    const r = parsePayload({ camera: 'AST-1', plate: 'X1', at: 'yesterday', unknown: 1 }, 'line.4');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => [e.path, e.code])).toEqual(
      expect.arrayContaining([
        ['line.4.at', 'invalid_format'],
        ['line.4.unknown', 'unrecognized_key'],
      ]),
    );
    const missing = parsePayload({ data_type: 'alpr_results', camera_id: 1, results: [] }, 'line.2');
    expect(missing.ok === false && missing.errors.map((e) => [e.path, e.code])).toEqual([['line.2.epoch_time', 'required']]);
    expect(parsePayload([], 'line.3')).toEqual({ ok: false, errors: [{ path: 'line.3', code: 'invalid_type', params: { expected: 'object' } }] });
    expect(parsePayload({ data_type: 'alpr_bogus' }, 'line.5')).toEqual({ ok: false, errors: [{ path: 'line.5.data_type', code: 'invalid_value' }] });
  });
});

describe('the hand-written fast path for our own reads', () => {
  it('accepts exactly what the schema accepts, and reads the same values', () => {
    const base = { camera: 'AST-1', plate: '123ABC01', at: '2026-03-01T10:00:00.123Z' };
    const variants: Record<string, unknown>[] = [
      base,
      { ...base, at: '2026-03-01T10:00:00Z' },
      { ...base, at: '2026-03-01T15:00:00+05:00' },
      { ...base, at: '2026-02-30T10:00:00Z' },
      { ...base, at: '2026-02-28T24:00:00Z' },
      { ...base, at: '2026-03-01T10:00:00.123456789Z' },
      { ...base, at: '2026-03-01 10:00:00Z' },
      { ...base, at: '2026-3-1T10:00:00Z' },
      { ...base, camera: ' AST-1 ' },
      { ...base, camera: '' },
      { ...base, camera: 'x'.repeat(65) },
      { ...base, plate: '   ' },
      { ...base, country: 'ru' },
      { ...base, country: 'RUS' },
      { ...base, country: null },
      { ...base, vehicleClass: 'truck' },
      { ...base, vehicleClass: 'tank' },
      { ...base, speedKmh: 400 },
      { ...base, speedKmh: 400.5 },
      { ...base, speedKmh: '90' },
      { ...base, lane: 1.5 },
      { ...base, lane: 16 },
      { ...base, lane: 0 },
      { ...base, confidence: 100 },
      { ...base, confidence: -1 },
      { ...base, imageUrl: 'https://img.example.kz/a.jpg' },
      { ...base, imageUrl: 'ftp://img.example.kz/a.jpg' },
      { ...base, imageUrl: 'not a url' },
      { ...base, imageUrl: `https://x.kz/${'a'.repeat(2000)}` },
      { ...base, ref: 'r' },
      { ...base, ref: '' },
      { ...base, extra: 1 },
      { camera: 'AST-1', plate: '123ABC01' },
    ];
    for (const v of variants) {
      const viaSchema = TartipRead.safeParse(v);
      const parsed = parsePayload(v, 'line.1');
      expect(parsed.ok, JSON.stringify(v)).toBe(viaSchema.success);
      if (parsed.ok && viaSchema.success) {
        const p = viaSchema.data;
        expect(parsed.reads[0], JSON.stringify(v)).toEqual({
          camera: [p.camera],
          plateRaw: p.plate,
          country: p.country ?? null,
          atMs: Date.parse(p.at),
          vehicleClass: p.vehicleClass ?? null,
          speedKmh: p.speedKmh ?? null,
          lane: p.lane ?? null,
          confidence: p.confidence ?? null,
          imageUrl: p.imageUrl ?? null,
          source: 'tartip',
          sourceRef: p.ref ?? null,
        });
      }
    }
  });
});

describe('isoZ', () => {
  it('reads UTC timestamps to the millisecond and refuses times that do not exist', () => {
    for (const s of ['2026-03-01T10:00:00Z', '2026-03-01T10:00:00.1Z', '2026-03-01T10:00:00.12Z', '2026-03-01T10:00:00.123Z', '2026-03-01T10:00:00.123987Z', '2024-02-29T23:59:59.999Z', '1970-01-01T00:00:00Z']) {
      expect(isoZ(s), s).toBe(Math.floor(Date.parse(s)));
    }
    for (const s of ['2026-02-29T10:00:00Z', '2026-04-31T10:00:00Z', '2026-13-01T10:00:00Z', '2026-00-10T10:00:00Z', '2026-03-01T24:00:00Z', '2026-03-01T10:60:00Z', '2026-03-01T10:00:60Z', '2026-03-01T10:00:00+05:00', '2026-03-01 10:00:00Z', '']) {
      expect(isoZ(s), s).toBeNaN();
    }
  });
});
