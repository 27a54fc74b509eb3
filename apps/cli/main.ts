import { parseArgs } from 'node:util';
import { buildApp } from '../server/src/app.ts';
import { checkpointAudit, verifyAudit } from '../../packages/kernel/src/audit/log.ts';
import { createUser, NewUser } from '../../packages/kernel/src/auth/identity.ts';
import { ConfigError, type Config, loadConfig } from '../../packages/kernel/src/config.ts';
import { migrate, readMigrations } from '../../packages/kernel/src/db/migrate.ts';
import { DEMO_API_KEYS, DEMO_PASSWORD, DEMO_USERS, seedDemo } from '../../packages/kernel/src/demo.ts';
import { createKernel, KERNEL_MIGRATIONS_DIR, openDatabase } from '../../packages/kernel/src/kernel.ts';
import { fieldErrorsFromZod, parseReporting } from '../../packages/kernel/src/errors.ts';
import { migrationsOf } from '../../packages/kernel/src/module.ts';
import { MODULES } from '../server/src/modules.ts';

const HELP = `tartip — the Tártip platform

Usage:
  tartip start                 start the server (embedded mode unless TARTIP_MODE=production)
  tartip migrate               apply database migrations and exit
  tartip seed                  create the demo accounts and partner keys (not in production)
  tartip users add --username U --name "Full Name" --role R [--role R2] --jurisdiction KATO [--password P]
                               create a staff account (password read from TARTIP_NEW_PASSWORD if not given)
  tartip audit verify          verify the audit chain; exit 0 when intact, 1 naming the first bad record
  tartip audit checkpoint      sign the current head of the audit chain
  tartip bench                 run the benchmark suite (see bench/README.md)
  tartip forecast evaluate --input FILE.csv --time-col C --x-col C --y-col C [--crs EPSG:…] --train-end DATE
                  --horizon 7d|14d|1m|2m|3m --cell METRES --coverage FRACTION [--json]
                               backtest the hotspot forecasting methods on a file: PAI and PEI per method

Configuration comes from the environment (see docs/configuration.md).`;

function config(): Config {
  return loadConfig(process.env);
}

