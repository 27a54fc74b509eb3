import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { type MqttIntake, startMqttIntake } from '../../packages/kernel/src/mqtt-intake.ts';
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
 * with several processes each message reaches one of them. Delivery is the kernel's (packages/kernel/src/
 * mqtt-intake.ts): a persistent session (TARTIP_TRAFFIC_MQTT_CLIENT_ID, TARTIP_TRAFFIC_MQTT_SESSION_EXPIRY_S), each
 * message acknowledged once its reads are stored — reads sent while no process is connected wait at the broker.
 * A message that is not JSON is refused (0x99) and counted; a resent read is a duplicate and stored once.
 */
export async function startTrafficMqtt(kernel: Kernel): Promise<MqttIntake | null> {
  const rt = runtime(kernel);
  const { mqttUrl, mqttTopicPrefix: prefix, frigateTopicPrefix: frigate } = rt.settings;
  if (!mqttUrl) return null;
  const log = kernel.log.child({ component: 'traffic-mqtt' });
  const group = `$share/${prefix}-traffic`;
  const cameraTopic = new RegExp(`^${escapeRegExp(prefix)}/traffic/cameras/([^/]+)/anpr$`);

  async function handle(topic: string, payload: Buffer): Promise<void> {
    rt.intake.mqttMessages++;
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch (e) {
      rt.intake.mqttRejected++;
      throw e; // settled as "payload format invalid", never redelivered
    }
    const camera = cameraTopic.exec(topic)?.[1];
    const items: Item[] = (Array.isArray(body) ? body : [body]).map((value, i) => ({ label: `item.${i}`, value }));
    // Good reads are stored (in one transaction) before the PUBACK; a database failure throws and is retried.
    const r = await ingestItems(kernel, items, { actor: 'mqtt', jurisdictions: null, camera });
    if (r.rejected > 0) {
      rt.intake.mqttRejected++;
      log.warn({ topic, errors: r.errors }, 'traffic: MQTT reads refused');
    }
  }

  return startMqttIntake(kernel, {
    name: 'traffic',
    url: mqttUrl,
    clientId: rt.settings.mqttClientId,
    sessionExpiryS: rt.settings.mqttSessionExpiryS,
    topics: [`${group}/${prefix}/traffic/anpr`, `${group}/${prefix}/traffic/cameras/+/anpr`, `${group}/${frigate}/tracked_object_update`],
    handle,
  });
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
