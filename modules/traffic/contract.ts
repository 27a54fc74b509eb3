import type { FastifyInstance } from 'fastify';
import type { Kernel } from '../../packages/kernel/src/kernel.ts';
import type { Locale } from '../../packages/kernel/src/i18n/index.ts';
import type { Subscriber } from '../../packages/kernel/src/module.ts';

/**
 * The seams inside the `traffic` module. The read pipeline (cameras, ANPR ingest, section control,
 * violations, penalties) owns the reads; the vehicle register and «Қорғау» (vehicles/) and the roads part
 * (roads/) plug into it through these interfaces, so each part can be built and tested on its own.
 */

/** Vehicle classes used by section limits, the register and penalties. */
export type VehicleClass = 'car' | 'truck' | 'bus' | 'motorcycle' | 'moped' | 'other';

/** One plate read after normalisation, as every observer sees it. */
export interface PlateRead {
  /** Stored read id (UUIDv7). */
  id: string;
  cameraId: string;
  /** Normalised plate: upper case, Latin letters and digits only (Cyrillic look-alikes mapped to Latin). */
  plate: string;
  /** As the camera sent it. */
  plateRaw: string;
  /** ISO 3166-1 alpha-2 when known ('KZ' for a valid Kazakhstan format), else null (foreign or unknown: kept). */
  country: string | null;
  /** The camera's classification, if it gave one. */
  vehicleClass: VehicleClass | null;
  /** When the vehicle passed, by the camera's clock (ISO-8601 UTC). */
  at: string;
  /** The camera's position. */
  lon: number;
  lat: number;
  /** Spot speed measured by the camera, km/h, if any. */
  speedKmh: number | null;
  /** False when the camera's clock was not in sync at `at`: such a read never becomes a timing violation. */
  clockInSync: boolean;
  imageUrl: string | null;
}

/** A violation as any source files it: section control, spot speed, red light, unregistered moped, … */
export interface NewViolation {
  /** e.g. 'average-speed', 'spot-speed', 'red-light', 'unregistered-moped', 'no-insurance'. */
  kind: string;
  plate: string;
  /** When it happened (ISO-8601 UTC). */
  at: string;
  cameraId: string | null;
  /** Measured and allowed speeds (km/h) for speed violations. */
  speedKmh?: number | null;
  limitKmh?: number | null;
  /** The reads that prove it (ids of stored reads). */
  readIds: string[];
  /** Everything else the evidence needs (section, certificates, images, rule version). */
  evidence: Record<string, unknown>;
  /** Idempotency: the same source key twice files one violation. */
  sourceKey: string;
}

/** How observers file violations: through the one violation path (penalty, verification queue, notice). */
export interface ViolationSink {
  record(violations: NewViolation[]): Promise<void>;
}

/**
 * Sees every batch of stored reads, after they are committed, in order. Must be fast (it runs on the ingest
 * path): keep in-memory state, and do database work in bulk. A throwing observer is logged; ingest goes on.
 */
export interface ReadObserver {
  name: string;
  observe(reads: readonly PlateRead[], sink: ViolationSink): Promise<void>;
}

/** The registered keeper of a vehicle, as a notice names them. */
export interface VehicleOwner {
  kind: 'person' | 'organisation';
  name: string;
  /** ИИН of a person or БИН of an organisation, when known. */
  idNumber: string | null;
  address: string | null;
}

export interface OwnerRecord {
  owner: VehicleOwner;
  vehicle: { make: string | null; model: string | null; colour: string | null; vehicleClass: VehicleClass | null } | null;
}

/**
 * Who a plate was registered to at a time — the vehicle register answers (vehicles part). Until a part
 * provides one, the read pipeline uses a lookup that knows no owner, and notices say "owner unknown".
 * (Added with the read pipeline; optional in TrafficPart, so existing parts stay valid.)
 */
export interface OwnerLookup {
  ownerOf(plate: string, at: string): Promise<OwnerRecord | null>;
}

/** What each part of the module contributes; `index.ts` composes them into the module definition. */
export interface TrafficPart {
  routes?: (app: FastifyInstance, kernel: Kernel) => Promise<void>;
  subscribers?: Subscriber[];
  messages?: Record<Locale, Record<string, string>>;
  /** Observers of the read pipeline (vehicles: flagged vehicles, cloned plates, unregistered mopeds). */
  observers?: (kernel: Kernel) => ReadObserver[];
  /** The vehicle register's owner lookup, for notices (vehicles part; added with the read pipeline). */
  ownerLookup?: (kernel: Kernel) => OwnerLookup;
  /** Background work; returns its stopper. */
  start?: (kernel: Kernel) => Promise<() => Promise<void>>;
}
