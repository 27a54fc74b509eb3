/**
 * One contract suite for every Bus implementation: `MemoryBus` always, `NatsBus` when
 * TARTIP_TEST_NATS_URL is set (and then an unreachable server fails the run — it is never skipped).
 * Every NATS test runs in its own stream and subject prefix, deleted afterwards.
 */
import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { newId } from '../ids.ts';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from './memory.ts';
import { consumerName, NatsBus } from './nats.ts';
import type { Bus, BusEvent, BusHandler, Subscription } from './types.ts';

const NATS_URL = process.env.TARTIP_TEST_NATS_URL;

interface Impl {
  name: 'memory' | 'nats';
  /** A fresh bus, isolated from every other test. */
  open(): Promise<Bus>;
  /** Another process attached to the same bus (for memory: the same instance). */
  peer(bus: Bus): Promise<Bus>;
  /** Simulated restart: closes `bus` and attaches anew (for memory: the same instance, nothing survives a real restart). */
  restart(bus: Bus): Promise<Bus>;
  /** Closes whatever the test left open and deletes its server-side state. */
  cleanup(): Promise<void>;
  teardown?(): Promise<void>;
}

function memoryImpl(): Impl {
  const opened: Bus[] = [];
  return {
    name: 'memory',
    async open() {
      const bus = new MemoryBus();
      opened.push(bus);
      return bus;
    },
    peer: async (bus) => bus,
    restart: async (bus) => bus,
    async cleanup() {
      await Promise.allSettled(opened.splice(0).map((b) => b.close()));
    },
  };
}

function natsImpl(url: string): Impl {
  // Connected lazily from inside each test, so an unreachable server fails every test instead of skipping them.
  let admin: NatsConnection | undefined;
  const opened: NatsBus[] = [];
  const streams = new Set<string>();
  const attach = async (stream: string, subjectPrefix: string) => {
    const bus = await NatsBus.connect({ url, stream, subjectPrefix, name: 'tartip-bus-test' });
    opened.push(bus);
    return bus;
  };
  return {
    name: 'nats',
    async teardown() {
      await admin?.close();
    },
    async open() {
      admin ??= await connect({ servers: url, name: 'tartip-bus-test-admin' });
      const tag = randomBytes(6).toString('hex');
      const stream = `TARTIP_TEST_${tag}`;
      streams.add(stream);
      return attach(stream, `tartiptest${tag}`);
    },
    async peer(bus) {
      const b = bus as NatsBus;
      return attach(b.stream, b.prefix);
    },
    async restart(bus) {
      const b = bus as NatsBus;
      await b.close();
      return attach(b.stream, b.prefix);
    },
    async cleanup() {
      await Promise.allSettled(opened.splice(0).map((b) => b.close()));
      if (!admin) return;
      const jsm = await jetstreamManager(admin);
      for (const s of streams) await jsm.streams.delete(s).catch(() => {});
      streams.clear();
    },
  };
}

const impls: Impl[] = [memoryImpl(), ...(NATS_URL ? [natsImpl(NATS_URL)] : [])];

function ev(subject: string, data: unknown = {}): BusEvent {
  return {
    id: newId(),
    subject,
    occurredAt: new Date().toISOString(),
    jurisdiction: '750000000',
    permission: 'incidents.read',
    key: 'incident-1',
    data,
  };
}

/** Records what a handler received. */
function recorder(onEvent?: (e: BusEvent) => void | Promise<void>) {
  const events: BusEvent[] = [];
  const handler: BusHandler = async (e) => {
    events.push(e);
    await onEvent?.(e);
  };
  return { events, handler, ids: () => events.map((e) => e.id) };
}

/** Polls `cond` every 10 ms; fails with `what` after `timeoutMs`. */
async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function publishAll(bus: Bus, events: BusEvent[]): Promise<void> {
  for (const e of events) await bus.publish(e);
}

