import { z } from 'zod';

/**
 * NENA EIDO (NENA-STA-021.1a-2022) export of an incident, and a hand-ported zod schema of the parts we emit.
 * Hand-ported because the published `Schema/openapi.yaml` has known defects (agencyType/AgentType outside
 * `components.schemas`, the `enforcmentUnitName` typo among required fields, `updatedCBNIdentifierURI` vs
 * `…Uri`); see ops-center.md §2.2. Every component carries the Prologue (`$id`, `lastUpdateTimeStamp`, …) and
 * components refer to each other with `{ "$ref": "<$id>" }`. Pure.
 */

// ---- schema -------------------------------------------------------------------------------------------------

const Ref = z.strictObject({ $ref: z.string().min(1) });
const Prologue = {
  $id: z.string().min(1),
  lastUpdateTimeStamp: z.iso.datetime({ offset: true }),
  owningAgencyIdentifier: z.string().optional(),
  updatedByAgentIdentifier: z.string().optional(),
};

export const EidoAgent = z.strictObject({
  ...Prologue,
  agentIdentification: z.string().min(1),
  agentRoleRegistryText: z.array(z.string()).optional(),
});

export const EidoIncident = z.strictObject({
  ...Prologue,
  incidentTypeCommonRegistryText: z.string().min(1),
  incidentTypeInternalCode: z.string().optional(),
  incidentTypeInternalText: z.string().optional(),
  incidentStatusCommonRegistryText: z.string().optional(),
  incidentStatusInternalText: z.array(z.string()).optional(),
  internalIncidentId: z.string().optional(),
  incidentCommonPriorityNumber: z.number().int().optional(),
  incidentPriorityInternalText: z.string().optional(),
  beatOrDispatchGroupText: z.string().optional(),
  locationReference: z.array(Ref).optional(),
  agentReference: z.array(Ref).optional(),
  notesReference: Ref.optional(),
});

/** GeoJSON point (RFC 7946, [lon, lat]). */
const GeoJsonPoint = z.strictObject({
  type: z.literal('Point'),
  coordinates: z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]),
});

export const EidoLocation = z.strictObject({
  ...Prologue,
  locationTypeDescriptionRegistryText: z.string().min(1),
  /** PIDF-LO (RFC 4119 / 5491) document with a GML point, as EIDO carries it. */
  locationByValue: z.string().regex(/<presence[\s\S]*<gml:pos>-?\d+(\.\d+)? -?\d+(\.\d+)?<\/gml:pos>[\s\S]*<\/presence>/),
  locationDescriptionText: z.string().optional(),
  /** Extension: the same point as GeoJSON, for consumers that do not parse PIDF-LO. */
  locationGeoJson: GeoJsonPoint,
});

export const EidoResource = z.strictObject({
  ...Prologue,
  emergencyResourceTypeCommonRegistryText: z.string().min(1),
  emergencyResourceTypeInternalText: z.string().optional(),
  resourceAttributeRegistryText: z.array(z.string()),
  enforcementUnitName: z.string().min(1),
  enforcementUnitIdentification: z.string().optional(),
  primaryUnitStatusRegistryText: z.string().min(1),
  secondaryUnitStatusRegistryText: z.array(z.string()),
  unitStatusInternal: z.array(z.string()).optional(),
  agentReference: z.array(Ref),
  unitLocationReference: Ref.optional(),
});

export const EidoDispatch = z.strictObject({
  ...Prologue,
  organizationIdentification: z.string().optional(),
  agentReference: Ref.optional(),
  emergencyResourceReference: z.array(Ref).optional(),
});

export const EidoNotes = z.strictObject({
  ...Prologue,
  notesActionComments: z.string(),
  agentReference: Ref.optional(),
});

export const EidoMerge = z.strictObject({
  ...Prologue,
  incidentTrackingIdentification: z.string().min(1),
  incidentMergeDirectionCode: z.enum(['REPLACING', 'REPLACED', 'SPLIT']),
  agentReference: Ref.optional(),
});

export const EidoLink = z.strictObject({
  ...Prologue,
  incidentTrackingIdentification: z.string().min(1),
  linkDirectionCode: z.enum(['PARENT', 'CHILD', 'RELATED', 'UNLINK']),
  transactionReasonText: z.string().optional(),
  agentReference: Ref.optional(),
});

