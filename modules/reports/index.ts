import { defineModule } from '../../packages/kernel/src/module.ts';

/** Placeholder: the module is being built (issue 3). */
export default defineModule({ name: 'reports' });
