import { hostname } from 'node:os';
import mqtt, { type MqttClient } from 'mqtt';
import { z } from 'zod';
import { Problem } from './errors.ts';
import type { Kernel } from './kernel.ts';

/**
 * A module's MQTT intake: a shared subscription on a persistent session, each message acknowledged only once it
 * is stored or refused. Used by dispatch (unit telemetry, panic) and traffic (ANPR reads).
 *
 * Delivery (MQTT 5, QoS 1, persistent session): the client connects with Clean Start 0, a stable client id
 * (the module's client id setting) and a Session Expiry Interval (its session expiry setting), so
 * while the process is down the broker keeps its subscription and queues the QoS-1 messages for it, and delivers
 * them when it connects again. A message is acknowledged (PUBACK) only once it is settled: through mqtt.js's
 * `customHandleAcks`, which runs before mqtt.js sends the PUBACK and chooses its reason code —
 *
 * - stored (the handler's transaction committed) → PUBACK 0x00;
 * - invalid (not JSON, bad fields, not the topic's unit, unknown unit) → PUBACK 0x99 payload format invalid, or
 *   0x83 for another refusal (panic of a unit without a position): settled, never redelivered, counted `rejected`;
 * - anything else (the database is down) → retried with backoff, holding the PUBACK, for as long as the database
 *   does not answer its ping; once it answers and the message still fails `MAX_ATTEMPTS` times, the message is
 *   refused with 0x80 and logged as an error (a poison message must not stop the intake);
 * - the intake stopping (or the process dying) before that → no PUBACK: the broker redelivers the message to the
 *   next session with this client id.
 *
 * So every QoS-1 message is stored at least once, or refused with a reason in the log. (A device publishing with
 * QoS 0 gets at most once: no PUBACK, nothing queued for it while no process is connected.) Redelivery can repeat a
 * message whose commit happened just before a crash, so handlers must tolerate a repeat.
 * mqtt.js hands messages of one connection to `customHandleAcks` one at a time, so a process stores them in order,
 * one at a time (scale out with more processes on the shared subscription; bulk gateways use NDJSON over HTTP).
 *
 * Broker side (Mosquitto): messages queued for an offline session count against `max_queued_messages` (1000 by
 * default — beyond it new messages for that session are dropped) and survive a broker restart only with
 * `persistence true`. With several processes on the shared subscription, Mosquitto keeps dealing a stopped
 * member its share of new messages, queued until it returns with the same client id or its session expires.
 */

/** MQTT 5 reason codes on the PUBACK. */
export const PUBACK = { success: 0x00, unspecified: 0x80, implementationSpecific: 0x83, payloadFormatInvalid: 0x99 } as const;
/** With the database answering, a message failing this many times is refused (0x80) rather than retried forever. */
export const MAX_ATTEMPTS = 5;
/** MQTT 5 DISCONNECT reason: another connection took over this client id. */
const SESSION_TAKEN_OVER = 0x8e;

/**
 * The PUBACK reason code for a message whose handling threw, or `retry` when the failure may pass (the database,
 * the bus): bad input is settled at once, since sending it again cannot help.
 */
export function ackFor(error: unknown): number | 'retry' {
  if (error instanceof SyntaxError || error instanceof z.ZodError) return PUBACK.payloadFormatInvalid;
  if (error instanceof Problem && error.status < 500) {
    return error.code === 'validation_failed' ? PUBACK.payloadFormatInvalid : PUBACK.implementationSpecific;
  }
  return 'retry';
}

/** Wait before attempt `attempt + 1`: 250 ms doubling, at most 10 s. */
export const retryDelayMs = (attempt: number): number => Math.min(10_000, 250 * 2 ** (attempt - 1));

/**
 * A module's default client id: stable across restarts of one deployment (the broker finds its session again) and
 * different for each process of one host (by port).
 */
export function mqttClientIdFor(module: string, host: string = hostname(), port?: string): string {
  const safe = host.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64) || 'host';
  return `tartip-${module}-${safe}-${port || '8080'}`;
}

export interface MqttIntakeOptions {
  /** Names the intake in logs, e.g. `dispatch`. */
  name: string;
  url: string;
  clientId: string;
  sessionExpiryS: number;
  /** Topic filters (shared subscriptions: `$share/<group>/…`). */
  topics: string[];
  /** Stores one message; throws a Problem (< 500), a ZodError or a SyntaxError for bad input, anything else to retry. */
  handle(topic: string, payload: Buffer): Promise<void>;
}

export interface MqttIntake {
  client: MqttClient;
  /** Messages handed to the intake (a redelivered one counts again). */
  received: number;
  /** Messages stored and acknowledged. */
  stored: number;
  /** Messages refused (acknowledged with an error reason code: invalid, or failing while the database answers). */
  rejected: number;
  /** Stops taking messages, lets the ones being stored finish (and be acknowledged), and disconnects. */
  stop(): Promise<void>;
}

