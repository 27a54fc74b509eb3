import type { TrafficPart } from '../contract.ts';

/** The roads part of the traffic module (see ../contract.ts). Being built: filled in by its owner. */
export const roadsPart: TrafficPart = {};
