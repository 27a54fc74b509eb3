import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { type MqttIntake, startMqttIntake } from '../../packages/kernel/src/mqtt-intake.ts';
import { Problem } from '../../packages/kernel/src/errors.ts';
import { type Parsed, parseDoubleTake, parseFrigate, parseOnvif } from './domain/formats.ts';
import { ingestEvents } from './ingest.ts';
import { runtime } from './runtime.ts';

/**
 * MQTT intake of camera analytics (when TARTIP_MQTT_URL is set), on the sources' own topics:
 *
 * - Frigate: `<frigate>/events`, `<frigate>/reviews`, `<frigate>/tracked_object_update` (TARTIP_VIDEO_FRIGATE_TOPIC_PREFIX,
 *   default `frigate`); the Frigate camera name is our camera code;
 * - ONVIF Profile M event broker: TARTIP_VIDEO_ONVIF_TOPIC (default `+/onvif-ej/#`) — the device's TopicPrefix is our
 *   camera code, the topic path says what happened (RuleEngine/…/ObjectAbandoned, …/Recognition/Face, …/LicensePlate);
 * - Double Take: `<double-take>/matches/+`.
 *
 * Subscriptions are shared (`$share/<TARTIP_MQTT_TOPIC_PREFIX>-video/…`): with several processes each message reaches one.
 * Delivery is the kernel's (packages/kernel/src/mqtt-intake.ts): persistent session, each QoS-1 message acknowledged only
 * after its events are stored (or refused as bad input: unknown camera, malformed payload). A redelivered message is a
 * duplicate (events are idempotent by source id), so it changes nothing.
 */
export async function startVideoMqtt(kernel: Kernel): Promise<MqttIntake | null> {
  const rt = runtime(kernel);
  const s = rt.settings;
  if (!s.mqttUrl) return null;
  const group = `$share/${s.mqttTopicPrefix}-video`;
  const frigate = s.frigateTopicPrefix;

  async function handle(topic: string, payload: Buffer): Promise<void> {
    rt.counters.mqttMessages++;
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch (e) {
      rt.counters.mqttRejected++;
      throw e; // settled as "payload format invalid"
    }
    let parsed: Parsed;
    if (topic === `${frigate}/events`) parsed = parseFrigate(body, 'events');
    else if (topic === `${frigate}/reviews`) parsed = parseFrigate(body, 'reviews');
    else if (topic === `${frigate}/tracked_object_update`) parsed = parseFrigate(body, 'tracked_object_update');
    else if (topic.startsWith(`${s.doubleTakeTopicPrefix}/matches/`)) parsed = parseDoubleTake(body);
    else parsed = parseOnvif(topic, body);
    if (!parsed.ok) {
      rt.counters.mqttRejected++;
      throw Problem.validation(parsed.errors);
    }
    try {
      await ingestEvents(kernel, parsed.events.map((event) => ({ event, path: 'payload' })), { actor: 'mqtt', jurisdictions: null });
    } catch (e) {
      if (e instanceof Problem && e.status < 500) rt.counters.mqttRejected++;
      throw e;
    }
  }

  return startMqttIntake(kernel, {
    name: 'video',
    url: s.mqttUrl,
    clientId: s.mqttClientId,
    sessionExpiryS: s.mqttSessionExpiryS,
    topics: [
      `${group}/${frigate}/events`,
      `${group}/${frigate}/reviews`,
      `${group}/${frigate}/tracked_object_update`,
      `${group}/${s.onvifTopic}`,
      `${group}/${s.doubleTakeTopicPrefix}/matches/+`,
    ],
    handle,
  });
}
