import { expect, test } from 'vitest';
import { bearingDegrees, compassPoint, distanceMeters, isValidPoint } from './geoMath.ts';

const almaty = { lon: 76.9286, lat: 43.2567 };
const astana = { lon: 71.4304, lat: 51.1282 };

test('great-circle distance and bearing: Almaty → Astana ≈ 970 km to the north-west', () => {
  const d = distanceMeters(almaty, astana);
  expect(d).toBeGreaterThan(950_000);
  expect(d).toBeLessThan(990_000);
  const b = bearingDegrees(almaty, astana);
  expect(b).toBeGreaterThan(320);
  expect(b).toBeLessThan(340);
  expect(compassPoint(b)).toBe('NW');
  expect(distanceMeters(almaty, almaty)).toBe(0);
});

test('compass points', () => {
  expect([0, 44, 46, 90, 180, 270, 337.6, 359].map(compassPoint)).toEqual(['N', 'NE', 'NE', 'E', 'S', 'W', 'N', 'N']);
});

test('valid points: finite, in range, and not (0, 0)', () => {
  expect(isValidPoint(76.9, 43.2)).toBe(true);
  expect(isValidPoint(0, 0)).toBe(false);
  expect(isValidPoint(181, 0)).toBe(false);
  expect(isValidPoint(Number.NaN, 43)).toBe(false);
});