export async function startMqttIntake(kernel: Kernel, o: MqttIntakeOptions): Promise<MqttIntake> {
  const log = kernel.log.child({ component: `${o.name}-mqtt`, clientId: o.clientId });
  let stopping = false;
  const inFlight = new Set<Promise<void>>();
  const wakers = new Set<() => void>();

  /** Sleeps `ms`; true when the intake started stopping meanwhile. */
  const pause = (ms: number) =>
    new Promise<boolean>((resolve) => {
      if (stopping) return resolve(true);
      const wake = () => {
        clearTimeout(timer);
        wakers.delete(wake);
        resolve(stopping);
      };
      const timer = setTimeout(wake, ms);
      wakers.add(wake);
    });

  /** Settles a message in the background; `ack` receives the reason code (not called when abandoned). */
  function track(topic: string, payload: Buffer, ack: (code: number) => void): void {
    intake.received++;
    const work: Promise<void> = settle(topic, payload)
      .then((code) => {
        if (code !== null) ack(code);
      })
      .catch((e) => log.error({ err: e, topic }, `${o.name}: MQTT message handling failed`))
      .finally(() => inFlight.delete(work));
    inFlight.add(work);
  }

  /** Handles one message until it is settled: the PUBACK reason code, or null when abandoned (no PUBACK). */
  async function settle(topic: string, payload: Buffer): Promise<number | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        await o.handle(topic, payload);
        intake.stored++;
        return PUBACK.success;
      } catch (e) {
        const code = ackFor(e);
        if (code !== 'retry') {
          intake.rejected++;
          const detail = e instanceof Problem ? { code: e.code, errors: e.errors } : { err: e };
          log.warn({ topic, reasonCode: code, ...detail }, `${o.name}: MQTT message rejected`);
          return code;
        }
        const dbUp = await kernel.db.ping().then(
          () => true,
          () => false,
        );
        if (dbUp && attempt >= MAX_ATTEMPTS) {
          intake.rejected++;
          log.error({ topic, err: e, attempts: attempt }, `${o.name}: MQTT message failed repeatedly with the database up; refused (0x80)`);
          return PUBACK.unspecified;
        }
        log.warn({ topic, err: e, attempt, databaseUp: dbUp }, `${o.name}: MQTT message not stored yet; retrying before acknowledging`);
        if (await pause(retryDelayMs(attempt))) return null;
      }
    }
  }

  const client = mqtt.connect(o.url, {
    protocolVersion: 5,
    clientId: o.clientId,
    clean: false,
    properties: { sessionExpiryInterval: o.sessionExpiryS },
    reconnectPeriod: 2000,
    connectTimeout: 10_000,
    // Called for each QoS-1 message before mqtt.js sends its PUBACK; `done(null, code)` sends it. Not calling
    // `done` (stopping) leaves the message unacknowledged for the broker to redeliver.
    customHandleAcks: (topic, payload, _packet, done) => {
      if (stopping) return;
      track(topic, payload, (code) => done(code));
    },
  });
  // QoS 0 (a device publishing at most once) has no PUBACK and never reaches customHandleAcks.
  client.on('message', (topic, payload, packet) => {
    if (packet.qos === 0 && !stopping) track(topic, payload, () => {});
  });
  const intake: MqttIntake = {
    client,
    received: 0,
    stored: 0,
    rejected: 0,
    stop: async () => {
      stopping = true;
      for (const wake of [...wakers]) wake();
      await Promise.allSettled([...inFlight]);
      await client.endAsync().catch(() => {});
    },
  };
  const subscribed = new Promise<void>((resolve) => {
    client.on('connect', (connack) => {
      // With a session present the broker already holds the subscription (and delivers what it queued); subscribing
      // again is harmless and covers a session that expired meanwhile.
      client.subscribe(o.topics, { qos: 1 }, (err) => {
        if (err) log.error({ err }, `${o.name}: MQTT subscribe failed`);
        else {
          log.info({ url: o.url, topics: o.topics, sessionPresent: connack.sessionPresent }, `${o.name}: MQTT intake subscribed`);
          resolve();
        }
      });
    });
  });
  client.on('error', (err) => log.warn({ err }, `${o.name}: MQTT error`));
  client.on('disconnect', (packet) => {
    if (packet.reasonCode === SESSION_TAKEN_OVER) {
      log.error(`${o.name}: another MQTT connection took over this client id — give every process its own client id`);
    }
  });

  // Start does not hang on a broker that is down: the client keeps reconnecting in the background.
  const ready = await Promise.race([subscribed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000).unref())]);
  if (!ready) log.error({ url: o.url }, `${o.name}: MQTT broker not reachable yet; retrying in the background`);
  return intake;
}
