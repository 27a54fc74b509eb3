import { describe, expect, it } from 'vitest';
import { checkDigit, idNumberProblem, isValidIin } from './iin.ts';

describe('ИИН / БИН check digit', () => {
  it('computes the first-pass digit (worked by hand: Σ d·(1..11) = 97, 97 mod 11 = 9)', () => {
    expect(checkDigit('85050130012')).toBe(9);
    expect(isValidIin('850501300129')).toBe(true);
  });

  it('uses the second weights when the first sum is 10', () => {
    expect(checkDigit('85050130001')).toBe(1);
    expect(isValidIin('850501300011')).toBe(true);
  });

  it('refuses numbers whose second sum is 10 too, whatever the last digit', () => {
    expect(checkDigit('85050130000')).toBeNull();
    for (let k = 0; k <= 9; k++) expect(idNumberProblem(`85050130000${k}`)).toBe('checksum');
  });

  it.each([
    ['850501300128', 'checksum'],
    ['85050130012', 'format'],
    ['8505013001299', 'format'],
    ['85050130012a', 'format'],
    ['000229300015', 'date'], // 29 Feb 1900 did not exist (the digit 3 says 1900s)
    ['120340000014', 'date'], // month 03, day 40
  ])('%s → %s', (value, problem) => {
    expect(idNumberProblem(value)).toBe(problem);
  });

  it('accepts 29 February of a leap year', () => {
    expect(idNumberProblem('000229500018')).toBeNull(); // 2000s
  });

  it('checks a БИН as an organisation number (type digit 4–6 in the fifth place)', () => {
    expect(idNumberProblem('050140001238', 'organisation')).toBeNull();
    expect(idNumberProblem('101210005671', 'organisation')).toBe('format');
    expect(idNumberProblem('050140001237', 'organisation')).toBe('checksum');
  });
});
