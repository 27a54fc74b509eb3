import { z } from 'zod';
import { Problem } from '../../packages/kernel/src/errors.ts';
import { UUID_PATTERN } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { type MqttIntake, startMqttIntake } from '../../packages/kernel/src/mqtt-intake.ts';
import { runtime } from './runtime.ts';
import { ingestTelemetry, TelemetryLine } from './telemetry.ts';
import { panic } from './units.ts';

export type { MqttIntake };

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
 *
 * Delivery is the kernel's (packages/kernel/src/mqtt-intake.ts): MQTT 5, QoS 1, a persistent session under
 * TARTIP_DISPATCH_MQTT_CLIENT_ID kept TARTIP_DISPATCH_MQTT_SESSION_EXPIRY_S, and a message acknowledged only once
 * stored or refused — so every QoS-1 message is stored at least once, or refused with a reason in the log. A
 * redelivered sample changes nothing (`dispatch_position` is keyed by unit and time); a redelivered panic raises a
 * second panic incident (a duplicate alarm, never a lost one).
 */
const PanicPayload = z.object({ lon: z.number().min(-180).max(180), lat: z.number().min(-90).max(90) });

/** The position a panic message gives, or null when it gives none that can be used. */
export function panicPosition(text: string): { lon: number; lat: number } | null {
  if (text === '') return null;
  try {
    const p = PanicPayload.safeParse(JSON.parse(text));
    return p.success ? { lon: p.data.lon, lat: p.data.lat } : null;
  } catch {
    return null;
  }
}

export async function startMqtt(kernel: Kernel): Promise<MqttIntake | null> {
  const { settings } = runtime(kernel);
  if (!settings.mqttUrl) return null;
  const prefix = settings.mqttTopicPrefix;
  async function handle(topic: string, payload: Buffer): Promise<void> {
    const parts = topic.split('/');
    const [unitId, kind] = [parts[parts.length - 2], parts[parts.length - 1]];
    if (!UUID_PATTERN.test(unitId)) throw Problem.validation([{ path: 'topic.unitId', code: 'invalid_format', params: { format: 'uuid' } }]);
    const text = payload.toString('utf8').trim();
    if (kind === 'panic') {
      // A panic is never refused: a payload that cannot be read, or a position out of range (a badge's GPS gone
      // wrong), leaves the alarm at the unit's last known position, or at none.
      await panic(kernel, { actor: `mqtt:${unitId}` }, unitId, panicPosition(text));
      return;
    }
    const body: unknown = text === '' ? {} : JSON.parse(text);
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

  return startMqttIntake(kernel, {
    name: 'dispatch',
    url: settings.mqttUrl,
    clientId: settings.mqttClientId,
    sessionExpiryS: settings.mqttSessionExpiryS,
    topics: [`$share/${prefix}-dispatch/${prefix}/units/+/telemetry`, `$share/${prefix}-dispatch/${prefix}/units/+/panic`],
    handle,
  });
}
