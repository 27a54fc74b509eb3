import type { ModuleDefinition } from '../../../packages/kernel/src/module.ts';
import analytics from '../../../modules/analytics/index.ts';
import dispatch from '../../../modules/dispatch/index.ts';
import fraud from '../../../modules/fraud/index.ts';
import reports from '../../../modules/reports/index.ts';
import traffic from '../../../modules/traffic/index.ts';
import video from '../../../modules/video/index.ts';

/**
 * The composition root: the bounded contexts this build of Tártip runs. Each entry is a module's default
 * export (`modules/<name>/index.ts`, made with `defineModule`).
 */
export const MODULES: ModuleDefinition[] = [reports, dispatch, traffic, fraud, analytics, video];
