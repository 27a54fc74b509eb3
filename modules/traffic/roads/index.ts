import type { TrafficPart } from '../contract.ts';
import { every } from '../../../packages/kernel/src/every.ts';
import { citizenDefects, runOverdueCheck } from './defects.ts';
import { roadMessages } from './messages.ts';
import { roadRoutes } from './routes.ts';
import { roadSettings } from './settings.ts';

/**
 * The roads part of `traffic` (see README.md): crashes (ДТП), black spots, deaths on national roads year on year,
 * road inspections and defects, citizens' defect reports, and the overdue check.
 */
export { runOverdueCheck } from './defects.ts';

export const roadsPart: TrafficPart = {
  routes: async (app, kernel) => {
    await app.register(async (scope) => roadRoutes(scope, kernel));
  },
  subscribers: [citizenDefects],
  messages: roadMessages,
  start: async (kernel) => {
    const { defect } = roadSettings(kernel);
    return every(kernel.log, defect.checkIntervalS * 1000, 'traffic: overdue-defect check', () => runOverdueCheck(kernel));
  },
};
