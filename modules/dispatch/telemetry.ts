import { z } from 'zod';
import { covers } from '../../packages/kernel/src/auth/jurisdiction.ts';
import { type FieldError, fieldErrorsFromZod, parseReporting, Problem } from '../../packages/kernel/src/errors.ts';
import { newId } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { UNIT_POSITION, type UnitPosition } from './events.ts';
import type { UnitRow } from './store.ts';

/**
 * Unit telemetry (AVL): NDJSON batches over HTTP from tablets and tracker gateways, single samples over MQTT.
 * A batch is all-or-nothing: one bad line rejects it with per-line field errors (`line.17.lat`) and stores
 * nothing, so a gateway can fix and resend the whole batch without creating duplicates or gaps.
 */
export const MAX_LINES = 20_000;
/** A sample may be at most this far in the future (device clocks drift). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export const TelemetryLine = z.strictObject({
  unitId: z.uuid(),
  at: z.iso.datetime({ offset: true }),
  lon: z.number().min(-180).max(180),
  lat: z.number().min(-90).max(90),
  /** km/h */
  speed: z.number().min(0).max(400).optional(),
  /** degrees clockwise from north */
  heading: z.number().min(0).max(360).optional(),
  /** percent */
  battery: z.number().min(0).max(100).optional(),
});
export type TelemetryLine = z.infer<typeof TelemetryLine>;

export type ParseResult = { ok: true; lines: TelemetryLine[] } | { ok: false; errors: FieldError[] };

const MAX_ERRORS = 100;

/** Parses and validates an NDJSON body (blank lines are ignored); line numbers are 1-based. */
export function parseTelemetry(text: string, now: Date): ParseResult {
  const errors: FieldError[] = [];
  const lines: TelemetryLine[] = [];
  const raw = text.split('\n');
  let count = 0;
  for (let i = 0; i < raw.length && errors.length < MAX_ERRORS; i++) {
    const s = raw[i].trim();
    if (s === '') continue;
    count++;
    const at = `line.${i + 1}`;
    if (count > MAX_LINES) {
      errors.push({ path: at, code: 'too_big', params: { maximum: `${MAX_LINES} lines` } });
      break;
    }
    let value: unknown;
    try {
      value = JSON.parse(s);
    } catch {
      errors.push({ path: at, code: 'invalid_json' });
      continue;
    }
    const r = parseReporting(TelemetryLine, value);
    if (!r.success) {
      errors.push(...fieldErrorsFromZod(r.error.issues, at));
      continue;
    }
    if (Date.parse(r.data.at) > now.getTime() + MAX_CLOCK_SKEW_MS) {
      errors.push({ path: `${at}.at`, code: 'in_future' });
      continue;
    }
    lines.push(r.data);
  }
  if (errors.length > 0) return { ok: false, errors };
  if (lines.length === 0) return { ok: false, errors: [{ path: 'body', code: 'required' }] };
  return { ok: true, lines };
}

/** Who sends: a crew member (their own units only) or a partner gateway (units in its jurisdictions). */
export type Sender = { kind: 'crew'; username: string } | { kind: 'partner'; jurisdictions: string[] } | { kind: 'system' };

/**
 * Stores a validated batch: checks every line's unit (exists, and the sender may report for it), then one
 * multi-row insert into `dispatch_position` (a resent sample is ignored), updates each unit's last position
 * when newer, clears its stale flag, and publishes one live `dispatch.unit.position` per unit.
 */
