import mqtt, { type MqttClient } from 'mqtt';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { ingestItems, type Item } from './ingest.ts';
import { runtime } from './runtime.ts';

/**
 * MQTT intake for ANPR cameras and gateways (when TARTIP_MQTT_URL is set):
 *
 * - `<prefix>/traffic/anpr` — one read, or an array of reads, in any accepted format (ours, OpenALPR
 *   `alpr_results` / `alpr_group`); the camera is named in the payload.
 * - `<prefix>/traffic/cameras/<code>/anpr` — the same, from the camera with that code (it overrides the payload's).
 * - `<frigate prefix>/tracked_object_update` — Frigate's own topic; `type: "lpr"` updates are reads (the Frigate
 *   camera name is our camera code), other update types are ignored.
 *
 * Devices authenticate to the broker (its ACL binds a device to its topics); the platform trusts the topic, so
 * MQTT reads are not limited to a jurisdiction. Subscriptions are shared (`$share/<prefix>-traffic/…`, MQTT 5):
 * with several processes each message reaches one of them. A bad message is logged and counted, never retried.
 */
export interface TrafficMqtt {
  client: MqttClient;
  stop(): Promise<void>;
}

export async function startTrafficMqtt(kernel: Kernel): Promise<TrafficMqtt | null> {
  const rt = runtime(kernel);
  const { mqttUrl, mqttTopicPrefix: prefix, frigateTopicPrefix: frigate } = rt.settings;
  if (!mqttUrl) return null;
  const log = kernel.log.child({ component: 'traffic-mqtt' });
  const client = mqtt.connect(mqttUrl, {
    protocolVersion: 5,
    clientId: `tartip-traffic-${Math.random().toString(36).slice(2, 10)}`,
    clean: true,
    reconnectPeriod: 2000,
    connectTimeout: 10_000,
  });
  const group = `$share/${prefix}-traffic`;
  const topics = [`${group}/${prefix}/traffic/anpr`, `${group}/${prefix}/traffic/cameras/+/anpr`, `${group}/${frigate}/tracked_object_update`];
  const subscribed = new Promise<void>((resolve) => {
    client.on('connect', () => {
      client.subscribe(topics, { qos: 1 }, (err) => {
        if (err) log.error({ err }, 'traffic: MQTT subscribe failed');
        else {
          log.info({ url: mqttUrl, topics }, 'traffic: MQTT intake subscribed');
          resolve();
        }
      });
    });
  });
  client.on('error', (err) => log.warn({ err }, 'traffic: MQTT error'));

  const cameraTopic = new RegExp(`^${escapeRegExp(prefix)}/traffic/cameras/([^/]+)/anpr$`);
  client.on('message', (topic, payload) => {
    rt.intake.mqttMessages++;
    handle(topic, payload).catch((e) => {
      rt.intake.mqttRejected++;
      log.warn({ topic, err: e }, 'traffic: MQTT message failed');
    });
  });

  async function handle(topic: string, payload: Buffer): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      rt.intake.mqttRejected++;
      log.warn({ topic }, 'traffic: MQTT message is not JSON');
      return;
    }
    const camera = cameraTopic.exec(topic)?.[1];
    const items: Item[] = (Array.isArray(body) ? body : [body]).map((value, i) => ({ label: `item.${i}`, value }));
    const r = await ingestItems(kernel, items, { actor: 'mqtt', jurisdictions: null, camera });
    if (r.rejected > 0) {
      rt.intake.mqttRejected++;
      log.warn({ topic, errors: r.errors }, 'traffic: MQTT reads refused');
    }
  }

  // Start does not hang on a broker that is down: the client keeps reconnecting in the background.
  const ready = await Promise.race([subscribed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000).unref())]);
  if (!ready) log.error({ url: mqttUrl }, 'traffic: MQTT broker not reachable yet; retrying in the background');
  return {
    client,
    stop: async () => {
      await client.endAsync().catch(() => {});
    },
  };
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