describe('consumerName', () => {
  it('keeps valid names and makes invalid ones valid and distinct', () => {
    expect(consumerName('audit-projector_1')).toBe('audit-projector_1');
    const dotted = consumerName('audit.log');
    expect(dotted).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(dotted).not.toBe(consumerName('audit_log'));
    expect(consumerName('a b*>/\\')).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(consumerName('audit.log')).toBe(dotted); // stable across restarts
  });
});

describe.each(impls)('$name bus honours the Bus contract', (impl) => {
  afterAll(async () => {
    await impl.teardown?.();
  });
  afterEach(async () => {
    await impl.cleanup();
  });

  it('has the right kind and answers ping', async () => {
    const bus = await impl.open();
    expect(bus.kind).toBe(impl.name);
    await expect(bus.ping()).resolves.toBeUndefined();
  });

  it('filters by subject (exact, `*`, `.>` and `>`), in order, with events intact', async () => {
    const bus = await impl.open();
    const prefix = recorder();
    const exact = recorder();
    const star = recorder();
    const all = recorder();
    await bus.subscribe({ subject: 'kernel.>', group: 'prefix' }, prefix.handler);
    await bus.subscribe({ subject: 'kernel.user.created', group: 'exact' }, exact.handler);
    await bus.subscribe({ subject: '*.user.*', group: 'star' }, star.handler);
    await bus.subscribe({ subject: '>', group: 'all' }, all.handler);

    const a = ev('kernel.user.created', { name: 'Aigerim', n: 1, tags: ['x'] });
    const b = ev('kernel.role.granted.now');
    const c = ev('incidents.user.created');
    const d = ev('kernel');
    const e = ev('kernel.user.deleted');
    await publishAll(bus, [a, b, c, d, e]);
    // A final event every filter matches: once each has it, anything else would have arrived before it.
    const end = ev('kernel.user.created', 'end');
    await bus.publish(end);
    for (const r of [prefix, exact, star, all]) await waitFor('end event', () => r.ids().includes(end.id));

    expect(prefix.events).toEqual([a, b, e, end]);
    expect(exact.ids()).toEqual([a.id, end.id]);
    expect(star.ids()).toEqual([a.id, c.id, e.id, end.id]);
    expect(all.ids()).toEqual([a.id, b.id, c.id, d.id, e.id, end.id]);
  });

  it('replays to a new durable group what was published before it subscribed; startAt new skips it', async () => {
    const bus = await impl.open();
    const before = [ev('kernel.user.created'), ev('kernel.user.updated'), ev('kernel.user.deleted')];
    await publishAll(bus, before);

    const replay = recorder();
    await bus.subscribe({ subject: 'kernel.>', group: 'replay' }, replay.handler);
    await waitFor('replay', () => replay.events.length >= 3);
    expect(replay.ids()).toEqual(before.map((e) => e.id));

    const fresh = recorder();
    await bus.subscribe({ subject: 'kernel.>', group: 'fresh', startAt: 'new' }, fresh.handler);
    const after = ev('kernel.user.created');
    await bus.publish(after);
    await waitFor('fresh and replay get the new event', () =>
      fresh.ids().includes(after.id) && replay.ids().includes(after.id),
    );
    expect(fresh.ids()).toEqual([after.id]);
    expect(replay.ids()).toEqual([...before, after].map((e) => e.id));
  });

  it('splits a group between members (even in other processes), each event handled exactly once', async () => {
    const bus = await impl.open();
    const other = await impl.peer(bus);
    const slow = () => sleep(1);
    const m1 = recorder(slow);
    const m2 = recorder(slow);
    await bus.subscribe({ subject: 'work.>', group: 'workers' }, m1.handler);
    await other.subscribe({ subject: 'work.>', group: 'workers' }, m2.handler);

    const events = Array.from({ length: 200 }, (_, i) => ev('work.item.queued', { i }));
    await publishAll(bus, events);
    const total = () => m1.events.length + m2.events.length;
    await waitFor('200 events handled', () => total() >= 200, 30_000);
    // One more event: with it handled too, a late duplicate of the first 200 would have shown by now.
    const end = ev('work.item.queued', 'end');
    await bus.publish(end);
    await waitFor('end event', () => [...m1.ids(), ...m2.ids()].includes(end.id));

    const handled = [...m1.ids(), ...m2.ids()];
    expect(handled).toHaveLength(201);
    expect(new Set(handled).size).toBe(201);
    expect(new Set(handled)).toEqual(new Set([...events, end].map((e) => e.id)));
    expect(m1.events.length).toBeGreaterThan(0);
    expect(m2.events.length).toBeGreaterThan(0);
  });

  it('gives every event to each of several groups, even when their names differ only in punctuation', async () => {
    const bus = await impl.open();
    const g1 = recorder();
    const g2 = recorder();
    await bus.subscribe({ subject: 'kernel.>', group: 'audit.log' }, g1.handler);
    await bus.subscribe({ subject: 'kernel.>', group: 'audit_log' }, g2.handler);
    const events = Array.from({ length: 50 }, (_, i) => ev('kernel.thing.happened', { i }));
    await publishAll(bus, events);
    await waitFor('both groups get 50', () => g1.events.length >= 50 && g2.events.length >= 50);
    expect(g1.ids()).toEqual(events.map((e) => e.id));
    expect(g2.ids()).toEqual(events.map((e) => e.id));
  });

  it('redelivers an event whose handler threw, after retryDelayMs, and keeps delivering others', async () => {
    const bus = await impl.open();
    const flaky = ev('incidents.incident.created');
    const fine = ev('incidents.incident.updated');
    const attempts: { id: string; at: number; ok: boolean }[] = [];
    await bus.subscribe({ subject: 'incidents.>', group: 'flaky', retryDelayMs: 300 }, async (e) => {
      const first = e.id === flaky.id && !attempts.some((a) => a.id === e.id);
      attempts.push({ id: e.id, at: Date.now(), ok: !first });
      if (first) throw new Error('transient failure');
    });
    await publishAll(bus, [flaky, fine]);
    await waitFor('both handled successfully', () => attempts.filter((a) => a.ok).length >= 2);

    const tries = attempts.filter((a) => a.id === flaky.id);
    expect(tries.map((a) => a.ok)).toEqual([false, true]);
    expect(tries[1].at - tries[0].at).toBeGreaterThanOrEqual(250);
    expect(attempts.filter((a) => a.id === fine.id)).toHaveLength(1);
  });

  it('batch members get waiting events together, in order, each once, never more than maxBatch at a time', async () => {
    const bus = await impl.open();
    const sizes: number[] = [];
    const handled: string[] = [];
    await bus.subscribeBatch({ subject: 'batch.>', group: 'batched', maxBatch: 40 }, async (events) => {
      sizes.push(events.length);
      await sleep(5); // a transaction's worth of work: events pile up meanwhile
      handled.push(...events.map((e) => e.id));
    });
    const events = Array.from({ length: 300 }, (_, i) => ev('batch.item.queued', { i }));
    await publishAll(bus, events);
    await waitFor('300 events handled', () => handled.length >= 300, 30_000);
    expect(handled).toEqual(events.map((e) => e.id));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(40);
    expect(Math.max(...sizes)).toBeGreaterThan(1);
    expect(sizes.length).toBeLessThan(300);
  });

  it('a batch that fails is handled again one event at a time: only the poison event is retried', async () => {
    const bus = await impl.open();
    const events = Array.from({ length: 30 }, (_, i) => ev('poison.item.queued', { i }));
    const poison = events[10];
    let poisonAttempts = 0;
    const done: string[] = [];
    await bus.subscribeBatch({ subject: 'poison.>', group: 'poisoned', retryDelayMs: 200, maxBatch: 64 }, async (batch) => {
      if (batch.some((e) => e.id === poison.id) && poisonAttempts++ < 2) throw new Error('transient failure'); // rolled back: nothing handled
      done.push(...batch.map((e) => e.id));
    });
    await publishAll(bus, events);
    await waitFor('all 30 handled', () => new Set(done).size >= 30, 30_000);
    await sleep(300);
    expect(new Set(done)).toEqual(new Set(events.map((e) => e.id)));
    expect(done).toHaveLength(30); // every event handled successfully exactly once
    expect(poisonAttempts).toBeGreaterThanOrEqual(3);
  });

  it('delivers an event published twice with the same id only once', async () => {
    const bus = await impl.open();
    const group = recorder();
    const live = recorder();
    await bus.subscribe({ subject: 'kernel.>', group: 'dedupe' }, group.handler);
    await bus.subscribe({ subject: 'kernel.>' }, live.handler);
    const e = ev('kernel.user.created');
    await bus.publish(e);
    await bus.publish({ ...e });
    const end = ev('kernel.user.created', 'end');
    await bus.publish(end);
    await waitFor('end event', () => group.ids().includes(end.id) && live.ids().includes(end.id));
    expect(group.ids()).toEqual([e.id, end.id]);
    expect(live.ids()).toEqual([e.id, end.id]);
  });

  it('gives live subscribers every event published after they subscribed, and nothing earlier', async () => {
    const bus = await impl.open();
    const other = await impl.peer(bus);
    const earlier = ev('kernel.user.created');
    await bus.publish(earlier);

    const a = recorder();
    const b = recorder();
    const c = recorder();
    const throwing = recorder(() => {
      throw new Error('live handler failure');
    });
    await bus.subscribe({ subject: 'kernel.>' }, a.handler);
    await bus.subscribe({ subject: 'kernel.>' }, b.handler);
    await other.subscribe({ subject: 'kernel.>' }, c.handler);
    await bus.subscribe({ subject: 'kernel.>' }, throwing.handler);
    const ignored = recorder();
    await bus.subscribe({ subject: 'incidents.>' }, ignored.handler);

    const later = [ev('kernel.user.updated'), ev('kernel.user.deleted'), ev('kernel.user.created', 'end')];
    await publishAll(bus, later);
    const expected = later.map((e) => e.id);
    for (const r of [a, b, c, throwing]) await waitFor('live events', () => r.events.length >= 3);

    expect(a.ids()).toEqual(expected);
    expect(b.ids()).toEqual(expected);
    expect(c.ids()).toEqual(expected);
    // A throwing live handler is not retried and does not stop the subscription.
    expect(throwing.ids()).toEqual(expected);
    expect(ignored.events).toEqual([]);
  });

  it('broadcasts reach broadcast subscribers in every process, and nothing keeps them', async () => {
    const bus = await impl.open();
    const other = await impl.peer(bus);
    const here = recorder();
    const there = recorder();
    const ignored = recorder();
    const live = recorder();
    const group = recorder();
    await bus.subscribe({ subject: 'fraud.calls.>', broadcast: true }, here.handler);
    await other.subscribe({ subject: 'fraud.calls.>', broadcast: true }, there.handler);
    await other.subscribe({ subject: 'fraud.transfers.>', broadcast: true }, ignored.handler);
    await other.subscribe({ subject: 'fraud.>' }, live.handler);
    await other.subscribe({ subject: 'fraud.>', group: 'fraud-durable' }, group.handler);

    const sent = [ev('fraud.calls.risky', { n: 1 }), ev('fraud.calls.risky', { n: 2 })];
    for (const e of sent) bus.broadcast(e);
    await waitFor('both processes to get both broadcasts', () => here.events.length >= 2 && there.events.length >= 2);
    expect(there.events.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(here.ids()).toEqual(sent.map((e) => e.id));

    // A stored event published after them reaches the live subscriber and the group; the broadcasts never do, and a
    // group that joins afterwards replays only the stored one.
    const stored = ev('fraud.policy.changed');
    await bus.publish(stored);
    await waitFor('the stored event', () => live.events.length >= 1 && group.events.length >= 1);
    const late = recorder();
    await bus.subscribe({ subject: 'fraud.>', group: 'fraud-late' }, late.handler);
    await waitFor('the late group', () => late.events.length >= 1);
    await sleep(50);
    expect(live.ids()).toEqual([stored.id]);
    expect(group.ids()).toEqual([stored.id]);
    expect(late.ids()).toEqual([stored.id]);
    expect(ignored.events).toEqual([]);
    if (impl.name === 'memory') expect((bus as MemoryBus).retained).toBe(1);
  });

  it('stops delivery on unsubscribe; a group keeps its position for the next member', async () => {
    const bus = await impl.open();
    const liveGone = recorder();
    const liveStays = recorder();
    const liveSub = await bus.subscribe({ subject: 'kernel.>' }, liveGone.handler);
    await bus.subscribe({ subject: 'kernel.>' }, liveStays.handler);
    const m1 = recorder();
    const m1Sub = await bus.subscribe({ subject: 'kernel.>', group: 'pos' }, m1.handler);

    const e1 = ev('kernel.user.created');
    await bus.publish(e1);
    await waitFor('e1', () => m1.events.length === 1 && liveGone.events.length === 1 && liveStays.events.length === 1);
    await liveSub.unsubscribe();
    await m1Sub.unsubscribe();

    const e2 = ev('kernel.user.updated');
    const e3 = ev('kernel.user.deleted');
    await publishAll(bus, [e2, e3]);
    await waitFor('live subscriber still subscribed gets e2, e3', () => liveStays.events.length === 3);
    const m2 = recorder();
    await bus.subscribe({ subject: 'kernel.>', group: 'pos' }, m2.handler);
    await waitFor('next group member gets e2, e3', () => m2.events.length >= 2);

    expect(liveGone.ids()).toEqual([e1.id]);
    expect(m1.ids()).toEqual([e1.id]);
    expect(m2.ids()).toEqual([e2.id, e3.id]);
  });

  it('resumes a durable group after a restart without redelivering acknowledged events', async () => {
    const bus = await impl.open();
    const before = recorder();
    const sub: Subscription = await bus.subscribe({ subject: 'kernel.>', group: 'resume' }, before.handler);
    const first = Array.from({ length: 5 }, (_, i) => ev('kernel.thing.happened', { i }));
    await publishAll(bus, first);
    await waitFor('first batch', () => before.events.length >= 5);
    await sub.unsubscribe();

    const restarted = await impl.restart(bus);
    const missed = Array.from({ length: 5 }, (_, i) => ev('kernel.thing.happened', { i: i + 5 }));
    await publishAll(restarted, missed);
    const after = recorder();
    await restarted.subscribe({ subject: 'kernel.>', group: 'resume' }, after.handler);
    await waitFor('missed batch', () => after.events.length >= 5);
    const end = ev('kernel.thing.happened', 'end');
    await restarted.publish(end);
    await waitFor('end event', () => after.ids().includes(end.id));

    expect(before.ids()).toEqual(first.map((e) => e.id));
    expect(after.ids()).toEqual([...missed, end].map((e) => e.id));
  });

  it('close() waits for in-flight handlers; ping() and publish() reject afterwards', async () => {
    const bus = await impl.open();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started = false;
    let finished = false;
    await bus.subscribe({ subject: 'kernel.>', group: 'slow' }, async () => {
      started = true;
      await gate;
      finished = true;
    });
    await bus.publish(ev('kernel.user.created'));
    await waitFor('handler started', () => started);

    let closed = false;
    const closing = bus.close().then(() => {
      closed = true;
    });
    await sleep(100);
    expect(closed).toBe(false);
    release();
    await closing;
    expect(finished).toBe(true);

    await expect(bus.ping()).rejects.toThrow();
    await expect(bus.publish(ev('kernel.user.created'))).rejects.toThrow();
  });

  if (impl.name === 'nats') {
    it('fails to connect, rather than hang, when the server is unreachable', async () => {
      await expect(NatsBus.connect({ url: 'nats://127.0.0.1:1', stream: 'TARTIP_TEST_UNREACHABLE' })).rejects.toThrow();
    });
  }
});

describe('MemoryBus: what it keeps and when it says an event is delivered', () => {
  it('reports an event acknowledged only once every durable group has handled it, in publishing order', async () => {
    const bus = new MemoryBus();
    const acknowledged: string[] = [];
    bus.onAcknowledged((events) => acknowledged.push(...events.map((e) => e.id)));
    let failing = true;
    const fast = recorder();
    const slow = recorder(async () => {
      if (failing) throw new Error('not yet');
    });
    await bus.subscribe({ subject: 'kernel.>', group: 'fast' }, fast.handler);
    await bus.subscribe({ subject: 'kernel.user.>', group: 'slow', retryDelayMs: 20 }, slow.handler);
    const user = ev('kernel.user.created');
    const other = ev('kernel.area.loaded'); // only `fast` wants it
    await publishAll(bus, [user, other]);
    await waitFor('fast handled both', () => fast.events.length === 2);
    await sleep(100);
    // `slow` keeps failing on the first event: neither it nor the one behind it counts as delivered.
    expect(acknowledged).toEqual([]);
    failing = false;
    await waitFor('both acknowledged', () => acknowledged.length === 2);
    expect(acknowledged).toEqual([user.id, other.id]);
    // A group without members still holds back what it has not handled (its position is kept for the next one).
    const idle = await bus.subscribe({ subject: 'kernel.>', group: 'idle', startAt: 'new' }, async () => {
      throw new Error('down');
    });
    await idle.unsubscribe();
    const later = ev('kernel.user.updated');
    await bus.publish(later);
    await waitFor('fast and slow handled it', () => fast.ids().includes(later.id) && slow.ids().includes(later.id));
    await sleep(50);
    expect(acknowledged).not.toContain(later.id);
    await bus.subscribe({ subject: 'kernel.>', group: 'idle' }, async () => {});
    await waitFor('acknowledged once idle has a member again', () => acknowledged.includes(later.id));
    await bus.close();
  });

  it('holds what a group still needs plus the latest 10,000 events, not everything ever published', async () => {
    const bus = new MemoryBus();
    const seen = recorder();
    await bus.subscribe({ subject: 'kernel.>', group: 'all' }, seen.handler);
    for (let i = 0; i < 30_000; i++) await bus.publish(ev('kernel.tick', { i }));
    await waitFor('all handled', () => seen.events.length === 30_000, 30_000);
    expect(bus.retained).toBeGreaterThanOrEqual(10_000);
    expect(bus.retained).toBeLessThan(10_000 + 1_024);
    // A group joining now replays the retained window, in order, ending with the latest event.
    const late = recorder();
    await bus.subscribe({ subject: 'kernel.>', group: 'late' }, late.handler);
    await waitFor('late replay', () => late.events.length === bus.retained);
    expect(late.events.at(-1)?.data).toEqual({ i: 29_999 });
    expect((late.events[1].data as { i: number }).i - (late.events[0].data as { i: number }).i).toBe(1);
    // While a group is stuck, nothing it has not handled is dropped, however much is published.
    let stuck = true;
    const held = recorder(async () => {
      if (stuck) throw new Error('stuck');
    });
    await bus.subscribe({ subject: 'kernel.>', group: 'stuck', startAt: 'new', retryDelayMs: 20 }, held.handler);
    const first = ev('kernel.tick', { i: 'first' });
    await bus.publish(first);
    for (let i = 0; i < 15_000; i++) await bus.publish(ev('kernel.tick', { i: 30_000 + i }));
    await waitFor('others handled', () => seen.events.length === 45_001, 30_000);
    expect(bus.retained).toBeGreaterThanOrEqual(15_001);
    stuck = false;
    await waitFor('stuck group catches up', () => held.events.filter((e) => e.id !== first.id).length === 15_000, 30_000);
    expect(held.events.find((e) => e.id !== first.id)?.data).toEqual({ i: 30_000 });
    await bus.close();
  });
});
