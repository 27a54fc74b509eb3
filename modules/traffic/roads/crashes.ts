/**
 * Crashes (ДТП): recording, lists, black spots (PostGIS ST_ClusterDBSCAN) and deaths on national roads year on year.
 */
import { z } from 'zod';
import { covers, jurisdictionFilter } from '../../../packages/kernel/src/auth/jurisdiction.ts';
import type { Queryable } from '../../../packages/kernel/src/db/types.ts';
import { type FieldError, Problem } from '../../../packages/kernel/src/errors.ts';
import { locate } from '../../../packages/kernel/src/geo/geo.ts';
import { newId } from '../../../packages/kernel/src/ids.ts';
import type { Kernel } from '../../../packages/kernel/src/kernel.ts';
import type { CommandContext } from '../../../packages/kernel/src/outbox.ts';
import { normalisePlate } from '../domain/plates.ts';
import { VEHICLE_CLASSES } from '../vehicles/domain/vehicle.ts';
import { CRASH_KINDS, EPDO_WEIGHTS, KZ_UTC_OFFSET_H } from './config/rules.ts';
import { type YearStats, yearOnYear } from './domain/stats.ts';
import { CRASH_RECORDED, type CrashRecorded } from './events.ts';
import { roadSettings } from './settings.ts';

export const Point = z.strictObject({ lon: z.number().min(-180).max(180), lat: z.number().min(-90).max(90) });
const text = (max: number) => z.string().trim().min(1).max(max);

export const RoadInput = z.strictObject({
  name: text(200).optional(),
  /** Road index as signed: M-36, A-1, R-4, KX-12, … */
  code: text(20).optional(),
  /** A road of republican (national) significance. */
  national: z.boolean(),
  km: z.number().min(0).max(10_000).optional(),
});

export const CrashInput = z.strictObject({
  occurredAt: z.iso.datetime({ offset: true }),
  location: Point,
  address: text(500).optional(),
  kind: z.enum(CRASH_KINDS).default('collision'),
  road: RoadInput,
  injuries: z.number().int().min(0).max(10_000),
  deaths: z.number().int().min(0).max(10_000),
  vehicles: z
    .array(
      z.strictObject({
        plate: z.string().trim().min(2).max(20).optional(),
        class: z.enum(VEHICLE_CLASSES).optional(),
        role: z.enum(['at_fault', 'other', 'unknown']).default('unknown'),
      }),
    )
    .min(1)
    .max(100),
  description: text(4000).optional(),
});
export type CrashInput = z.infer<typeof CrashInput>;

/** A point may be at most this far in the future (device clocks drift). */
const MAX_SKEW_MS = 5 * 60_000;

export async function katoOf(q: Queryable, p: { lon: number; lat: number }): Promise<string | null> {
  const placed = await locate(q, p.lon, p.lat);
  return placed.district?.kato ?? placed.region?.kato ?? null;
}

/** Places a point; a 400 on `path` when it is outside Kazakhstan (nobody's jurisdiction would cover it). */
export async function placeIn(q: Queryable, p: { lon: number; lat: number }, path: string, errors: FieldError[]): Promise<string | null> {
  const kato = await katoOf(q, p);
  if (!kato) errors.push({ path, code: 'outside_kazakhstan' });
  return kato;
}

export interface CrashRow {
  id: string;
  occurred_at: Date;
  lon: number;
  lat: number;
  kato: string | null;
  address: string | null;
  kind: string;
  road_name: string | null;
  road_code: string | null;
  road_km: number | null;
  national_road: boolean;
  injuries: number;
  deaths: number;
  vehicles: { plate: string | null; class: string | null; role: string }[];
  vehicle_count: number;
  description: string | null;
  created_by: string;
  created_at: Date;
}

export const presentCrash = (r: CrashRow) => ({
  id: r.id,
  occurredAt: new Date(r.occurred_at).toISOString(),
  location: { lon: r.lon, lat: r.lat },
  kato: r.kato,
  address: r.address,
  kind: r.kind,
  road: { name: r.road_name, code: r.road_code, national: r.national_road, km: r.road_km },
  injuries: r.injuries,
  deaths: r.deaths,
  vehicles: r.vehicles,
  description: r.description,
  createdBy: r.created_by,
  createdAt: new Date(r.created_at).toISOString(),
});

