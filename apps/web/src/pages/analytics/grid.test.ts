import { describe, expect, it } from 'vitest';
import { languages } from '../../i18n.ts';
import { GRID_TEXT, gridParams } from './grid.ts';

describe('the forecast grid option', () => {
  it('sends cell for squares and grid h3 with h3Res for hexagons, never both', () => {
    expect(gridParams('square', 150, 9)).toEqual({ cell: 150 });
    expect(gridParams('h3', 150, 10)).toEqual({ grid: 'h3', h3Res: 10 });
  });

  it('has its words in every language', () => {
    for (const lang of languages) for (const v of Object.values(GRID_TEXT[lang])) expect(v.length).toBeGreaterThan(0);
  });
});
