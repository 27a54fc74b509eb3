import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { userOf } from '../../apps/server/src/http/authenticate.ts';
import { queryNumber, staff } from '../../apps/server/src/http/context.ts';
import { covers } from '../../packages/kernel/src/auth/jurisdiction.ts';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import type { VehicleClass } from './contract.ts';
import { runtime } from './runtime.ts';

/**
 * Live traffic on the average-speed sections, for the officers' sections map: the vehicles that left each section
 * in the last few minutes, paired with their entry read the way section control pairs them (the latest entry read of
 * the same plate before the exit, within the section's maximum travel time), from the stored reads — so every
 * process answers the same, whichever of them took the reads.
 *
 * These are flow figures, not enforcement: reads the engine counted late are included, and nothing here files or
 * withdraws a violation. Pairs with a read from a camera whose clock was not in sync, and pairs faster than
 * TARTIP_TRAFFIC_MAX_PLAUSIBLE_KMH (misreads, cloned plates), are left out; a plate seen twice at the exit within
 * TARTIP_TRAFFIC_DEDUPE_S counts once.
 */

/** Most pairs read per request: a busy motorway section gives ~2,000 an hour, so this is far more than a window holds. */
const MAX_PAIRS = 100_000;

const SectionLiveOut = z.object({
  sectionId: z.string(),
  name: z.string(),
  lengthM: z.number(),
  /** The car limit, km/h (other classes: `limits` in GET /api/v1/traffic/sections). */
  limitKmh: z.number(),
  pairs: z.number(),
  averageSpeedKmh: z.number().nullable(),
  medianSpeedKmh: z.number().nullable(),
  /** The 85th-percentile speed, the usual measure of what drivers do on a road. */
  p85SpeedKmh: z.number().nullable(),
  /** Pairs above the limit of their vehicle's class (before any tolerance). */
  overLimit: z.number(),
  /** Average speed ÷ car limit (null without pairs). */
  ratio: z.number().nullable(),
  lastExitAt: z.string().nullable(),
});

interface PairRow {
  sid: string;
  plate: string;
  exit_at: Date;
  entry_at: Date;
  cls: string | null;
}

const round1 = (v: number) => Math.round(v * 10) / 10;

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i];
}

/** `GET /api/v1/traffic/sections/live`. Wire with `await liveRoutes(app, kernel)` from the module's routes. */
export async function liveRoutes(app: FastifyInstance, kernel: Kernel): Promise<void> {
  const rt = runtime(kernel);
  app.get(
    '/api/v1/traffic/sections/live',
    {
      config: { access: staff('traffic:read') },
      schema: {
        tags: ['traffic'],
        summary: 'Live average speeds per section: vehicles that left each section in the last `minutes`, paired with their entry read',
        description:
          'Flow figures from the stored reads (every process answers the same), not enforcement: pairs with a read from a camera whose clock was not in sync, and implausibly fast pairs, are left out. `ratio` is the average speed over the car limit.',
        querystring: z.strictObject({ minutes: queryNumber().pipe(z.number().int().min(1).max(180)).default(15) }),
        response: {
          200: z.object({ from: z.string(), to: z.string(), minutes: z.number(), items: z.array(SectionLiveOut) }),
        },
      },
    },
    async (req) => {
      await rt.load(kernel);
      const me = userOf(req);
      const minutes = (req.query as { minutes: number }).minutes;
      const nowMs = kernel.clock.now().getTime();
      const from = new Date(nowMs - minutes * 60_000);
      const to = new Date(nowMs);
      const sections = [...rt.sections.values()]
        .filter((s) => covers(me.jurisdictions, s.kato))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1));
      if (sections.length === 0) return { from: from.toISOString(), to: to.toISOString(), minutes, items: [] };

      // Each exit read in the window with the latest entry read of its plate before it, within the travel time.
      const rows = await kernel.db.query<PairRow>(
        `select distinct on (s.sid, x.id) s.sid::text as sid, x.plate, x.at as exit_at, e.at as entry_at, coalesce(x.vehicle_class, e.vehicle_class) as cls
         from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int4[]) as s(sid, entry_cam, exit_cam, max_s)
         join traffic_read x on x.camera_id = s.exit_cam and x.at >= $5 and x.at <= $6 and x.clock_in_sync
         join traffic_read e on e.camera_id = s.entry_cam and e.plate = x.plate and e.clock_in_sync
           and e.at < x.at and e.at >= x.at - s.max_s * interval '1 second'
         order by s.sid, x.id, e.at desc
         limit $7`,
        [
          sections.map((s) => s.id),
          sections.map((s) => s.entryCameraId),
          sections.map((s) => s.exitCameraId),
          sections.map((s) => s.maxTravelS),
          from.toISOString(),
          to.toISOString(),
          MAX_PAIRS,
        ],
      );

      const bySection = new Map<string, PairRow[]>();
      for (const r of rows) {
        const list = bySection.get(r.sid) ?? [];
        list.push(r);
        bySection.set(r.sid, list);
      }
      const { maxPlausibleKmh, dedupeMs } = rt.settings;
      const items = sections.map((s) => {
        const pairs = (bySection.get(s.id) ?? []).map((r) => ({ ...r, exitMs: new Date(r.exit_at).getTime(), entryMs: new Date(r.entry_at).getTime() }));
        pairs.sort((a, b) => a.exitMs - b.exitMs);
        const lastExitOf = new Map<string, number>();
        const speeds: number[] = [];
        let overLimit = 0;
        let lastExit: number | null = null;
        for (const p of pairs) {
          const seen = lastExitOf.get(p.plate);
          lastExitOf.set(p.plate, p.exitMs);
          if (seen !== undefined && p.exitMs - seen <= dedupeMs) continue; // the same passage read twice
          const speed = s.lengthM / 1000 / ((p.exitMs - p.entryMs) / 3_600_000);
          if (!Number.isFinite(speed) || speed > maxPlausibleKmh) continue;
          speeds.push(speed);
          const limit = s.limits[(p.cls ?? 'car') as VehicleClass] ?? s.limits.car;
          if (speed > limit) overLimit++;
          lastExit = p.exitMs;
        }
        speeds.sort((a, b) => a - b);
        const average = speeds.length > 0 ? speeds.reduce((sum, v) => sum + v, 0) / speeds.length : null;
        const med = percentile(speeds, 0.5);
        const p85 = percentile(speeds, 0.85);
        return {
          sectionId: s.id,
          name: s.name,
          lengthM: s.lengthM,
          limitKmh: s.limits.car,
          pairs: speeds.length,
          averageSpeedKmh: average === null ? null : round1(average),
          medianSpeedKmh: med === null ? null : round1(med),
          p85SpeedKmh: p85 === null ? null : round1(p85),
          overLimit,
          ratio: average === null ? null : Math.round((average / s.limits.car) * 1000) / 1000,
          lastExitAt: lastExit === null ? null : new Date(lastExit).toISOString(),
        };
      });
      return { from: from.toISOString(), to: to.toISOString(), minutes, items };
    },
  );
}
