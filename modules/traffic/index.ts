import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import { LOCALES, type Locale } from '../../packages/kernel/src/i18n/index.ts';
import { defineModule } from '../../packages/kernel/src/module.ts';
import type { OwnerLookup, TrafficPart } from './contract.ts';
import { CAMERA_CLOCK, CAMERA_REGISTERED, CAMERA_UPDATED, type CameraChanged, SECTION_CREATED, SECTION_UPDATED, type SectionChanged } from './events.ts';
import { rebuild } from './ingest.ts';
import { plateReadIntake } from './intake.ts';
import { startJobs } from './jobs.ts';
import { messages } from './messages.ts';
import { startTrafficMqtt } from './mqtt.ts';
import { roadsPart } from './roads/index.ts';
import { liveRoutes } from './live.ts';
import { trafficRoutes } from './routes.ts';
import { runtime } from './runtime.ts';
import { seedDemoTraffic, startDemoClock } from './seed.ts';
import { ownerOf as registeredOwnerOf, vehiclesPart } from './vehicles/index.ts';

/**
 * traffic — road safety: the read pipeline (cameras, ANPR intake, section control, violations, penalties,
 * verification, notices; this folder), the vehicle register and «Қорғау» (vehicles/), crashes, inspections
 * and defects (roads/). The parts meet at ./contract.ts. See README.md.
 */
export type { NewViolation, OwnerLookup, OwnerRecord, PlateRead, ReadObserver, TrafficPart, VehicleClass, VehicleOwner, ViolationSink } from './contract.ts';
export { PLATE_READ } from './events.ts';
export { recordViolations, violationSink } from './violations.ts';
export { normalisePlate } from './domain/plates.ts';

const here = dirname(fileURLToPath(import.meta.url));
const PARTS: TrafficPart[] = [vehiclesPart, roadsPart];

function mergedMessages(): Record<Locale, Record<string, string>> {
  const out = Object.fromEntries(LOCALES.map((l) => [l, { ...messages[l] }])) as Record<Locale, Record<string, string>>;
  for (const p of PARTS) if (p.messages) for (const l of LOCALES) Object.assign(out[l], p.messages[l]);
  return out;
}

/**
 * The vehicle register's keeper of a plate, for notices: the part's own OwnerLookup if it gives one, else the
 * register's exported `ownerOf` (which audits its read).
 */
function registerOwners(kernel: Kernel): OwnerLookup {
  return {
    ownerOf: async (plate) => {
      const v = await registeredOwnerOf(kernel, plate, { actor: 'system:traffic-notice', purpose: 'notice of a confirmed violation' });
      if (!v) return null;
      return {
        owner: { kind: v.owner.kind, name: v.owner.name, idNumber: v.owner.iin || null, address: v.owner.address || null },
        vehicle: { make: v.make, model: v.model, colour: null, vehicleClass: v.class },
      };
    },
  };
}

/** Keeps this process's registry in step with cameras and sections changed by other processes. */
async function followRegistry(kernel: Kernel): Promise<() => Promise<void>> {
  const rt = runtime(kernel);
  const subs = await Promise.all([
    kernel.bus.subscribe({ subject: 'traffic.camera.>' }, async (e) => {
      if ([CAMERA_REGISTERED, CAMERA_UPDATED, CAMERA_CLOCK].includes(e.subject)) await rt.reloadCamera(kernel, (e.data as CameraChanged).cameraId);
    }),
    kernel.bus.subscribe({ subject: 'traffic.section.>' }, async (e) => {
      if ([SECTION_CREATED, SECTION_UPDATED].includes(e.subject)) await rt.reloadSection(kernel, (e.data as SectionChanged).sectionId);
    }),
  ]);
  return async () => {
    for (const s of subs) await s.unsubscribe();
  };
}

export default defineModule({
  name: 'traffic',
  migrationsDir: join(here, 'migrations'),
  messages: mergedMessages(),
  routes: async (app, kernel) => {
    await trafficRoutes(app, kernel);
    await liveRoutes(app, kernel);
    for (const p of PARTS) await p.routes?.(app, kernel);
  },
  subscribers: [plateReadIntake, ...PARTS.flatMap((p) => p.subscribers ?? [])],
  start: async (kernel) => {
    const rt = runtime(kernel);
    await rt.load(kernel);
    rt.observers = PARTS.flatMap((p) => p.observers?.(kernel) ?? []);
    rt.ownerLookup = PARTS.find((p) => p.ownerLookup)?.ownerLookup?.(kernel) ?? registerOwners(kernel);
    const seeded = await seedDemoTraffic(kernel);
    if (seeded > 0) kernel.log.info({ cameras: seeded }, 'traffic: demo cameras and section seeded');
    const unfollow = await followRegistry(kernel);
    const rebuilt = await rebuild(kernel);
    if (rebuilt.reads > 0) kernel.log.info(rebuilt, 'traffic: section engine rebuilt from stored reads');
    const stopJobs = startJobs(kernel);
    const stopDemoClock = startDemoClock(kernel);
    const mqtt = await startTrafficMqtt(kernel);
    const stops: (() => Promise<void>)[] = [];
    for (const p of PARTS) if (p.start) stops.push(await p.start(kernel));
    return async () => {
      for (const s of stops.reverse()) await s();
      await mqtt?.stop();
      await stopDemoClock();
      await stopJobs();
      await unfollow();
    };
  },
});
