import { describe, expect, it } from 'vitest';
import { onvifTopic, parseCompreFace, parseDeepStream, parseDoubleTake, parseFrigate, parseGeneric, parseOnvif } from './formats.ts';

/**
 * Payloads shaped as the projects document them: Frigate docs/docs/integrations/mqtt.md (0.18), ONVIF Core "Event
 * broker" JSON, CompreFace docs/Rest-API-description.md, Double Take README "MQTT", DeepStream nvmsgconv full schema.
 */

/** `frigate/events` as in Frigate's MQTT docs (trimmed of nothing we read). */
const frigateEvent = (type: 'new' | 'update' | 'end', over: Record<string, unknown> = {}) => ({
  type,
  before: { id: '1607123955.475377-mxklsc', camera: 'front_door', label: 'person', start_time: 1607123955.475377, end_time: null },
  after: {
    id: '1607123955.475377-mxklsc',
    camera: 'front_door',
    frame_time: 1607123961.837752,
    snapshot: { frame_time: 1607123961.837752, box: [415, 489, 528, 700], area: 12728, region: [260, 446, 660, 846], score: 0.77546, attributes: [] },
    label: 'person',
    sub_label: null,
    top_score: 0.958984375,
    false_positive: false,
    start_time: 1607123955.475377,
    end_time: null,
    score: 0.958984375,
    box: [415, 489, 528, 700],
    area: 12728,
    ratio: 0.53,
    region: [260, 446, 660, 846],
    active: true,
    stationary: false,
    motionless_count: 0,
    position_changes: 2,
    current_zones: ['driveway'],
    entered_zones: ['yard', 'driveway'],
    has_clip: false,
    has_snapshot: false,
    attributes: {},
    current_attributes: [],
    pending_loitering: false,
    max_severity: 'alert',
    current_estimated_speed: 0,
    average_estimated_speed: 0,
    velocity_angle: 0,
    path_data: [],
    recognized_license_plate: null,
    recognized_license_plate_score: null,
    ...over,
  },
});

describe('Frigate', () => {
  it('frigate/events: one event per id (upserted through new → update → end), zone, score and snapshot', () => {
    const r = parseFrigate(frigateEvent('new', { has_snapshot: true }), 'events');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({
      source: 'frigate',
      sourceId: 'event:1607123955.475377-mxklsc',
      camera: 'front_door',
      kind: 'object',
      label: 'person',
      zone: 'driveway',
      score: 0.958984375,
      upsert: true,
      snapshot: 'frigate:/api/events/1607123955.475377-mxklsc/snapshot.jpg',
      at: new Date(1607123955475).toISOString(),
      stationaryS: null,
    });
    const end = parseFrigate(frigateEvent('end', { end_time: 1607123970.1 }));
    expect(end.ok && end.events[0].sourceId).toBe('event:1607123955.475377-mxklsc');
  });

  it('frigate/events: a stationary object’s dwell from motionless_count (5 fps), never more than it was tracked', () => {
    const r = parseFrigate(frigateEvent('update', { label: 'suitcase', stationary: true, motionless_count: 1500, frame_time: 1607123955.475377 + 400 }), 'events');
    expect(r.ok && r.events[0].stationaryS).toBe(300);
    const young = parseFrigate(frigateEvent('update', { label: 'suitcase', stationary: true, motionless_count: 1500, frame_time: 1607123955.475377 + 60 }), 'events');
    expect(young.ok && young.events[0].stationaryS).toBeCloseTo(60, 3);
  });

  it('frigate/events: a recognised licence plate on a car becomes one plate read for traffic, once per car and plate', () => {
    const car = frigateEvent('update', { label: 'car', recognized_license_plate: '123ABC02', recognized_license_plate_score: 0.91, current_estimated_speed: 47.6 });
    const r = parseFrigate(car, 'events');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.events.map((e) => e.kind)).toEqual(['object', 'plate']);
    expect(r.events[1]).toMatchObject({
      sourceId: 'event-plate:1607123955.475377-mxklsc:123ABC02',
      at: '2020-12-04T23:19:21.838Z', // frame_time 1607123961.837752, to the millisecond
      plate: { text: '123ABC02', confidence: 0.91 },
      plateRead: { camera: 'front_door', plate: '123ABC02', confidence: 0.91, speedKmh: 48, ref: 'video:frigate:1607123955.475377-mxklsc' },
    });
    // The next update repeats the plate: the same source id, so it is stored and forwarded once.
    const again = parseFrigate(frigateEvent('update', { label: 'car', recognized_license_plate: '123ABC02', frame_time: 1607123963.1 }), 'events');
    expect(again.ok && again.events[1].sourceId).toBe('event-plate:1607123955.475377-mxklsc:123ABC02');
    // No plate read yet: only the object.
    const none = parseFrigate(frigateEvent('update', { label: 'car' }), 'events');
    expect(none.ok && none.events.map((e) => e.kind)).toEqual(['object']);
  });

  it('frigate/events: a false positive is ignored; a payload without after.camera is refused with its path', () => {
    const fp = parseFrigate(frigateEvent('update', { false_positive: true }), 'events');
    expect(fp.ok && fp.events).toEqual([]);
    const bad = frigateEvent('new');
    delete (bad.after as Record<string, unknown>).camera;
    const r = parseFrigate(bad, 'events');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toContainEqual(expect.objectContaining({ path: 'after.camera', code: 'required' }));
  });

  it('frigate/reviews: severity alert or detection; the review id keys it', () => {
    const review = {
      type: 'update',
      before: {},
      after: {
        id: '1718987129.308396-fqk5ka',
        camera: 'front_cam',
        start_time: 1718987129.308396,
        end_time: null,
        severity: 'alert',
        thumb_path: '/media/frigate/clips/review/thumb-front_cam-1718987129.308396-fqk5ka.webp',
        data: { detections: ['1718987128.947436-g92ztx', '1718987148.879516-d7oq7r'], objects: ['person', 'car'], sub_labels: [], zones: [], audio: [] },
      },
    };
    const r = parseFrigate(review);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.events[0]).toMatchObject({ kind: 'review', sourceId: 'review:1718987129.308396-fqk5ka', severity: 'alert', label: 'person', camera: 'front_cam', upsert: true });
  });

  it('frigate/tracked_object_update: lpr is a plate passed to traffic as is; face is a face event; description is ignored', () => {
    const lpr = { type: 'lpr', id: '1607123955.475377-mxklsc', name: null, plate: '123ABC02', score: 0.93, camera: 'front_door', timestamp: 1607123958.748393, plate_box: [917, 487, 1029, 529] };
    const r = parseFrigate(lpr, 'tracked_object_update');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.events[0]).toMatchObject({ kind: 'plate', plate: { text: '123ABC02', country: null, confidence: 0.93 }, plateRead: lpr, sourceId: 'lpr:1607123955.475377-mxklsc:123ABC02' });
    const face = parseFrigate({ type: 'face', id: '1607123955.475377-mxklsc', name: 'John', score: 0.95, camera: 'front_door_cam', timestamp: 1607123958.748393 });
    expect(face.ok && face.events[0]).toMatchObject({ kind: 'face', label: 'John', score: 0.95 });
    const description = parseFrigate({ type: 'description', id: '1607123955.475377-mxklsc', description: 'The car is a red sedan moving away from the camera.' });
    expect(description.ok && description.events).toEqual([]);
  });
});

