import { describe, expect, test } from 'vitest';
import { format, type MessageKey } from '../i18n.ts';
import { newestFirst, normalizeViolation, normalizeViolationDetail, penaltyText, readImage, speedBand } from './traffic.ts';

const t = (key: MessageKey, params?: Record<string, string | number>) => format('ru', key, params);
const nb = (s: string) => s.replace(/\s+/g, ' ');

/** A section-control violation as GET /api/v1/traffic/violations/{id} sends it. */
const detail = {
  id: 'v1',
  kind: 'average-speed',
  plate: '777ABX01',
  country: 'KZ',
  at: '2026-11-24T22:51:35.817Z',
  cameraId: 'c2',
  sectionId: 's1',
  kato: '711410000',
  speedKmh: 194.4,
  limitKmh: 140,
  status: 'PENDING',
  penalty: { type: 'fine', part: '592.3', fineMrp: 20, mrpYear: 2026, mrpTenge: 4325, fineTenge: 86500, repeatOf: null, rulesVersion: 'koap-2024-12-04', final: false },
  ruleVersion: 'section s1 v1; tolerance 10 km/h, 0%; engine 1',
  readIds: ['r1', 'r2'],
  recordedAt: '2026-11-24T22:53:36.298Z',
  decidedBy: null,
  decidedAt: null,
  decisionNote: null,
  voidReason: null,
  noticeNumber: null,
  evidence: {
    section: { id: 's1', name: 'Астана — Щучинск, км 0 — км 5,4', version: 1, lengthM: 5400, limits: { car: 140 }, maxTravelS: 1800 },
    measurement: { method: 'average speed = …', lengthM: 5400, travelTimeS: 100, speedKmh: 194.4, vehicleClass: 'car', limitKmh: 140, toleranceKmh: 10, thresholdKmh: 150, excessKmh: 54.4 },
    reads: [
      {
        role: 'entry',
        readId: 'r1',
        cameraId: 'c1',
        cameraCode: 'AST-A1-KM0-N',
        cameraName: 'км 0',
        at: '2026-11-24T22:49:55.817Z',
        plateRaw: '777 ABX 01',
        imageUrl: 'https://cam/e.jpg',
        clock: { status: 'synced', source: 'ntp', offsetMs: 3, reportedFor: '2026-11-24T22:49:10.869Z' },
        certificate: { number: 'ПОВ-1', issuer: 'КазИнМетр', validFrom: '2026-10-25T00:00:00Z', validTo: '2027-10-25T00:00:00Z' },
      },
      { role: 'exit', readId: 'r2', cameraCode: 'AST-A1-KM5-N', at: '2026-11-24T22:51:35.817Z', imageUrl: null, clock: null, certificate: null },
    ],
    images: ['https://cam/e.jpg'],
    ruleVersion: 'section s1 v1; tolerance 10 km/h, 0%; engine 1',
  },
};

describe('normalizeViolationDetail', () => {
  test('keeps the evidence of section control: both reads with clocks and certificates, the measurement', () => {
    const v = normalizeViolationDetail(detail);
    expect(v.status).toBe('PENDING');
    expect(v.penalty).toMatchObject({ type: 'fine', part: '592.3', fineTenge: 86500, final: false });
    expect(v.evidence.section).toEqual({ id: 's1', name: 'Астана — Щучинск, км 0 — км 5,4', lengthM: 5400, version: 1 });
    expect(v.evidence.measurement).toMatchObject({ travelTimeS: 100, speedKmh: 194.4, thresholdKmh: 150, excessKmh: 54.4 });
    expect(v.evidence.reads.map((r) => r.role)).toEqual(['entry', 'exit']);
    expect(v.evidence.reads[0].clock).toEqual({ status: 'synced', source: 'ntp', offsetMs: 3, reportedFor: '2026-11-24T22:49:10.869Z' });
    expect(v.evidence.reads[0].certificate?.number).toBe('ПОВ-1');
    expect(v.evidence.reads[1]).toMatchObject({ cameraCode: 'AST-A1-KM5-N', clock: null, certificate: null, imageUrl: null });
    expect(readImage(v.evidence, 0)).toBe('https://cam/e.jpg');
    expect(readImage(v.evidence, 1)).toBeNull(); // the read had none: not the other read's image
  });

  test('a camera violation: its camera (certificate, clock) and its images stand for the reads', () => {
    const v = normalizeViolationDetail({
      ...detail,
      kind: 'red-light',
      speedKmh: null,
      limitKmh: null,
      evidence: {
        camera: { id: 'c9', code: 'AST-RL-1', name: 'Перекрёсток', certificate: { number: 'ПОВ-9', issuer: 'X', validFrom: null, validTo: null }, clock: { status: 'synced', source: 'gnss', offsetMs: null } },
        reads: [{ role: 'read', readId: 'r9', cameraCode: 'AST-RL-1', at: '2026-11-24T10:00:00Z' }],
        measurement: null,
        images: ['https://cam/1.jpg', 'https://cam/2.jpg'],
        video: 'https://cam/clip.mp4',
      },
    });
    expect(v.evidence.camera?.certificate?.number).toBe('ПОВ-9');
    expect(v.evidence.measurement).toBeNull();
    expect(v.evidence.section).toBeNull();
    expect(readImage(v.evidence, 0)).toBe('https://cam/1.jpg');
    expect(v.evidence.video).toBe('https://cam/clip.mp4');
  });

  test('unknown or missing fields never throw; an unknown penalty type is left to the officer', () => {
    const v = normalizeViolation({ id: 'x', penalty: { type: 'arrest' }, status: 'SOMETHING' });
    expect(v.penalty.type).toBe('manual');
    expect(v.status).toBe('PENDING');
    expect(normalizeViolationDetail({ id: 'x' }).evidence.reads).toEqual([]);
  });
});

describe('presentation', () => {
  test('the penalty in a few words: МРП and tenge, or the kind of sanction', () => {
    const v = normalizeViolation(detail);
    expect(nb(penaltyText(v.penalty, t, 'ru'))).toBe('20 МРП · 86 500 ₸');
    expect(penaltyText({ ...v.penalty, type: 'warning', fineMrp: null, fineTenge: null }, t, 'ru')).toBe('Предупреждение');
    expect(penaltyText({ ...v.penalty, type: 'manual' }, t, 'ru')).toBe('Решает инспектор');
  });

  test('a section is green up to its limit, amber up to 10 % over, red beyond, grey without vehicles', () => {
    expect(speedBand(null, 140)).toBe('none');
    expect(speedBand(140, 140)).toBe('ok');
    expect(speedBand(150, 140)).toBe('near');
    expect(speedBand(154, 140)).toBe('near');
    expect(speedBand(154.1, 140)).toBe('over');
  });

  test('the queue is newest first', () => {
    const a = normalizeViolation({ ...detail, id: 'a', at: '2026-11-24T10:00:00Z' });
    const b = normalizeViolation({ ...detail, id: 'b', at: '2026-11-24T11:00:00Z' });
    const c = normalizeViolation({ ...detail, id: 'c', at: '2026-11-24T09:00:00Z' });
    expect([a, b, c].sort(newestFirst).map((v) => v.id)).toEqual(['b', 'a', 'c']);
  });
});
