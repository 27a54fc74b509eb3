import type { TrafficPart } from '../contract.ts';

/** The vehicles part of the traffic module (see ../contract.ts). Being built: filled in by its owner. */
export const vehiclesPart: TrafficPart = {};