/** Records a crash placed inside `jurisdictions` (the recorder's); elsewhere is a 403. */
export async function recordCrash(kernel: Kernel, ctx: CommandContext, jurisdictions: readonly string[], x: CrashInput): Promise<CrashRow> {
  const errors: FieldError[] = [];
  if (Date.parse(x.occurredAt) > kernel.clock.now().getTime() + MAX_SKEW_MS) errors.push({ path: 'body.occurredAt', code: 'in_future' });
  const vehicles = x.vehicles.map((v, i) => {
    let plate: string | null = null;
    if (v.plate !== undefined) {
      const p = normalisePlate(v.plate);
      if (p.ok) plate = p.value.plate;
      else errors.push({ path: `body.vehicles.${i}.plate`, code: 'plate_format' });
    }
    return { plate, class: v.class ?? null, role: v.role };
  });
  const kato = await placeIn(kernel.db, x.location, 'body.location', errors);
  if (errors.length > 0) throw Problem.validation(errors);
  if (!covers(jurisdictions, kato)) throw new Problem('outside_jurisdiction');
  return kernel.commands.run(ctx, async (uow) => {
    const [r] = await uow.tx.query<CrashRow>(
      `insert into traffic_crash (id, occurred_at, lon, lat, geom, kato, address, kind, road_name, road_code, road_km, national_road,
         injuries, deaths, vehicles, vehicle_count, description, created_by, created_at)
       values ($1, $2, $3, $4, ST_SetSRID(ST_MakePoint($3, $4), 4326)::geography, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15, $16, $17, $18)
       returning *`,
      [
        newId(),
        new Date(x.occurredAt).toISOString(),
        x.location.lon,
        x.location.lat,
        kato,
        x.address ?? null,
        x.kind,
        x.road.name ?? null,
        x.road.code ?? null,
        x.road.km ?? null,
        x.road.national,
        x.injuries,
        x.deaths,
        JSON.stringify(vehicles),
        vehicles.length,
        x.description ?? null,
        ctx.actor,
        uow.now.toISOString(),
      ],
    );
    const data: CrashRecorded = {
      crashId: r.id,
      occurredAt: new Date(r.occurred_at).toISOString(),
      location: x.location,
      kato,
      nationalRoad: r.national_road,
      roadCode: r.road_code,
      injuries: r.injuries,
      deaths: r.deaths,
      vehicles: r.vehicle_count,
    };
    await uow.emit({ subject: CRASH_RECORDED, key: r.id, jurisdiction: kato, permission: 'traffic:read', data });
    await uow.audit({ action: 'crash.recorded', entity: 'crash', entityId: r.id, jurisdiction: kato, data: { injuries: r.injuries, deaths: r.deaths, national: r.national_road } });
    return r;
  });
}

export interface Period {
  from: Date;
  to: Date;
}

export interface BlackSpot {
  rank: number;
  center: { lon: number; lat: number };
  /** Distance from the centre to the farthest crash, metres. */
  radiusM: number;
  crashes: number;
  injuries: number;
  deaths: number;
  fatalCrashes: number;
  injuryCrashes: number;
  /** EPDO: fatal crashes × 12 + injury crashes × 3 + damage-only crashes × 1. */
  severityIndex: number;
  nationalRoad: boolean;
  roadCodes: string[];
  firstAt: string;
  lastAt: string;
  crashIds: string[];
}

/**
 * Black spots: crashes in the caller's jurisdictions and the period, clustered with DBSCAN (`epsM`, `minCrashes`).
 * DBSCAN runs on geometry, so the points are projected first — azimuthal equidistant, centred on the crashes
 * clustered: distances are true from the centre and off by less than 1 % anywhere within 1,500 km of it, which
 * covers Kazakhstan from its middle. Spots are ranked by EPDO severity, then by crash count.
 */
