import { describe, expect, it } from 'vitest';
import { iinValid } from './iin.ts';

describe('IIN', () => {
  it('accepts numbers whose check digit is right, by either weighting', () => {
    for (const iin of ['850104300120', '901205500345', '770712400016', '000228600158', '880105000407' /* second weighting */]) expect(iinValid(iin), iin).toBe(true);
  });
  it('refuses a wrong check digit, a bad date, a bad century digit or a wrong length', () => {
    for (const iin of ['850104300121', '851304300120', '850100300120', '850104900120', '85010430012', 'a50104300120']) expect(iinValid(iin), iin).toBe(false);
  });
});
