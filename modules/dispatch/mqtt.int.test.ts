/**
 * The MQTT intake's persistent session and acknowledgements, against the real Mosquitto. MQTT:
 * TARTIP_TEST_MQTT_URL (default mqtt://127.0.0.1:1883) must be reachable — the test fails, never skips (as
 * dispatch.int.test.ts). Runs on PGlite, or PostgreSQL when TARTIP_TEST_DATABASE_URL is set.
 */
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../packages/kernel/src/db/types.ts';
import { newId } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { migrationsOf } from '../../packages/kernel/src/module.ts';
import { backendName, testKernel } from '../../packages/kernel/src/testing.ts';
import dispatch from './index.ts';
import { type MqttIntake, startMqtt } from './mqtt.ts';

const MQTT_URL = process.env.TARTIP_TEST_MQTT_URL || 'mqtt://127.0.0.1:1883';
const PREFIX = `test-${randomBytes(4).toString('hex')}`;
const CLIENT_ID = `${PREFIX}-intake`;

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe(`dispatch MQTT intake (persistent session) on ${backendName}`, () => {
  let kernel: Kernel;
  let device: MqttClient;
  let unitId: string;
  let sample = 0;
  const intakes: MqttIntake[] = [];
  /** Sample times: a minute ago, strictly increasing. */
  const at = () => new Date(Date.now() - 60_000 + sample++ * 100).toISOString();
  const start = async (k: Kernel = kernel) => {
    const i = await startMqtt(k);
    if (!i) throw new Error('MQTT intake not started: TARTIP_MQTT_URL not set');
    intakes.push(i);
    return i;
  };
  const publish = (body: unknown) => device.publishAsync(`${PREFIX}/units/${unitId}/telemetry`, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1 });
  const stored = async () => (await kernel.db.query<{ at: Date }>('select at from dispatch_position where unit_id = $1 order by at', [unitId])).map((r) => new Date(r.at).toISOString());

  beforeAll(async () => {
    kernel = await testKernel({
      env: {
        TARTIP_MQTT_URL: MQTT_URL,
        TARTIP_MQTT_TOPIC_PREFIX: PREFIX,
        TARTIP_DISPATCH_MQTT_CLIENT_ID: CLIENT_ID,
        TARTIP_DISPATCH_MQTT_SESSION_EXPIRY_S: '300',
      },
      migrations: migrationsOf([dispatch]),
    });
    unitId = newId();
    const now = new Date().toISOString();
    await kernel.db.query(
      `insert into dispatch_unit (id, call_sign, type, home_kato, status, status_at, created_at, updated_at) values ($1, 'MQTT-P1', 'PATROL_CAR', '751110000', 'AVAILABLE', $2, $2, $2)`,
      [unitId, now],
    );
    // A tracker: publishes QoS 1; publishAsync resolves on the broker's PUBACK, so the broker has the message.
    device = await mqtt.connectAsync(MQTT_URL, { protocolVersion: 5, connectTimeout: 5000, reconnectPeriod: 0 });
  });

  afterAll(async () => {
    for (const i of intakes) await i.stop();
    await device?.endAsync();
    // Leave no session behind on the shared broker: Clean Start with a zero expiry discards it.
    const wipe = await mqtt.connectAsync(MQTT_URL, { protocolVersion: 5, clientId: CLIENT_ID, clean: true, properties: { sessionExpiryInterval: 0 }, reconnectPeriod: 0 }).catch(() => null);
    await wipe?.endAsync();
    await kernel?.close();
  });

  it('keeps the QoS-1 samples published while the intake is stopped, and stores them when it starts again', async () => {
    const live = await start();
    const first = at();
    await publish({ at: first, lon: 76.9, lat: 43.2 });
    await waitFor('the live sample', async () => (await stored()).includes(first));
    await live.stop();

    const whileDown = [at(), at(), at()];
    for (const [i, t] of whileDown.entries()) await publish({ at: t, lon: 76.9 + i / 1000, lat: 43.2, speed: 20 });
    await new Promise((r) => setTimeout(r, 300));
    expect(await stored()).toEqual([first]); // nobody took them yet

    const again = await start();
    await waitFor('the samples queued by the broker', async () => (await stored()).length === 4);
    expect(await stored()).toEqual([first, ...whileDown]);
    const [u] = await kernel.db.query<{ last_lon: number; last_at: Date }>('select last_lon, last_at from dispatch_unit where id = $1', [unitId]);
    expect(new Date(u.last_at).toISOString()).toBe(whileDown[2]);
    expect(u.last_lon).toBeCloseTo(76.902, 6);
    expect(again.stored).toBe(3);
    await again.stop();
  });

  it('acknowledges a sample only once stored: one the database could not take is redelivered to the next session', async () => {
    // The same module on a database that does not answer (connection refused): the intake keeps retrying.
    let attempts = 0;
    const refused = async () => {
      attempts++;
      throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    };
    const deadDb = { ...kernel.db, query: refused, transaction: refused, ping: refused } as unknown as Db;
    const down = await start({ ...kernel, db: deadDb });
    const lost = at();
    await publish({ at: lost, lon: 76.95, lat: 43.25 });
    await waitFor('a few store attempts', () => attempts >= 2);
    expect(down).toMatchObject({ received: 1, stored: 0, rejected: 0 });
    // The process goes away before it could store the sample: no PUBACK was sent.
    await down.stop();
    expect(await stored()).not.toContain(lost);

    const back = await start();
    await waitFor('the redelivered sample', async () => (await stored()).includes(lost));
    expect(back.stored).toBeGreaterThanOrEqual(1);
    await back.stop();
  });

  it('refuses an invalid sample once (acknowledged with a reason code): it is not redelivered', async () => {
    const live = await start();
    await publish('not json');
    await publish({ at: at(), lon: 500, lat: 43 });
    await waitFor('both refused', () => live.rejected === 2);
    expect(live.stored).toBe(0);
    await live.stop();
    const next = await start();
    const fresh = at();
    await publish({ at: fresh, lon: 76.9, lat: 43.2 });
    await waitFor('the next sample', async () => (await stored()).includes(fresh));
    expect(next).toMatchObject({ received: 1, stored: 1, rejected: 0 });
    await next.stop();
  });

  it('the panic topic: with the badge’s fix an incident at that place; without any position the alarm all the same', async () => {
    const live = await start();
    // A unit that has never reported a position, and a badge with no fix: the alarm is raised, no incident.
    const blind = newId();
    const now = new Date().toISOString();
    await kernel.db.query(
      `insert into dispatch_unit (id, call_sign, type, home_kato, status, status_at, created_at, updated_at) values ($1, 'MQTT-BLIND', 'FOOT_PATROL', '751110000', 'AVAILABLE', $2, $2, $2)`,
      [blind, now],
    );
    await device.publishAsync(`${PREFIX}/units/${blind}/panic`, '', { qos: 1 });
    const alarm = await waitFor('the alarm without a place', async () => {
      const [a] = await kernel.db.query<{ incident_id: string | null; data: { positionUnknown?: boolean } }>("select incident_id, data from dispatch_alert where kind = 'panic' and unit_id = $1", [blind]);
      return a;
    });
    expect(alarm).toMatchObject({ incident_id: null, data: { positionUnknown: true } });
    // The badge sends its fix: the incident is there, P1.
    await device.publishAsync(`${PREFIX}/units/${unitId}/panic`, JSON.stringify({ lon: 76.95, lat: 43.24 }), { qos: 1 });
    const incident = await waitFor('the panic incident', async () => {
      const [i] = await kernel.db.query<{ priority: string; lon: number; lat: number; source: string }>("select priority, lon, lat, source from dispatch_incident where panic_unit_id = $1", [unitId]);
      return i;
    });
    expect(incident).toEqual({ priority: 'P1', lon: 76.95, lat: 43.24, source: 'panic' });
    // A badge whose GPS went wrong (out of range, or garbage): the alarm is raised all the same, at the last fix.
    await device.publishAsync(`${PREFIX}/units/${unitId}/panic`, JSON.stringify({ lon: 500, lat: 43 }), { qos: 1 });
    await device.publishAsync(`${PREFIX}/units/${unitId}/panic`, 'garbage', { qos: 1 });
    await waitFor('three panic incidents', async () => (await kernel.db.query<{ n: number }>('select count(*)::int8 as n from dispatch_incident where panic_unit_id = $1', [unitId]))[0].n >= 3);
    expect(live.rejected).toBe(0);
    await live.stop();
  });
});
