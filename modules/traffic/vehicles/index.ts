import type { Kernel } from '../../../packages/kernel/src/kernel.ts';
import type { Subscriber } from '../../../packages/kernel/src/module.ts';
import type { OwnerLookup, TrafficPart } from '../contract.ts';
import { SCORE_CHANGED, ScoreChanged, VEHICLE_REGISTERED, VEHICLE_UPDATED, VehicleChanged, VEHICLES_IMPORTED, VehiclesImported } from './events.ts';
import { handleViolationEvent, refreshAllScores, VIOLATION_GROUP } from './korgau.ts';
import { vehicleMessages } from './messages.ts';
import { vehicleObservers } from './observers.ts';
import { every } from '../../../packages/kernel/src/every.ts';
import { ownerOf } from './register.ts';
import { vehicleRoutes } from './routes.ts';
import { reloadFlagged, vehiclesRuntime } from './runtime.ts';

/**
 * The vehicles part of `traffic` (see README.md): the vehicle register, «Қорғау» scores, cloned plates, flagged
 * vehicles and unregistered mopeds. Services for the rest of the module and other modules are exported below.
 */
export { ownerIn, ownerOf, type RegisteredOwner } from './register.ts';
export { recordViolationFacts, refreshScores } from './korgau.ts';
export type { ViolationFact } from './events.ts';

/** Violations (`traffic.violation.*`) → score inputs; durable, exactly once per event. */
const violationSubscriber: Subscriber = { subject: 'traffic.violation.>', group: VIOLATION_GROUP, handle: handleViolationEvent };

/** Keeps this process's flagged set in step with changes made by any process. */
async function followFlags(kernel: Kernel): Promise<() => Promise<void>> {
  const { flagged } = vehiclesRuntime(kernel);
  const subs = await Promise.all([
    kernel.bus.subscribe({ subject: 'traffic.vehicle.>' }, async (event) => {
      if (event.subject === VEHICLE_REGISTERED || event.subject === VEHICLE_UPDATED) {
        const v = VehicleChanged.safeParse(event.data);
        if (v.success) flagged.setWanted(v.data.plate, v.data.wanted ? (v.data.wantedReason ?? '') : null);
      } else if (event.subject === VEHICLES_IMPORTED) {
        const v = VehiclesImported.safeParse(event.data);
        if (!v.success) return;
        for (const w of v.data.wantedSet) flagged.setWanted(w.plate, w.reason);
        for (const plate of v.data.wantedCleared) flagged.setWanted(plate, null);
      }
    }),
    kernel.bus.subscribe({ subject: SCORE_CHANGED }, async (event) => {
      const s = ScoreChanged.safeParse(event.data);
      if (s.success) flagged.setScore(s.data.plate, s.data.flagged ? s.data.score : null);
    }),
  ]);
  return async () => {
    for (const s of subs) await s.unsubscribe();
  };
}


/**
 * The register's answer to the notice code: the keeper of a plate. Ownership history is not kept, so the keeper
 * now stands for the keeper at `at` (a change of keeper between an offence and its notice is not modelled). The
 * read of personal data is audited.
 */
function ownerLookup(kernel: Kernel): OwnerLookup {
  return {
    ownerOf: async (plate, at) => {
      const v = await ownerOf(kernel, plate, { actor: 'system:traffic.notices', purpose: `notice of a violation at ${at}` });
      if (!v) return null;
      return {
        owner: { kind: v.owner.kind, name: v.owner.name, idNumber: v.owner.iin, address: v.owner.address },
        vehicle: { make: v.make, model: v.model, colour: v.colour, vehicleClass: v.class },
      };
    },
  };
}

export const vehiclesPart: TrafficPart = {
  // In its own plugin scope: its NDJSON/CSV content-type parsers do not touch the rest of the app.
  routes: async (app, kernel) => {
    await app.register(async (scope) => vehicleRoutes(scope, kernel));
  },
  subscribers: [violationSubscriber],
  messages: vehicleMessages,
  observers: vehicleObservers,
  ownerLookup,
  start: async (kernel) => {
    const { settings } = vehiclesRuntime(kernel);
    const unfollow = await followFlags(kernel);
    const loaded = await reloadFlagged(kernel);
    kernel.log.info({ flagged: loaded }, 'traffic: flagged vehicles loaded');
    const stopReload = every(kernel.log, settings.flagged.reloadS * 1000, 'traffic: flagged-set reload', () => reloadFlagged(kernel));
    const stopRefresh = settings.score.refreshS > 0 ? every(kernel.log, settings.score.refreshS * 1000, 'traffic: score refresh', () => refreshAllScores(kernel)) : async () => {};
    return async () => {
      await stopRefresh();
      await stopReload();
      await unfollow();
    };
  },
};
