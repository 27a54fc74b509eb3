import { describe, expect, it } from 'vitest';
import { parseKztRates, toKzt } from './money.ts';

describe('amounts in tenge', () => {
  it('converts at the configured rates; tenge is tenge; a currency without a rate has no amount in tenge', () => {
    const rates = parseKztRates('USD=470.5, EUR=512,RUB=5.4');
    expect(toKzt(1000, 'USD', rates)).toBe(470_500);
    expect(toKzt(250_000, 'KZT', rates)).toBe(250_000);
    expect(toKzt(100, 'CNY', rates)).toBeNull();
    expect(toKzt(1, 'KZT', parseKztRates(''))).toBe(1);
  });

  it('refuses a rate list it cannot read, naming the part', () => {
    expect(() => parseKztRates('USD:470')).toThrow(/"USD:470"/);
    expect(() => parseKztRates('USD=0')).toThrow(/"USD=0"/);
    expect(() => parseKztRates('usd=470')).toThrow(/usd=470/);
    expect(() => parseKztRates('KZT=2')).toThrow(/KZT is 1 tenge/);
  });
});
