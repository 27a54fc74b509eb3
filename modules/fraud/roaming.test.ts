import { describe, expect, it } from 'vitest';
import { TableRoamingCheck } from './runtime.ts';

const at = (s: number) => new Date(Date.UTC(2026, 10, 25, 10, 0, s)).toISOString();
const now = Date.UTC(2026, 10, 25, 11);

describe('TableRoamingCheck', () => {
  it('an older roaming status arriving after the number came home does not make it roaming again', () => {
    const table = new TableRoamingCheck();
    const msisdn = '+77012223344';
    table.apply({ msisdn, roaming: true, until: null, updatedAt: at(1) });
    table.apply({ msisdn, roaming: false, until: null, updatedAt: at(2) });
    // The bus's copy of the first change, delivered late.
    table.apply({ msisdn, roaming: true, until: null, updatedAt: at(1) });
    expect(table.isRoaming(msisdn, now)).toBe(false);
    table.apply({ msisdn, roaming: true, until: null, updatedAt: at(3) });
    expect(table.isRoaming(msisdn, now)).toBe(true);
  });

  it('roaming ends at its "until" time', () => {
    const table = new TableRoamingCheck();
    table.apply({ msisdn: '+77012223344', roaming: true, until: at(30), updatedAt: at(1) });
    expect(table.isRoaming('+77012223344', Date.parse(at(29)))).toBe(true);
    expect(table.isRoaming('+77012223344', Date.parse(at(30)))).toBe(false);
    expect(table.isRoaming('+77010000000', Date.parse(at(29)))).toBe(false);
  });
});
