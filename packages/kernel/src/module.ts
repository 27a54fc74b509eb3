import type { FastifyInstance } from 'fastify';
import type { BusEvent } from './bus/types.ts';
import { type Migration, readMigrations } from './db/migrate.ts';
import { addMessages, type Locale } from './i18n/index.ts';
import type { Kernel } from './kernel.ts';
import type { UnitOfWork } from './outbox.ts';

/**
 * A durable consumer of bus events. Handlers must be idempotent (`handleOnce` / `handleOnceBatch`). Give
 * `handleBatch` to take events in batches (whatever arrived while the last batch was handled, in order) and
 * write them in one transaction; otherwise `handle` gets them one at a time. Give `react` instead to run inside
 * the transaction of every command that emits a matching event (a `Reaction`, see outbox.ts): such a subscriber is
 * not on the bus at all, its effects commit with the command's, and its failure fails the command.
 */
export type Subscriber = {
  /** Subject filter, e.g. `reports.report.submitted` or `dispatch.>`. */
  subject: string;
  /** Durable group name, unique in the platform: `<module>.<purpose>`. */
  group: string;
} & (
  | { handle(event: BusEvent, kernel: Kernel): Promise<void> }
  | { handleBatch(events: BusEvent[], kernel: Kernel): Promise<void>; maxBatch?: number }
  | { react(uow: UnitOfWork, events: BusEvent[], kernel: Kernel): Promise<void> }
);

/**
 * What a bounded context gives the platform. A module owns its tables (created by its migrations), its
 * routes and its subscribers; it reaches other modules only through their events or exported services.
 */
export interface ModuleDefinition {
  name: string;
  /** Folder of `NNNN_*.sql` files. */
  migrationsDir?: string;
  /** Registers the module's HTTP routes; every route declares `config.access`. */
  routes?: (app: FastifyInstance, kernel: Kernel) => Promise<void>;
  subscribers?: Subscriber[];
  /** Localised messages (error codes, notifications) in ru, kk and en. */
  messages?: Record<Locale, Record<string, string>>;
  /** Background work started with the server and stopped before the kernel closes. */
  start?: (kernel: Kernel) => Promise<() => Promise<void>>;
}

export function defineModule(definition: ModuleDefinition): ModuleDefinition {
  if (!/^[a-z][a-z0-9-]*$/.test(definition.name)) throw new Error(`bad module name: ${definition.name}`);
  return definition;
}

export function migrationsOf(modules: ModuleDefinition[]): Migration[] {
  return modules.flatMap((m) => (m.migrationsDir ? readMigrations(m.name, m.migrationsDir) : []));
}

export function registerMessages(modules: ModuleDefinition[]): void {
  for (const m of modules) if (m.messages) addMessages(m.messages);
}
