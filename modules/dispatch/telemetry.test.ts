import { describe, expect, it } from 'vitest';
import { parseTelemetry } from './telemetry.ts';

const now = new Date('2026-03-01T10:00:00Z');
const U = '0190c0de-0000-7000-8000-000000000001';
const line = (over: Record<string, unknown> = {}) => JSON.stringify({ unitId: U, at: '2026-03-01T09:59:50Z', lon: 76.93, lat: 43.25, speed: 32, heading: 90, battery: 80, ...over });

describe('NDJSON telemetry validation', () => {
  it('accepts good lines, ignoring blank lines and a trailing newline', () => {
    const r = parseTelemetry(`${line()}\n\n${line({ at: '2026-03-01T09:59:55+06:00', speed: undefined })}\n`, now);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.lines).toHaveLength(2);
  });

  it('rejects the whole batch with per-line field paths (1-based line numbers)', () => {
    const body = [line(), line(), line({ lat: 91 }), line({ lon: 'x' }), '{not json', line({ extra: 1 }), line({ unitId: 'nope' })].join('\n');
    const r = parseTelemetry(body, now);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => [e.path, e.code])).toEqual([
      ['line.3.lat', 'too_big'],
      ['line.4.lon', 'invalid_type'],
      ['line.5', 'invalid_json'],
      ['line.6.extra', 'unrecognized_key'],
      ['line.7.unitId', 'invalid_format'],
    ]);
  });

  it('names missing fields as required and refuses times in the future', () => {
    const r = parseTelemetry(`${JSON.stringify({ unitId: U, lon: 1, lat: 2 })}\n${line({ at: '2026-03-01T11:00:00Z' })}`, now);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => [e.path, e.code])).toEqual([
      ['line.1.at', 'required'],
      ['line.2.at', 'in_future'],
    ]);
  });

  it('an empty body is not a batch', () => {
    expect(parseTelemetry('\n \n', now)).toEqual({ ok: false, errors: [{ path: 'body', code: 'required' }] });
  });
});
