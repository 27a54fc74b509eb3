/**
 * The vehicle register: registration, changes (owner, insurance, the wanted flag), bulk import, look-ups. Every
 * write is one command (state + audit + event); every read of an owner's personal data is audited.
 */
import { Problem } from '../../../packages/kernel/src/errors.ts';
import type { Kernel } from '../../../packages/kernel/src/kernel.ts';
import type { Queryable } from '../../../packages/kernel/src/db/types.ts';
import type { CommandContext, UnitOfWork } from '../../../packages/kernel/src/outbox.ts';
import type { VehicleClass } from '../contract.ts';
import { normalisePlate } from '../domain/plates.ts';
import { idNumberProblem } from './domain/iin.ts';
import type { Vehicle } from './domain/vehicle.ts';
import { VEHICLE_REGISTERED, VEHICLE_UPDATED, type VehicleChanged, VEHICLES_IMPORTED, type VehiclesImported } from './events.ts';
import { refreshScores } from './korgau.ts';
import { vehiclesRuntime } from './runtime.ts';

export interface VehicleRow {
  plate: string;
  country: string | null;
  class: VehicleClass;
  make: string | null;
  model: string | null;
  colour: string | null;
  year: number | null;
  vin: string | null;
  owner_kind: 'person' | 'organisation';
  owner_name: string;
  owner_iin: string;
  owner_address: string;
  insurance_valid_until: string | null;
  wanted: boolean;
  wanted_reason: string | null;
  wanted_basis: string | null;
  wanted_since: Date | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

/** Every column, the date as text (node-postgres would turn a `date` into a local-time Date). */
export const VEHICLE_COLUMNS = `plate, country, class, make, model, colour, year, vin, owner_kind, owner_name, owner_iin, owner_address,
  insurance_valid_until::text as insurance_valid_until, wanted, wanted_reason, wanted_basis, wanted_since, created_by, created_at, updated_at`;

/** A register entry as the API shows it: the entry, plus whether it is insured today and since when it is wanted. */
export interface PresentedVehicle extends Omit<Vehicle, 'wanted'> {
  /** Insurance valid today. */
  insured: boolean;
  wanted: { reason: string; basis: string; since: string } | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export function presentVehicle(r: VehicleRow, today: string): PresentedVehicle {
  return {
    plate: r.plate,
    country: r.country,
    class: r.class,
    make: r.make,
    model: r.model,
    colour: r.colour,
    year: r.year,
    vin: r.vin,
    owner: { kind: r.owner_kind, name: r.owner_name, iin: r.owner_iin, address: r.owner_address },
    insuranceValidUntil: r.insurance_valid_until,
    insured: r.insurance_valid_until !== null && r.insurance_valid_until >= today,
    wanted: r.wanted ? { reason: r.wanted_reason ?? '', basis: r.wanted_basis ?? '', since: new Date(r.wanted_since ?? r.updated_at).toISOString() } : null,
    createdBy: r.created_by,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

const changed = (r: VehicleRow, at: Date): VehicleChanged => ({
  plate: r.plate,
  class: r.class,
  wanted: r.wanted,
  wantedReason: r.wanted ? r.wanted_reason : null,
  insuranceValidUntil: r.insurance_valid_until,
  at: at.toISOString(),
});

/** Folds a plate given in a URL or a query the way the register stores it; a 400 on the named field when it cannot. */
export function plateParam(raw: string, path: string): string {
  const p = normalisePlate(raw);
  if (!p.ok) throw Problem.validation([{ path, code: 'plate_format' }]);
  return p.value.plate;
}

async function afterChange(kernel: Kernel, plates: string[], wanted: { plate: string; reason: string | null }[]): Promise<void> {
  const { flagged } = vehiclesRuntime(kernel);
  for (const w of wanted) flagged.setWanted(w.plate, w.reason);
  // Insurance and the wanted flag are score inputs; a failure here is repaired by the periodic refresh.
  await refreshScores(kernel, { plates }).catch((e) => kernel.log.warn({ err: e }, 'traffic: score refresh after a register change failed'));
}

/** Registers a vehicle; a plate already registered is a 409. */
export async function registerVehicle(kernel: Kernel, ctx: CommandContext, v: Vehicle): Promise<VehicleRow> {
  const row = await kernel.commands.run(ctx, async (uow) => {
    const [exists] = await uow.tx.query('select 1 from traffic_vehicle where plate = $1', [v.plate]);
    if (exists) throw new Problem('traffic.vehicle_exists', { plate: v.plate }, [], 409);
    const [r] = await uow.tx.query<VehicleRow>(
      `insert into traffic_vehicle (plate, country, class, make, model, colour, year, vin, owner_kind, owner_name, owner_iin, owner_address,
         insurance_valid_until, wanted, wanted_reason, wanted_basis, wanted_since, created_by, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19)
       returning ${VEHICLE_COLUMNS}`,
      [
        v.plate,
        v.country,
        v.class,
        v.make,
        v.model,
        v.colour,
        v.year,
        v.vin,
        v.owner.kind,
        v.owner.name,
        v.owner.iin,
        v.owner.address,
        v.insuranceValidUntil,
        v.wanted !== null,
        v.wanted?.reason ?? null,
        v.wanted?.basis ?? null,
        v.wanted ? uow.now.toISOString() : null,
        ctx.actor,
        uow.now.toISOString(),
      ],
    );
    await uow.audit({ action: 'vehicle.registered', entity: 'vehicle', entityId: r.plate, data: { class: r.class, wanted: r.wanted, wantedBasis: r.wanted_basis } });
    await uow.emit({ subject: VEHICLE_REGISTERED, key: r.plate, permission: 'traffic:read', data: changed(r, uow.now) });
    return r;
  });
  await afterChange(kernel, [row.plate], row.wanted ? [{ plate: row.plate, reason: row.wanted_reason }] : []);
  return row;
}

/** A change to a registered vehicle; absent fields stay, `wanted: null` clears the flag. */
export interface VehiclePatch {
  class?: VehicleClass;
  make?: string | null;
  model?: string | null;
  colour?: string | null;
  year?: number | null;
  vin?: string | null;
  owner?: { kind: 'person' | 'organisation'; name: string; iin: string; address: string };
  insuranceValidUntil?: string | null;
  wanted?: { reason: string; basis: string } | null;
}

export async function updateVehicle(kernel: Kernel, ctx: CommandContext, plate: string, patch: VehiclePatch): Promise<VehicleRow> {
  if (patch.owner) {
    const problem = idNumberProblem(patch.owner.iin, patch.owner.kind);
    if (problem) throw Problem.validation([{ path: 'body.owner.iin', code: problem === 'checksum' ? 'iin_checksum' : 'iin_format' }]);
  }
  const { row, wantedChanged, previousOwner } = await kernel.commands.run(ctx, async (uow) => {
    const [old] = await uow.tx.query<VehicleRow>(`select ${VEHICLE_COLUMNS} from traffic_vehicle where plate = $1 for update`, [plate]);
    if (!old) throw Problem.notFound();
    const has = (k: keyof VehiclePatch) => Object.hasOwn(patch, k);
    const pick = <T>(k: keyof VehiclePatch, current: T): T => (has(k) ? (patch[k] as T) : current);
    const wanted = has('wanted') ? patch.wanted ?? null : old.wanted ? { reason: old.wanted_reason ?? '', basis: old.wanted_basis ?? '' } : null;
    const owner = patch.owner ?? { kind: old.owner_kind, name: old.owner_name, iin: old.owner_iin, address: old.owner_address };
    const [r] = await uow.tx.query<VehicleRow>(
      `update traffic_vehicle set class = $2, make = $3, model = $4, colour = $5, year = $6, vin = $7, owner_kind = $8, owner_name = $9,
         owner_iin = $10, owner_address = $11, insurance_valid_until = $12, wanted = $13, wanted_reason = $14, wanted_basis = $15,
         wanted_since = case when $13 then coalesce(wanted_since, $16) else null end, updated_at = $16
       where plate = $1 returning ${VEHICLE_COLUMNS}`,
      [
        plate,
        pick('class', old.class),
        pick('make', old.make),
        pick('model', old.model),
        pick('colour', old.colour),
        pick('year', old.year),
        pick('vin', old.vin),
        owner.kind,
        owner.name,
        owner.iin,
        owner.address,
        pick('insuranceValidUntil', old.insurance_valid_until),
        wanted !== null,
        wanted?.reason ?? null,
        wanted?.basis ?? null,
        uow.now.toISOString(),
      ],
    );
    const fields = (Object.keys(patch) as (keyof VehiclePatch)[]).filter((k) => patch[k] !== undefined);
    await uow.audit({
      action: r.wanted !== old.wanted ? (r.wanted ? 'vehicle.wanted_set' : 'vehicle.wanted_cleared') : 'vehicle.updated',
      entity: 'vehicle',
      entityId: plate,
      data: { fields, wanted: r.wanted, wantedReason: r.wanted_reason, wantedBasis: r.wanted_basis },
    });
    await uow.emit({ subject: VEHICLE_UPDATED, key: plate, permission: 'traffic:read', data: changed(r, uow.now) });
    return { row: r, wantedChanged: r.wanted !== old.wanted || r.wanted_reason !== old.wanted_reason, previousOwner: old.owner_iin };
  });
  await afterChange(kernel, [plate], wantedChanged ? [{ plate, reason: row.wanted ? row.wanted_reason : null }] : []);
  if (previousOwner !== row.owner_iin) {
    // The previous owner's score loses this vehicle.
    await refreshScores(kernel, { persons: [previousOwner] }).catch((e) => kernel.log.warn({ err: e }, 'traffic: score refresh failed'));
  }
  return row;
}

/**
 * Imports many entries at once (a register extract): one transaction, insert or replace by plate. Returns how many
 * were created and updated; the wanted flags set and cleared are published in one `traffic.vehicle.imported`.
 */
export async function importVehicles(kernel: Kernel, ctx: CommandContext, vehicles: Vehicle[], digest: string): Promise<VehiclesImported> {
  const result = await kernel.commands.run(ctx, async (uow) => {
    const plates = vehicles.map((v) => v.plate);
    const before = new Map(
      (await uow.tx.query<{ plate: string; wanted: boolean; wanted_reason: string | null }>(
        'select plate, wanted, wanted_reason from traffic_vehicle where plate = any($1::text[]) for update',
        [plates],
      )).map((r) => [r.plate, r]),
    );
    const col = <T>(f: (v: Vehicle) => T) => vehicles.map(f);
    const now = uow.now.toISOString();
    await uow.tx.query(
      `insert into traffic_vehicle (plate, country, class, make, model, colour, year, vin, owner_kind, owner_name, owner_iin, owner_address,
         insurance_valid_until, wanted, wanted_reason, wanted_basis, wanted_since, created_by, created_at, updated_at)
       select v.plate, v.country, v.class, v.make, v.model, v.colour, v.year, v.vin, v.owner_kind, v.owner_name, v.owner_iin, v.owner_address,
              v.insurance, v.wanted_reason is not null, v.wanted_reason, v.wanted_basis, case when v.wanted_reason is not null then $16::timestamptz end,
              $17, $16, $16
         from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[], $9::text[], $10::text[],
                     $11::text[], $12::text[], $13::date[], $14::text[], $15::text[])
           as v(plate, country, class, make, model, colour, year, vin, owner_kind, owner_name, owner_iin, owner_address, insurance, wanted_reason, wanted_basis)
       on conflict (plate) do update set country = excluded.country, class = excluded.class, make = excluded.make, model = excluded.model,
         colour = excluded.colour, year = excluded.year, vin = excluded.vin, owner_kind = excluded.owner_kind, owner_name = excluded.owner_name,
         owner_iin = excluded.owner_iin, owner_address = excluded.owner_address, insurance_valid_until = excluded.insurance_valid_until,
         wanted = excluded.wanted, wanted_reason = excluded.wanted_reason, wanted_basis = excluded.wanted_basis,
         wanted_since = case when excluded.wanted then coalesce(traffic_vehicle.wanted_since, excluded.wanted_since) end, updated_at = excluded.updated_at`,
      [
        plates,
        col((v) => v.country),
        col((v) => v.class),
        col((v) => v.make),
        col((v) => v.model),
        col((v) => v.colour),
        col((v) => v.year),
        col((v) => v.vin),
        col((v) => v.owner.kind),
        col((v) => v.owner.name),
        col((v) => v.owner.iin),
        col((v) => v.owner.address),
        col((v) => v.insuranceValidUntil),
        col((v) => v.wanted?.reason ?? null),
        col((v) => v.wanted?.basis ?? null),
        now,
        ctx.actor,
      ],
    );
    const wantedSet: { plate: string; reason: string }[] = [];
    const wantedCleared: string[] = [];
    for (const v of vehicles) {
      const old = before.get(v.plate);
      if (v.wanted && (!old?.wanted || old.wanted_reason !== v.wanted.reason)) wantedSet.push({ plate: v.plate, reason: v.wanted.reason });
      if (!v.wanted && old?.wanted) wantedCleared.push(v.plate);
    }
    const data: VehiclesImported = { created: vehicles.length - before.size, updated: before.size, wantedSet, wantedCleared, at: now };
    await uow.audit({
      action: 'vehicle.imported',
      entity: 'vehicle',
      entityId: null,
      data: { created: data.created, updated: data.updated, sha256: digest, wantedSet: wantedSet.map((w) => w.plate), wantedCleared },
    });
    await uow.emit({ subject: VEHICLES_IMPORTED, permission: 'traffic:read', data });
    return data;
  });
  await afterChange(kernel, vehicles.map((v) => v.plate), [
    ...result.wantedSet.map((w) => ({ plate: w.plate, reason: w.reason })),
    ...result.wantedCleared.map((plate) => ({ plate, reason: null })),
  ]);
  return result;
}

/** Audits a read of owners' personal data in its own small transaction. */
export async function auditRead(kernel: Kernel, ctx: CommandContext, action: string, entityId: string | null, data: unknown): Promise<void> {
  await kernel.commands.run(ctx, async (uow) => uow.audit({ action, entity: 'vehicle', entityId, data }));
}

export interface RegisteredOwner {
  plate: string;
  country: string | null;
  class: VehicleClass;
  make: string | null;
  model: string | null;
  colour: string | null;
  owner: { kind: 'person' | 'organisation'; name: string; iin: string; address: string };
  insuranceValidUntil: string | null;
  wanted: boolean;
}

async function ownerRow(q: Queryable, plate: string): Promise<VehicleRow | undefined> {
  const p = normalisePlate(plate);
  if (!p.ok) return undefined;
  return (await q.query<VehicleRow>(`select ${VEHICLE_COLUMNS} from traffic_vehicle where plate = $1`, [p.value.plate]))[0];
}

const ownerOfRow = (r: VehicleRow): RegisteredOwner => ({
  plate: r.plate,
  country: r.country,
  class: r.class,
  make: r.make,
  model: r.model,
  colour: r.colour,
  owner: { kind: r.owner_kind, name: r.owner_name, iin: r.owner_iin, address: r.owner_address },
  insuranceValidUntil: r.insurance_valid_until,
  wanted: r.wanted,
});

/**
 * The owner of a plate (any spelling; folded like the cameras' reads), for a violation notice; null when the plate
 * is not registered. The read of personal data is audited (`vehicle.owner.read`, with `purpose`, e.g. the
 * violation id) under `ctx.actor` (default `system:traffic`).
 */
export async function ownerOf(kernel: Kernel, plate: string, ctx?: CommandContext & { purpose?: string }): Promise<RegisteredOwner | null> {
  const r = await ownerRow(kernel.db, plate);
  if (!r) return null;
  await auditRead(kernel, { actor: ctx?.actor ?? 'system:traffic', requestId: ctx?.requestId }, 'vehicle.owner.read', r.plate, { purpose: ctx?.purpose ?? null });
  return ownerOfRow(r);
}

/** `ownerOf` inside the caller's command: the look-up and its audit record commit with the caller's work. */
export async function ownerIn(uow: UnitOfWork, plate: string, purpose: string): Promise<RegisteredOwner | null> {
  const r = await ownerRow(uow.tx, plate);
  if (!r) return null;
  await uow.audit({ action: 'vehicle.owner.read', entity: 'vehicle', entityId: r.plate, data: { purpose } });
  return ownerOfRow(r);
}