export async function blackSpots(
  kernel: Kernel,
  jurisdictions: readonly string[],
  q: Period & { epsM: number; minCrashes: number; limit: number },
): Promise<BlackSpot[]> {
  const [filter, params] = jurisdictionFilter('kato', jurisdictions, 9);
  const rows = await kernel.db.query<{
    lon: number;
    lat: number;
    radius_m: number;
    crashes: number;
    injuries: number;
    deaths: number;
    fatal: number;
    injury: number;
    national: boolean;
    road_codes: string[];
    first_at: Date;
    last_at: Date;
    ids: string[];
  }>(
    `with c as (
       select id, occurred_at, lon, lat, geom, injuries, deaths, national_road, road_code from traffic_crash
       where occurred_at >= $1 and occurred_at < $2 and (${filter})
     ), centre as (select avg(lon) as lon0, avg(lat) as lat0 from c),
     clustered as (
       select c.*, ST_ClusterDBSCAN(
           ST_Transform(ST_SetSRID(ST_MakePoint(c.lon, c.lat), 4326), format('+proj=aeqd +lat_0=%s +lon_0=%s +ellps=WGS84 +units=m +no_defs', centre.lat0, centre.lon0)),
           eps := $3, minpoints := $4) over () as cid
       from c, centre
     ), spots as (
       select cid, ST_Centroid(ST_Collect(geom::geometry)) as mid, count(*)::int8 as crashes, sum(injuries)::int8 as injuries, sum(deaths)::int8 as deaths,
              count(*) filter (where deaths > 0)::int8 as fatal, count(*) filter (where deaths = 0 and injuries > 0)::int8 as injury,
              bool_or(national_road) as national, coalesce(array_agg(distinct road_code) filter (where road_code is not null), '{}') as road_codes,
              min(occurred_at) as first_at, max(occurred_at) as last_at, array_agg(id::text order by occurred_at desc) as ids, array_agg(geom) as geoms
       from clustered where cid is not null group by cid
     )
     select ST_X(mid) as lon, ST_Y(mid) as lat,
            (select max(ST_Distance(g, mid::geography)) from unnest(geoms) as g) as radius_m,
            crashes, injuries, deaths, fatal, injury, national, road_codes, first_at, last_at, ids
     from spots
     order by fatal * $5 + injury * $6 + (crashes - fatal - injury) * $7 desc, crashes desc, last_at desc
     limit $8`,
    [q.from.toISOString(), q.to.toISOString(), q.epsM, q.minCrashes, EPDO_WEIGHTS.fatal, EPDO_WEIGHTS.injury, EPDO_WEIGHTS.damageOnly, q.limit, ...params],
  );
  return rows.map((r, i) => ({
    rank: i + 1,
    center: { lon: r.lon, lat: r.lat },
    radiusM: Math.round(r.radius_m * 10) / 10,
    crashes: r.crashes,
    injuries: r.injuries,
    deaths: r.deaths,
    fatalCrashes: r.fatal,
    injuryCrashes: r.injury,
    severityIndex: r.fatal * EPDO_WEIGHTS.fatal + r.injury * EPDO_WEIGHTS.injury + (r.crashes - r.fatal - r.injury) * EPDO_WEIGHTS.damageOnly,
    nationalRoad: r.national,
    roadCodes: r.road_codes,
    firstAt: new Date(r.first_at).toISOString(),
    lastAt: new Date(r.last_at).toISOString(),
    crashIds: r.ids.slice(0, 100),
  }));
}

/** Crashes, injuries and deaths per year (Kazakhstan time), national roads apart, year on year. */
export async function crashStats(kernel: Kernel, jurisdictions: readonly string[], from: number, to: number): Promise<YearStats[]> {
  const [filter, params] = jurisdictionFilter('kato', jurisdictions, 3);
  const year = `extract(year from (occurred_at at time zone 'UTC') + make_interval(hours => ${KZ_UTC_OFFSET_H}))::int`;
  const rows = await kernel.db.query<{ year: number; crashes: number; injuries: number; deaths: number; n_crashes: number; n_injuries: number; n_deaths: number }>(
    `select ${year} as year, count(*)::int8 as crashes, sum(injuries)::int8 as injuries, sum(deaths)::int8 as deaths,
            count(*) filter (where national_road)::int8 as n_crashes,
            coalesce(sum(injuries) filter (where national_road), 0)::int8 as n_injuries,
            coalesce(sum(deaths) filter (where national_road), 0)::int8 as n_deaths
     from traffic_crash where ${year} between $1 and $2 and (${filter}) group by 1 order by 1`,
    [from - 1, to, ...params],
  );
  const [firstFilter, firstParams] = jurisdictionFilter('kato', jurisdictions, 1);
  const [{ first }] = await kernel.db.query<{ first: number | null }>(`select min(${year}) as first from traffic_crash where (${firstFilter})`, firstParams);
  return yearOnYear(
    rows.map((r) => ({ year: r.year, crashes: r.crashes, injuries: r.injuries, deaths: r.deaths, nationalCrashes: r.n_crashes, nationalInjuries: r.n_injuries, nationalDeaths: r.n_deaths })),
    from,
    to,
    first,
  );
}

/** The default black-spot period: the last TARTIP_TRAFFIC_BLACKSPOT_DAYS days. */
export function defaultPeriod(kernel: Kernel): Period {
  const to = kernel.clock.now();
  return { from: new Date(to.getTime() - roadSettings(kernel).blackSpot.days * 86_400_000), to: new Date(to.getTime() + 1) };
}
