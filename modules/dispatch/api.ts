import { z } from 'zod';
import { newId } from '../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import type { CommandContext } from '../../packages/kernel/src/outbox.ts';
import { INCIDENT_TYPE_CODES, PRIORITIES } from './config/catalogue.ts';
import { createIncidentIn, katoOf } from './service.ts';
import type { IncidentRow } from './store.ts';

/**
 * The services other modules call (never dispatch's tables): raise an incident from a camera alert or a
 * protective-order violation, and flag a premise hazard that dispatchers see near incidents.
 */
export const Point = z.strictObject({ lon: z.number().min(-180).max(180), lat: z.number().min(-90).max(90) });

export const RaiseIncidentInput = z.strictObject({
  /** The calling system: `camera`, `protection`, `cases`, … */
  source: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/),
  category: z.enum(INCIDENT_TYPE_CODES),
  priority: z.enum(PRIORITIES).optional(),
  location: Point,
  description: z.string().max(4000).nullable().optional(),
  address: z.string().max(500).nullable().optional(),
  /** The source's own id of what happened (camera event, order violation): raising twice returns the first incident. */
  externalRef: z.string().min(1).max(200),
});
export type RaiseIncidentInput = z.input<typeof RaiseIncidentInput>;

export interface RaisedIncident {
  incidentId: string;
  status: string;
  priority: string;
  kato: string | null;
  created: boolean;
}

const present = (r: IncidentRow, created: boolean): RaisedIncident => ({ incidentId: r.id, status: r.status, priority: r.priority, kato: r.kato, created });

/** Raises an incident (RECEIVED → TRIAGED); idempotent per (source, externalRef). */
export async function raiseIncident(kernel: Kernel, input: RaiseIncidentInput, ctx?: CommandContext): Promise<RaisedIncident> {
  const x = RaiseIncidentInput.parse(input);
  const existing = async () =>
    (await kernel.db.query<IncidentRow>('select * from dispatch_incident where source = $1 and external_ref = $2', [x.source, x.externalRef]))[0];
  const found = await existing();
  if (found) return present(found, false);
  try {
    return await kernel.commands.run(ctx ?? { actor: `module:${x.source}` }, async (uow) => {
      const row = await createIncidentIn(uow, ctx?.actor ?? `module:${x.source}`, {
        category: x.category,
        priority: x.priority,
        location: x.location,
        description: x.description ?? null,
        address: x.address ?? null,
        source: x.source,
        externalRef: x.externalRef,
        kato: katoOf(kernel, x.location),
      });
      return present(row, true);
    });
  } catch (e) {
    // Two raises of the same thing at once: the unique (source, external_ref) index let one through.
    const again = (e as { code?: string }).code === '23505' ? await existing() : undefined;
    if (again) return present(again, false);
    throw e;
  }
}

export const PREMISE_FLAG_KINDS = ['protective_order', 'weapons', 'prior_violence'] as const;

export const FlagPremiseInput = z.strictObject({
  location: Point,
  radiusM: z.number().min(1).max(5000),
  kind: z.enum(PREMISE_FLAG_KINDS),
  note: z.string().trim().min(1).max(2000),
  /** ISO 8601 with offset; null = until withdrawn. */
  expiresAt: z.iso.datetime({ offset: true }).nullable(),
  sourceModule: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/),
  sourceRef: z.string().min(1).max(200),
});
export type FlagPremiseInput = z.input<typeof FlagPremiseInput>;

/**
 * Sets (or updates, per sourceModule + sourceRef) a premise hazard: dispatchers see it on every incident within
 * `radiusM` until it expires, in the incident card and with the recommendations.
 */
export async function flagPremise(kernel: Kernel, input: FlagPremiseInput, ctx?: CommandContext): Promise<{ flagId: string; kato: string | null }> {
  const x = FlagPremiseInput.parse(input);
  return kernel.commands.run(ctx ?? { actor: `module:${x.sourceModule}` }, async (uow) => {
    const kato = katoOf(kernel, x.location);
    const now = uow.now.toISOString();
    const [row] = await uow.tx.query<{ id: string }>(
      `insert into dispatch_premise_flag (id, kind, note, lon, lat, geom, radius_m, expires_at, source_module, source_ref, kato, created_by, created_at, updated_at)
       values ($1, $2, $3, $4, $5, ST_SetSRID(ST_MakePoint($4, $5), 4326)::geography, $6, $7, $8, $9, $10, $11, $12, $12)
       on conflict (source_module, source_ref) do update set kind = excluded.kind, note = excluded.note, lon = excluded.lon, lat = excluded.lat,
         geom = excluded.geom, radius_m = excluded.radius_m, expires_at = excluded.expires_at, kato = excluded.kato, updated_at = excluded.updated_at
       returning id`,
      [newId(), x.kind, x.note, x.location.lon, x.location.lat, x.radiusM, x.expiresAt, x.sourceModule, x.sourceRef, kato, ctx?.actor ?? `module:${x.sourceModule}`, now],
    );
    await uow.audit({ action: 'premise_flag.set', entity: 'premise_flag', entityId: row.id, jurisdiction: kato, data: { kind: x.kind, radiusM: x.radiusM, sourceModule: x.sourceModule, sourceRef: x.sourceRef } });
    return { flagId: row.id, kato };
  });
}
