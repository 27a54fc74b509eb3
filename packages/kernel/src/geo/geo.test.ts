import { describe, expect, it } from 'vitest';
import { fixKazakh } from './geo.ts';

describe('fixKazakh', () => {
  it('replaces a Latin i inside a Cyrillic Kazakh name with the Kazakh letter', () => {
    expect(fixKazakh('Солтүстiк Қазақстан')).toBe('Солтүстік Қазақстан');
    expect(fixKazakh('Солтүстiк Қазақстан')).not.toMatch(/[a-z]/i);
  });
  it('leaves Latin names alone', () => {
    expect(fixKazakh('North Kazakhstan')).toBe('North Kazakhstan');
  });
});
