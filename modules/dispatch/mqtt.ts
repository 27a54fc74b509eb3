import mqtt, { type MqttClient } from 'mqtt';
import { z } from 'zod';
import { Problem } from '../../packages/kernel/src/errors.ts';
import { UUID_PATTERN } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { runtime } from './runtime.ts';
import { ingestTelemetry, TelemetryLine } from './telemetry.ts';
import { panic } from './units.ts';

/**
 * MQTT intake for vehicle trackers and smart badges (when TARTIP_MQTT_URL is set):
 *
 * - `<prefix>/units/<unitId>/telemetry` — a JSON sample `{ unitId?, at, lon, lat, speed?, heading?, battery? }`
 *   (or an array of them); the unit id comes from the topic.
 * - `<prefix>/units/<unitId>/panic` — the duress button; optional `{ lon, lat }`.
 *
 * Devices authenticate to the broker (its ACL binds a device to its own topic); the platform trusts the topic.
 * The subscription is shared (`$share/<prefix>-dispatch/…`, MQTT 5), so with several processes each message
 * reaches exactly one of them.
 */
const PanicPayload = z.strictObject({ lon: z.number().min(-180).max(180), lat: z.number().min(-90).max(90) }).partial();

export interface MqttIntake {
  client: MqttClient;
  received: number;
  rejected: number;
  stop(): Promise<void>;
}

export async function startMqtt(kernel: Kernel): Promise<MqttIntake | null> {
  const { settings } = runtime(kernel);
  if (!settings.mqttUrl) return null;
  const prefix = settings.mqttTopicPrefix;
  const log = kernel.log.child({ component: 'dispatch-mqtt' });
  const client = mqtt.connect(settings.mqttUrl, {
    protocolVersion: 5,
    clientId: `tartip-dispatch-${Math.random().toString(36).slice(2, 10)}`,
    clean: true,
    reconnectPeriod: 2000,
    connectTimeout: 10_000,
  });
  const intake: MqttIntake = {
    client,
    received: 0,
    rejected: 0,
    stop: async () => {
      await client.endAsync().catch(() => {});
    },
  };
  const topics = [`$share/${prefix}-dispatch/${prefix}/units/+/telemetry`, `$share/${prefix}-dispatch/${prefix}/units/+/panic`];
  const subscribed = new Promise<void>((resolve) => {
    client.on('connect', () => {
      client.subscribe(topics, { qos: 1 }, (err) => {
        if (err) log.error({ err }, 'dispatch: MQTT subscribe failed');
        else {
          log.info({ url: settings.mqttUrl, topics }, 'dispatch: MQTT intake subscribed');
          resolve();
        }
      });
    });
  });
  client.on('error', (err) => log.warn({ err }, 'dispatch: MQTT error'));

  client.on('message', (topic, payload) => {
    intake.received++;
    handle(topic, payload).catch((e) => {
      intake.rejected++;
      const detail = e instanceof Problem ? { code: e.code, errors: e.errors } : { err: e };
      log.warn({ topic, ...detail }, 'dispatch: MQTT message rejected');
    });
  });

  async function handle(topic: string, payload: Buffer): Promise<void> {
    const parts = topic.split('/');
    const [unitId, kind] = [parts[parts.length - 2], parts[parts.length - 1]];
    if (!UUID_PATTERN.test(unitId)) throw Problem.validation([{ path: 'topic.unitId', code: 'invalid_format', params: { format: 'uuid' } }]);
    const text = payload.toString('utf8').trim();
    const body: unknown = text === '' ? {} : JSON.parse(text);
    if (kind === 'panic') {
      const p = PanicPayload.parse(body);
      const position = p.lon !== undefined && p.lat !== undefined ? { lon: p.lon, lat: p.lat } : null;
      await panic(kernel, { actor: `mqtt:${unitId}` }, unitId, position);
      return;
    }
    const items = (Array.isArray(body) ? body : [body]).map((x) => (x && typeof x === 'object' && !('unitId' in x) ? { ...x, unitId } : x));
    const now = kernel.clock.now();
    const lines = items.map((x, i) => {
      const r = TelemetryLine.safeParse(x);
      if (!r.success) throw Problem.validation([{ path: `item.${i}`, code: 'invalid' }]);
      if (r.data.unitId !== unitId) throw Problem.validation([{ path: `item.${i}.unitId`, code: 'not_own_unit' }]);
      if (Date.parse(r.data.at) > now.getTime() + 5 * 60_000) throw Problem.validation([{ path: `item.${i}.at`, code: 'in_future' }]);
      return r.data;
    });
    await ingestTelemetry(kernel, lines, { kind: 'system' });
  }

  // Start does not hang on a broker that is down: the client keeps reconnecting in the background.
  const ready = await Promise.race([subscribed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000).unref())]);
  if (!ready) log.error({ url: settings.mqttUrl }, 'dispatch: MQTT broker not reachable yet; retrying in the background');
  return intake;
}
