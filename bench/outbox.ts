/**
 * Outbox relay throughput: 50,000 committed rows in `kernel_outbox` (PostgreSQL), published to NATS
 * JetStream by the kernel's OutboxRelay (batches of TARTIP_OUTBOX_BATCH = 500, rows claimed with
 * `for update skip locked`, each publish awaiting its JetStream ack, rows marked published per batch).
 */
import pino from 'pino';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsBus } from '../packages/kernel/src/bus/nats.ts';
import { migrate, readMigrations } from '../packages/kernel/src/db/migrate.ts';
import { openPostgres } from '../packages/kernel/src/db/postgres.ts';
import { KERNEL_MIGRATIONS_DIR } from '../packages/kernel/src/kernel.ts';
import { OutboxRelay } from '../packages/kernel/src/outbox.ts';
import { type BenchResult, deleteStream, log, requireNats, requirePostgres, round, scratchDatabase, uniqueName } from './lib.ts';

const ROWS = 50_000;
const BATCH = 500;

export async function outbox(): Promise<Pick<BenchResult, 'metrics' | 'details'>> {
  await requirePostgres();
  const natsUrl = await requireNats();
  const scratch = await scratchDatabase();
  const stream = uniqueName('BENCH_OUTBOX').toUpperCase();
  const db = await openPostgres(scratch.url, 10);
  let bus: NatsBus | undefined;
  try {
    await migrate(db, readMigrations('kernel', KERNEL_MIGRATIONS_DIR));
    const t0 = performance.now();
    // Rows shaped like real events: a distinct key each (an incident id), a jurisdiction, a ~250-byte payload.
    await db.query(
      `insert into kernel_outbox (id, subject, key, jurisdiction, permission, payload, occurred_at)
       select id, 'bench.incident.created', id::text, '750000000', 'incidents:read',
              jsonb_build_object('id', id, 'seq', g, 'kind', 'theft', 'status', 'new', 'priority', 2,
                'location', jsonb_build_object('lat', 43.2389 + g * 1e-6, 'lon', 76.8897, 'kato', '751110000'),
                'summary', 'Bench event: a report of a stolen bicycle near the bus stop'),
              now()
       from (select gen_random_uuid() as id, g from generate_series(1, $1::int) g) s`,
      [ROWS],
    );
    const insertMs = performance.now() - t0;
    log(`  inserted ${ROWS} outbox rows in ${round(insertMs / 1000, 2)} s`);

    bus = await NatsBus.connect({ url: natsUrl, stream, subjectPrefix: stream.toLowerCase(), name: 'tartip-bench-outbox' });
    const relay = new OutboxRelay(db, bus, pino({ level: 'silent' }), BATCH);
    const t1 = performance.now();
    let batches = 0;
    while ((await relay.relayOnce()) > 0) batches++;
    const relayMs = performance.now() - t1;
    const perSecond = (relay.published / relayMs) * 1000;
    log(`  relayed ${relay.published} events in ${round(relayMs / 1000, 2)} s: ${Math.round(perSecond)} events/s`);

    const pending = await relay.pending();
    const nc = await connect({ servers: natsUrl.split(','), timeout: 5000 });
    let stored: number;
    try {
      stored = (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;
    } finally {
      await nc.close();
    }
    if (pending !== 0 || stored !== ROWS) throw new Error(`relay incomplete: ${pending} pending, ${stored} of ${ROWS} in the stream`);
    return {
      metrics: [
        { label: `outbox → NATS JetStream, ${ROWS.toLocaleString('en')} events`, value: Math.round(perSecond), unit: 'events/s', target: { op: '>=', value: 5000 } },
      ],
      details: {
        rows: ROWS,
        batch: BATCH,
        insertMs: round(insertMs),
        relayMs: round(relayMs),
        batches,
        published: relay.published,
        storedInStream: stored,
        pendingAfter: pending,
        storage: 'JetStream file storage, 1 replica, on this machine',
        notes: [
          `One relay in one process: ${batches} batches of up to ${BATCH}; each batch is published concurrently (every row has its own key; rows sharing a key are published one after another, in order) and marked published in one update. Relays in several processes share the table through \`for update skip locked\`.`,
        ],
      },
    };
  } finally {
    await bus?.close().catch(() => {});
    await db.close().catch(() => {});
    await scratch.drop().catch(() => {});
    await deleteStream(stream).catch(() => {});
  }
}
