import type { Lang } from '../../i18n.ts';

/**
 * The forecast grid a screen asks for: square cells of a side in metres, or Uber's H3 hexagons at a resolution
 * (9 ≈ 0.1 km², 10 ≈ 0.015 km²). The API takes `cell` for squares and `grid: 'h3'` with `h3Res` for hexagons, not both.
 */
export type GridKind = 'square' | 'h3';

export const H3_RESOLUTIONS = [8, 9, 10, 11] as const;

export function gridParams(kind: GridKind, cell: number, h3Res: number): { cell: number } | { grid: 'h3'; h3Res: number } {
  return kind === 'h3' ? { grid: 'h3', h3Res } : { cell };
}

/** The grid option's words, in the platform's three languages (kept beside the screens that use them). */
export const GRID_TEXT: Record<Lang, { grid: string; square: string; h3: string; h3Res: string }> = {
  ru: { grid: 'Сетка', square: 'Квадратные ячейки', h3: 'Шестиугольники H3', h3Res: 'Разрешение H3' },
  kk: { grid: 'Тор', square: 'Шаршы ұяшықтар', h3: 'H3 алтыбұрыштары', h3Res: 'H3 ажыратымдылығы' },
  en: { grid: 'Grid', square: 'Square cells', h3: 'H3 hexagons', h3Res: 'H3 resolution' },
};