export const Eido = z
  .strictObject({
    ...Prologue,
    EIDOVersion: z.literal('1.0'),
    incidentTrackingIdentifier: z.string().min(1),
    reasonForIssueRegistryText: z.string().min(1),
    issuingElementIdentification: z.string().min(1),
    agentReference: Ref,
    agentComponent: z.array(EidoAgent).min(1),
    incidentComponent: z.array(EidoIncident).length(1),
    locationInformationComponent: z.array(EidoLocation).min(1),
    emergencyResourceComponent: z.array(EidoResource),
    dispatchComponent: z.array(EidoDispatch),
    notesComponent: z.array(EidoNotes),
    mergeComponent: z.array(EidoMerge),
    linkComponent: z.array(EidoLink),
  })
  .superRefine((doc, ctx) => {
    // Every $ref points at a component of this document, and every $id is unique.
    const ids = new Set<string>();
    const all = [
      doc,
      ...doc.agentComponent,
      ...doc.incidentComponent,
      ...doc.locationInformationComponent,
      ...doc.emergencyResourceComponent,
      ...doc.dispatchComponent,
      ...doc.notesComponent,
      ...doc.mergeComponent,
      ...doc.linkComponent,
    ];
    for (const c of all) {
      if (ids.has(c.$id)) ctx.addIssue({ code: 'custom', message: `duplicate $id ${c.$id}`, path: ['$id'] });
      ids.add(c.$id);
    }
    const refs: string[] = [];
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === '$ref' && typeof x === 'string') refs.push(x);
          else walk(x);
        }
      }
    };
    walk(doc);
    for (const r of refs) if (!ids.has(r)) ctx.addIssue({ code: 'custom', message: `dangling $ref ${r}`, path: [] });
  });
export type Eido = z.infer<typeof Eido>;

// ---- builder ------------------------------------------------------------------------------------------------

export interface EidoInput {
  agency: string;
  incident: {
    id: string;
    status: string;
    priority: 'P1' | 'P2' | 'P3' | 'P4';
    category: string;
    categoryText: string;
    apco: string;
    location: { lon: number; lat: number };
    address: string | null;
    kato: string | null;
    createdBy: string;
    updatedAt: string;
    receivedAt: string;
  };
  /** Every assignment, oldest first (a unit sent twice is here twice). */
  units: {
    id: string;
    callSign: string;
    type: string;
    status: string;
    flags: string[];
    crew: string[];
    assignedBy: string;
    assignedAt: string;
    position: { lon: number; lat: number; at: string } | null;
  }[];
  notes: { seq: number; at: string; actor: string; text: string }[];
  merges: { otherId: string; direction: 'REPLACING' | 'REPLACED'; at: string; actor: string }[];
  links: { otherId: string; kind: 'PARENT' | 'CHILD' | 'RELATED'; at: string; actor: string }[];
}

/** Incident status → EIDO incident status registry text. */
const STATUS_TEXT: Record<string, string> = {
  RECEIVED: 'Received',
  TRIAGED: 'Received',
  PENDING: 'Pending',
  DISPATCHED: 'Dispatched',
  EN_ROUTE: 'Dispatched',
  ON_SCENE: 'OnScene',
  CLEARED: 'Cleared',
  CLOSED: 'Closed',
  CANCELLED: 'Cancelled',
  MERGED: 'Merged',
};

/** Unit status → EIDO primary unit status registry text. */
const UNIT_STATUS_TEXT: Record<string, string> = {
  AVAILABLE: 'Available',
  DISPATCHED: 'Dispatched',
  EN_ROUTE: 'Enroute',
  ON_SCENE: 'OnScene',
  RETURNING: 'Returning',
  BUSY: 'Busy',
  OUT_OF_SERVICE: 'OutOfService',
};

const RESOURCE_TYPE: Record<string, string> = {
  PATROL_CAR: 'LawEnforcement.PatrolCar',
  FOOT_PATROL: 'LawEnforcement.FootPatrol',
  NATIONAL_GUARD: 'LawEnforcement.NationalGuard',
  TRAFFIC_POLICE: 'LawEnforcement.TrafficUnit',
};

const PRIORITY_NUMBER = { P1: 1, P2: 2, P3: 3, P4: 4 } as const;

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const escapeHtml = escapeXml;

export const trackingId = (agency: string, incidentId: string) => `urn:emergency:uid:incidentid:${incidentId}:${agency}`;

export function pidfLo(entity: string, p: { lon: number; lat: number }, at: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" xmlns:gml="http://www.opengis.net/gml" entity="${escapeXml(entity)}">` +
    '<tuple id="location"><status><gp:geopriv><gp:location-info>' +
    `<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>${p.lat} ${p.lon}</gml:pos></gml:Point>` +
    '</gp:location-info><gp:usage-rules/></gp:geopriv></status>' +
    `<timestamp>${at}</timestamp></tuple></presence>`
  );
}