describe('ONVIF Profile M over the MQTT event broker', () => {
  it('splits <TopicPrefix>/onvif-ej/<topic path>/<source values>', () => {
    expect(onvifTopic('MyDevice/onvif-ej/RuleEngine/LineDetector/Crossed/&1/2/MyImportantFence1')).toEqual({ camera: 'MyDevice', path: 'RuleEngine/LineDetector/Crossed' });
    expect(onvifTopic('no-broker-topic')).toBeNull();
  });

  it('ObjectAbandoned → an abandoned event in the rule’s field', () => {
    const r = parseOnvif('cam-7/onvif-ej/RuleEngine/ObjectAbandoned/&1/2/Platform2', {
      UtcTime: '2026-11-24T10:24:57.321Z',
      Source: { VideoSource: '1', AnalyticsConfiguration: '2', Rule: 'Platform2' },
      Data: { ObjectId: '15' },
    });
    expect(r.ok && r.events[0]).toMatchObject({ source: 'onvif', camera: 'cam-7', kind: 'abandoned', zone: 'Platform2', at: '2026-11-24T10:24:57.321Z' });
  });

  it('Recognition/LicensePlate → a plate read for traffic; Recognition/Face → a face event; no PlateNumber is refused', () => {
    const plate = parseOnvif('cam-7/onvif-ej/RuleEngine/Recognition/LicensePlate/&1/2/Gate', {
      UtcTime: '2026-11-24T10:24:57.321Z',
      Source: { VideoSource: '1', Rule: 'Gate' },
      Data: { PlateNumber: '777AAA02', CountryCode: 'KZ', Likelihood: 0.9 },
    });
    expect(plate.ok && plate.events[0]).toMatchObject({ kind: 'plate', plate: { text: '777AAA02', country: 'KZ', confidence: 0.9 }, plateRead: { camera: 'cam-7', plate: '777AAA02', country: 'KZ' } });
    const face = parseOnvif('cam-7/onvif-ej/RuleEngine/Recognition/Face/&1/2/Hall', {
      UtcTime: '2026-11-24T10:24:57.321Z',
      Source: { VideoSource: '1', Rule: 'Hall' },
      Data: { EnrollmentID: 'E-1', RefImageUri: 'http://cam-7/ref/E-1.jpg', ImageUri: 'http://cam-7/snap/99.jpg' },
    });
    expect(face.ok && face.events[0]).toMatchObject({ kind: 'face', label: 'E-1', snapshot: 'http://cam-7/snap/99.jpg' });
    const bad = parseOnvif('cam-7/onvif-ej/RuleEngine/Recognition/LicensePlate', { UtcTime: '2026-11-24T10:24:57.321Z', Data: {} });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors[0]).toMatchObject({ path: 'Data.PlateNumber', code: 'required' });
  });
});