export async function ingestTelemetry(kernel: Kernel, lines: TelemetryLine[], sender: Sender, lineNumbers?: number[]): Promise<{ stored: number; units: number }> {
  const ids = [...new Set(lines.map((l) => l.unitId))];
  const units = await kernel.db.query<UnitRow>('select * from dispatch_unit where id = any($1::uuid[])', [ids]);
  const byId = new Map(units.map((u) => [u.id, u]));
  const errors: FieldError[] = [];
  lines.forEach((l, i) => {
    if (errors.length >= MAX_ERRORS) return;
    const at = `line.${lineNumbers?.[i] ?? i + 1}.unitId`;
    const u = byId.get(l.unitId);
    if (!u) errors.push({ path: at, code: 'unknown_unit' });
    else if (sender.kind === 'crew' && !u.crew.includes(sender.username)) errors.push({ path: at, code: 'not_own_unit' });
    else if (sender.kind === 'partner' && !covers(sender.jurisdictions, u.home_kato)) errors.push({ path: at, code: 'not_own_unit' });
  });
  if (errors.length > 0) throw Problem.validation(errors);

  const now = kernel.clock.now().toISOString();
  const latest = new Map<string, TelemetryLine>();
  for (const l of lines) {
    const prev = latest.get(l.unitId);
    if (!prev || Date.parse(l.at) > Date.parse(prev.at)) latest.set(l.unitId, l);
  }
  const updated = await kernel.db.transaction(async (tx) => {
    const inserted = await tx.query<{ n: number }>(
      `with ins as (
         insert into dispatch_position (unit_id, at, lon, lat, speed, heading, battery, received_at)
         select * from unnest($1::uuid[], $2::timestamptz[], $3::float8[], $4::float8[], $5::float8[], $6::float8[], $7::float8[]) as t,
                (select $8::timestamptz) as r
         on conflict (unit_id, at) do nothing returning 1)
       select count(*)::int8 as n from ins`,
      [
        lines.map((l) => l.unitId),
        lines.map((l) => l.at),
        lines.map((l) => l.lon),
        lines.map((l) => l.lat),
        lines.map((l) => l.speed ?? null),
        lines.map((l) => l.heading ?? null),
        lines.map((l) => l.battery ?? null),
        now,
      ],
    );
    const last = [...latest.values()];
    const rows = await tx.query<UnitRow>(
      `update dispatch_unit u set last_lon = v.lon, last_lat = v.lat, last_speed = v.speed, last_heading = v.heading,
              last_battery = v.battery, last_at = v.at, stale = false,
              flags = case when v.battery is not null and v.battery < 15 and not ('LOW_BATTERY' = any(u.flags)) then array_append(u.flags, 'LOW_BATTERY')
                           when v.battery is not null and v.battery >= 15 then array_remove(u.flags, 'LOW_BATTERY') else u.flags end
       from unnest($1::uuid[], $2::timestamptz[], $3::float8[], $4::float8[], $5::float8[], $6::float8[], $7::float8[]) as v(id, at, lon, lat, speed, heading, battery)
       where u.id = v.id and (u.last_at is null or u.last_at < v.at)
       returning u.*`,
      [
        last.map((l) => l.unitId),
        last.map((l) => l.at),
        last.map((l) => l.lon),
        last.map((l) => l.lat),
        last.map((l) => l.speed ?? null),
        last.map((l) => l.heading ?? null),
        last.map((l) => l.battery ?? null),
      ],
    );
    return { stored: inserted[0].n, rows };
  });
  // Live only (see UnitPosition in events.ts): straight to the bus, after the commit. One event per unit (its
  // latest sample), so publishing them side by side keeps each unit's positions in order.
  await Promise.all(
    updated.rows.map((u) => {
      const data: UnitPosition = {
        unitId: u.id,
        callSign: u.call_sign,
        lon: u.last_lon as number,
        lat: u.last_lat as number,
        speed: u.last_speed,
        heading: u.last_heading,
        battery: u.last_battery,
        at: new Date(u.last_at as Date).toISOString(),
      };
      return kernel.bus
        .publish({ id: newId(), subject: UNIT_POSITION, key: u.id, occurredAt: now, jurisdiction: u.home_kato, permission: 'dispatch:read', data })
        .catch((e) => kernel.log.warn({ err: e, unitId: u.id }, 'dispatch: live position not published'));
    }),
  );
  return { stored: updated.stored, units: updated.rows.length };
}