async function start(): Promise<number> {
  const cfg = config();
  const kernel = await createKernel(cfg, { migrations: migrationsOf(MODULES) });
  if (cfg.demo) await seedDemo(kernel);
  const { app } = await buildApp(kernel);
  kernel.relay.start();
  const checkpointTimer = setInterval(() => {
    checkpointAudit(kernel.db, kernel.auditKey, kernel.clock.now(), cfg.auditCheckpointEvery).catch((err) =>
      kernel.log.warn({ err }, 'audit checkpoint failed'),
    );
    kernel.relay.prune().catch((err) => kernel.log.warn({ err }, 'pruning the outbox failed'));
  }, 60_000);
  checkpointTimer.unref();
  const address = await app.listen({ port: cfg.port, host: cfg.host });
  const url = `http://${cfg.host === '0.0.0.0' || cfg.host === '::' ? '127.0.0.1' : cfg.host}:${(app.server.address() as { port: number }).port}`;
  const lines = [
    '',
    `Tártip is running at ${url}  (${cfg.mode} mode; database ${kernel.db.kind}, bus ${kernel.bus.kind}; data ${cfg.dataDir})`,
    `  API docs: ${url}/api/docs   health: ${url}/health/ready   metrics: ${url}/metrics`,
  ];
  if (cfg.demo) {
    lines.push(`  Demo logins (password "${DEMO_PASSWORD}"): ${DEMO_USERS.map((u) => u.username).join(', ')}`);
    lines.push('  Demo partner API keys (header X-API-Key):');
    for (const k of DEMO_API_KEYS) lines.push(`    ${k.channel.padEnd(8)} ${k.key}`);
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
  kernel.log.debug({ address }, 'listening');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    kernel.log.info({ signal }, 'shutting down: draining requests, flushing the outbox');
    const force = setTimeout(() => process.exit(1), cfg.shutdownGraceMs + 5000);
    force.unref();
    clearInterval(checkpointTimer);
    try {
      await app.close();
      await checkpointAudit(kernel.db, kernel.auditKey, kernel.clock.now(), 1).catch(() => null);
      await kernel.close();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  await new Promise(() => {});
  return 0;
}

async function migrateCommand(): Promise<number> {
  const cfg = config();
  const db = await openDatabase(cfg);
  try {
    const { applied } = await migrate(db, [...readMigrations('kernel', KERNEL_MIGRATIONS_DIR), ...migrationsOf(MODULES)]);
    process.stdout.write(applied.length ? `applied:\n  ${applied.join('\n  ')}\n` : 'database is up to date\n');
    return 0;
  } finally {
    await db.close();
  }
}

async function withKernel(fn: (k: Awaited<ReturnType<typeof createKernel>>) => Promise<number>): Promise<number> {
  const kernel = await createKernel({ ...config(), logLevel: 'warn' }, { migrations: migrationsOf(MODULES) });
  try {
    return await fn(kernel);
  } finally {
    await kernel.close();
  }
}

async function usersAdd(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      username: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string', multiple: true },
      jurisdiction: { type: 'string', multiple: true },
      password: { type: 'string' },
    },
  });
  const parsed = parseReporting(NewUser, {
    username: values.username,
    displayName: values.name,
    password: values.password ?? process.env.TARTIP_NEW_PASSWORD,
    roles: values.role,
    jurisdictions: values.jurisdiction,
  });
  if (!parsed.success) {
    for (const e of fieldErrorsFromZod(parsed.error.issues, '')) process.stderr.write(`--${e.path}: ${e.code}\n`);
    return 2;
  }
  return withKernel(async (kernel) => {
    const user = await kernel.commands.run({ actor: 'system:cli' }, (uow) => createUser(uow, null, parsed.data));
    process.stdout.write(`created ${user.username} (${user.id})\n`);
    return 0;
  });
}

async function auditVerify(): Promise<number> {
  return withKernel(async (kernel) => {
    const result = await verifyAudit(kernel.db, kernel.auditPublicKeys);
    if (result.ok) {
      process.stdout.write(`audit chain intact: ${result.records} records, ${result.checkpoints} signed checkpoints\n`);
      return 0;
    }
    process.stderr.write(`audit chain BROKEN at record ${result.firstBadSeq}: ${result.reason}\n`);
    return 1;
  });
}

export async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  try {
    switch (command) {
      case 'start':
        return await start();
      case 'migrate':
        return await migrateCommand();
      case 'seed':
        return await withKernel(async (k) => {
          const r = await seedDemo(k);
          process.stdout.write(`seeded ${r.users} accounts and ${r.keys} partner keys\n`);
          return 0;
        });
      case 'users':
        if (sub === 'add') return await usersAdd(rest);
        break;
      case 'audit':
        if (sub === 'verify') return await auditVerify();
        if (sub === 'checkpoint')
          return await withKernel(async (k) => {
            const cp = await checkpointAudit(k.db, k.auditKey, k.clock.now(), 1);
            process.stdout.write(cp ? `signed checkpoint at record ${cp.seq}\n` : 'nothing new to sign\n');
            return 0;
          });
        break;
      case 'forecast': {
        const { forecastCommand } = await import('../../modules/analytics/forecast-cli.ts');
        return await forecastCommand([sub, ...rest].filter((a) => a !== undefined));
      }
      case 'bench': {
        const { runBenchmarks } = await import('../../bench/run.ts');
        return await runBenchmarks([sub, ...rest].filter(Boolean) as string[]);
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${HELP}\n`);
        return command ? 0 : 2;
    }
    process.stderr.write(`unknown command: ${argv.join(' ')}\n\n${HELP}\n`);
    return 2;
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`tartip: ${e.message}\n`);
      return 78; // EX_CONFIG
    }
    throw e;
  }
}