describe('CompreFace, Double Take, DeepStream, ours', () => {
  it('CompreFace recognize response: one face event per face, best subject, embedding when the calculator plugin ran', () => {
    const embedding = Array.from({ length: 512 }, (_, i) => Math.sin(i));
    const response = {
      result: [
        {
          box: { probability: 1.0, x_max: 1420, y_max: 1368, x_min: 548, y_min: 295 },
          landmarks: [
            [644, 1],
            [2, 3],
          ],
          subjects: [
            { similarity: 0.97858, subject: 'subject1' },
            { similarity: 0.5, subject: 'subject2' },
          ],
          embedding,
          execution_time: { age: 28.0, gender: 26.0, detector: 117.0, calculator: 45.0, mask: 36.0 },
        },
      ],
      plugins_versions: { detector: 'facenet.FaceDetector', calculator: 'facenet.Calculator' },
    };
    const r = parseCompreFace(response, { camera: 'hall-1', at: '2026-11-24T10:00:00Z', eventId: 'req-1' });
    expect(r.ok && r.events[0]).toMatchObject({ source: 'compreface', sourceId: 'hall-1:req-1:0', kind: 'face', label: 'subject1', score: 0.97858, embedding });
  });

  it('Double Take matches message → a face event (confidence 0-100 → 0-1); the base64 image is not kept', () => {
    const r = parseDoubleTake({
      id: '1626122525.577399-e2kggr',
      duration: 0.63,
      timestamp: '2021-07-12T20:42:07.436Z',
      attempts: 5,
      camera: 'living-room',
      zones: ['hall'],
      match: { name: 'david', confidence: 80.44, match: true, box: { top: 313, left: 893, width: 131, height: 186 }, type: 'latest', duration: 0.35, detector: 'compreface', filename: '3b7c7f7e.jpg', base64: 'AAAA' },
    });
    expect(r.ok && r.events[0]).toMatchObject({ source: 'double-take', kind: 'face', label: 'david', score: 0.8044, zone: 'hall', snapshot: 'double-take:3b7c7f7e.jpg' });
    expect(r.ok && JSON.stringify(r.events[0].data)).not.toContain('AAAA');
  });

  it('DeepStream full schema: a vehicle with a licence is a plate read and a vehicle counted at entry', () => {
    const r = parseDeepStream({
      messageid: 'a8c57c62-5e25-478d-a909-3ab064cbf11f',
      mdsversion: '1.0',
      '@timestamp': '2026-11-24T09:26:05.789Z',
      place: { id: '1', name: 'XYZ', type: 'intersection/road', location: { lat: 43.238, lon: 76.945, alt: 0 } },
      sensor: { id: 'CAMERA_ID', type: 'Camera', description: '"Entrance of Garage Right Lane"', location: { lat: 43.238, lon: 76.945, alt: 0 }, coordinate: { x: 5.2, y: 10.1, z: 11.2 } },
      analyticsModule: { id: 'XYZ', description: '"Vehicle Detection and License Plate Recognition"', source: 'OpenALR', version: '1.0' },
      object: {
        id: '957',
        speed: 52.5,
        direction: 0,
        orientation: 0,
        vehicle: { type: 'sedan', make: 'Bugatti', model: 'M', color: 'blue', licenseState: 'CA', license: 'CA 444', confidence: 0.8 },
        bbox: { topleftx: 1834, toplefty: 150, bottomrightx: 1918, bottomrighty: 215 },
        location: { lat: 0, lon: 0, alt: 0 },
        coordinate: { x: 0, y: 0, z: 0 },
      },
      event: { id: 'event-id', type: 'entry' },
      videoPath: '',
    });
    expect(r.ok && r.events[0]).toMatchObject({ source: 'deepstream', camera: 'CAMERA_ID', kind: 'plate', label: 'sedan', speedKmh: 52.5, count: 1, plate: { text: 'CA 444' } });
  });

  it('ours: strict (unknown fields refused), a plate event needs its plate', () => {
    expect(parseGeneric({ id: 'e1', camera: 'c1', at: '2026-11-24T10:00:00Z', kind: 'object', label: 'car', speedKmh: 40, lane: 1 }).ok).toBe(true);
    const extra = parseGeneric({ id: 'e1', camera: 'c1', at: '2026-11-24T10:00:00Z', kind: 'object', colour: 'red' });
    expect(!extra.ok && extra.errors[0]).toMatchObject({ path: 'colour', code: 'unrecognized_key' });
    const noPlate = parseGeneric({ id: 'e1', camera: 'c1', at: '2026-11-24T10:00:00Z', kind: 'plate' });
    expect(!noPlate.ok && noPlate.errors[0]).toMatchObject({ path: 'plate', code: 'required' });
  });
});