export function buildEido(x: EidoInput): Eido {
  const base = `incidentid:${x.incident.id}:${x.agency}`;
  const inc = x.incident;
  const prologue = (id: string, at: string, by: string) => ({ $id: `${base}:${id}`, lastUpdateTimeStamp: at, owningAgencyIdentifier: x.agency, updatedByAgentIdentifier: by });
  const agentId = (actor: string) => `${actor}@${x.agency}`;

  // Agents: whoever created the incident, assigned a unit, wrote a note, merged or linked — and each crew member.
  const agents = new Map<string, z.infer<typeof EidoAgent>>();
  const agentRef = (actor: string, role: string) => {
    const key = `agent:${actor}`;
    if (!agents.has(key)) agents.set(key, { ...prologue(key, inc.updatedAt, agentId(actor)), agentIdentification: agentId(actor), agentRoleRegistryText: [role] });
    return { $ref: `${base}:${key}` };
  };
  const creator = agentRef(inc.createdBy, 'Call Taking');

  const location = {
    ...prologue('location:0', inc.updatedAt, agentId(inc.createdBy)),
    locationTypeDescriptionRegistryText: 'IncidentLocation',
    locationByValue: pidfLo(`pres:${inc.id}@${x.agency}`, inc.location, inc.receivedAt),
    ...(inc.address ? { locationDescriptionText: inc.address } : {}),
    locationGeoJson: { type: 'Point' as const, coordinates: [inc.location.lon, inc.location.lat] as [number, number] },
  };
  const locations = [location];

  // A unit sent twice (released, then sent again) is one resource, described as it was last assigned; each
  // assignment is a dispatch of its own.
  const lastOf = new Map<string, (typeof x.units)[number]>();
  for (const u of x.units) lastOf.set(u.id, u);
  const resources = [...lastOf.values()].map((u) => {
    let unitLocationReference: { $ref: string } | undefined;
    if (u.position) {
      const id = `location:unit:${u.id}`;
      locations.push({
        ...prologue(id, u.position.at, agentId(u.callSign)),
        locationTypeDescriptionRegistryText: 'UnitLocation',
        locationByValue: pidfLo(`pres:${u.id}@${x.agency}`, u.position, u.position.at),
        locationGeoJson: { type: 'Point', coordinates: [u.position.lon, u.position.lat] },
      });
      unitLocationReference = { $ref: `${base}:${id}` };
    }
    return {
      ...prologue(`resource:${u.id}`, u.assignedAt, agentId(u.assignedBy)),
      emergencyResourceTypeCommonRegistryText: RESOURCE_TYPE[u.type] ?? 'LawEnforcement',
      emergencyResourceTypeInternalText: u.type,
      resourceAttributeRegistryText: [],
      enforcementUnitName: u.callSign,
      enforcementUnitIdentification: u.id,
      primaryUnitStatusRegistryText: UNIT_STATUS_TEXT[u.status] ?? u.status,
      secondaryUnitStatusRegistryText: u.flags.map((f) => (f === 'PANIC' ? 'Emergency' : f)),
      unitStatusInternal: [u.status, ...u.flags],
      agentReference: u.crew.map((c) => agentRef(c, 'Responder')),
      ...(unitLocationReference ? { unitLocationReference } : {}),
    };
  });

  const sent = new Map<string, number>();
  const dispatches = x.units.map((u) => {
    const n = (sent.get(u.id) ?? 0) + 1;
    sent.set(u.id, n);
    return {
      ...prologue(n === 1 ? `dispatch:${u.id}` : `dispatch:${u.id}:${n}`, u.assignedAt, agentId(u.assignedBy)),
      organizationIdentification: x.agency,
      agentReference: agentRef(u.assignedBy, 'Dispatching'),
      emergencyResourceReference: [{ $ref: `${base}:resource:${u.id}` }],
    };
  });

  const notes = x.notes.map((n) => ({
    ...prologue(`note:${n.seq}`, n.at, agentId(n.actor)),
    notesActionComments: `<p>${escapeHtml(n.text)}</p>`,
    agentReference: agentRef(n.actor, 'Note'),
  }));

  const merges = x.merges.map((m, i) => ({
    ...prologue(`merge:${i}`, m.at, agentId(m.actor)),
    incidentTrackingIdentification: trackingId(x.agency, m.otherId),
    incidentMergeDirectionCode: m.direction,
    agentReference: agentRef(m.actor, 'Dispatching'),
  }));

  const links = x.links.map((l, i) => ({
    ...prologue(`link:${i}`, l.at, agentId(l.actor)),
    incidentTrackingIdentification: trackingId(x.agency, l.otherId),
    linkDirectionCode: l.kind,
    agentReference: agentRef(l.actor, 'Dispatching'),
  }));

  return {
    ...prologue('header', inc.updatedAt, agentId(inc.createdBy)),
    EIDOVersion: '1.0',
    incidentTrackingIdentifier: trackingId(x.agency, inc.id),
    reasonForIssueRegistryText: 'Update',
    issuingElementIdentification: `cad.${x.agency}`,
    agentReference: creator,
    agentComponent: [...agents.values()],
    incidentComponent: [
      {
        ...prologue('incident:0', inc.updatedAt, agentId(inc.createdBy)),
        incidentTypeCommonRegistryText: inc.apco,
        incidentTypeInternalCode: inc.category,
        incidentTypeInternalText: inc.categoryText,
        incidentStatusCommonRegistryText: STATUS_TEXT[inc.status] ?? inc.status,
        incidentStatusInternalText: [inc.status],
        internalIncidentId: inc.id,
        incidentCommonPriorityNumber: PRIORITY_NUMBER[inc.priority],
        incidentPriorityInternalText: inc.priority,
        ...(inc.kato ? { beatOrDispatchGroupText: inc.kato } : {}),
        locationReference: [{ $ref: location.$id }],
        agentReference: [creator],
      },
    ],
    locationInformationComponent: locations,
    emergencyResourceComponent: resources,
    dispatchComponent: dispatches,
    notesComponent: notes,
    mergeComponent: merges,
    linkComponent: links,
  };
}
