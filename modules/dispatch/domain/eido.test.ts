import { describe, expect, it } from 'vitest';
import { buildEido, Eido, type EidoInput } from './eido.ts';

const input: EidoInput = {
  agency: 'tartip.kz',
  incident: {
    id: '0190c0de-0000-7000-8000-00000000000a',
    status: 'ON_SCENE',
    priority: 'P1',
    category: 'assault',
    categoryText: 'Assault',
    apco: 'ASSAULT',
    location: { lon: 76.9286, lat: 43.2567 },
    address: 'Abylai Khan Ave 1 <b>',
    kato: '751110000',
    createdBy: 'user:operator',
    updatedAt: '2026-03-01T10:05:00.000Z',
    receivedAt: '2026-03-01T10:00:00.000Z',
  },
  units: [
    {
      id: 'u1',
      callSign: 'ALM-101',
      type: 'PATROL_CAR',
      status: 'ON_SCENE',
      flags: ['PANIC'],
      crew: ['officer'],
      assignedBy: 'user:dispatcher',
      assignedAt: '2026-03-01T10:00:40.000Z',
      position: { lon: 76.929, lat: 43.257, at: '2026-03-01T10:04:00.000Z' },
    },
  ],
  notes: [{ seq: 7, at: '2026-03-01T10:05:00.000Z', actor: 'user:officer', text: 'Two detained & <script>' }],
  merges: [{ otherId: 'x2', direction: 'REPLACING', at: '2026-03-01T10:02:00.000Z', actor: 'user:dispatcher' }],
  links: [{ otherId: 'x3', kind: 'RELATED', at: '2026-03-01T10:03:00.000Z', actor: 'user:dispatcher' }],
};

describe('EIDO export', () => {
  it('builds a document that validates against the hand-ported schema', () => {
    const doc = buildEido(input);
    expect(Eido.safeParse(doc).error?.issues ?? []).toEqual([]);
    expect(doc.EIDOVersion).toBe('1.0');
    expect(doc.incidentComponent[0]).toMatchObject({ incidentTypeCommonRegistryText: 'ASSAULT', incidentCommonPriorityNumber: 1, incidentStatusCommonRegistryText: 'OnScene' });
    expect(doc.emergencyResourceComponent[0]).toMatchObject({ enforcementUnitName: 'ALM-101', primaryUnitStatusRegistryText: 'OnScene', secondaryUnitStatusRegistryText: ['Emergency'] });
    expect(doc.locationInformationComponent[0].locationGeoJson).toEqual({ type: 'Point', coordinates: [76.9286, 43.2567] });
    expect(doc.locationInformationComponent[0].locationByValue).toContain('<gml:pos>43.2567 76.9286</gml:pos>');
    expect(doc.notesComponent[0].notesActionComments).toBe('<p>Two detained &#38; &#60;script&#62;</p>');
    expect(doc.mergeComponent[0]).toMatchObject({ incidentMergeDirectionCode: 'REPLACING', incidentTrackingIdentification: 'urn:emergency:uid:incidentid:x2:tartip.kz' });
    expect(doc.linkComponent[0].linkDirectionCode).toBe('RELATED');
  });

  it('a unit released and sent again is one resource with two dispatches, and the document still validates', () => {
    const first = { ...input.units[0], status: 'AVAILABLE', flags: [], assignedAt: '2026-03-01T10:00:40.000Z' };
    const again = { ...input.units[0], assignedAt: '2026-03-01T10:06:00.000Z' };
    const doc = buildEido({ ...input, units: [first, again] });
    expect(Eido.safeParse(doc).error?.issues ?? []).toEqual([]);
    expect(doc.emergencyResourceComponent).toHaveLength(1);
    expect(doc.emergencyResourceComponent[0]).toMatchObject({ primaryUnitStatusRegistryText: 'OnScene', lastUpdateTimeStamp: '2026-03-01T10:06:00.000Z' });
    expect(doc.dispatchComponent.map((d) => [d.$id.split(':').slice(-2).join(':'), d.lastUpdateTimeStamp])).toEqual([
      ['dispatch:u1', '2026-03-01T10:00:40.000Z'],
      ['u1:2', '2026-03-01T10:06:00.000Z'],
    ]);
    expect(doc.locationInformationComponent.filter((l) => l.$id.endsWith('location:unit:u1'))).toHaveLength(1);
  });

  it('the schema catches broken documents: a dangling $ref, a missing prologue, a wrong version', () => {
    const doc = buildEido(input);
    const dangling = structuredClone(doc);
    dangling.dispatchComponent[0].emergencyResourceReference = [{ $ref: 'nowhere' }];
    expect(Eido.safeParse(dangling).success).toBe(false);
    const noStamp = structuredClone(doc) as Record<string, unknown>;
    delete (noStamp.incidentComponent as Record<string, unknown>[])[0].lastUpdateTimeStamp;
    expect(Eido.safeParse(noStamp).success).toBe(false);
    expect(Eido.safeParse({ ...doc, EIDOVersion: '2.0' }).success).toBe(false);
    expect(Eido.safeParse({ ...doc, emergencyResourceComponent: [{ ...doc.emergencyResourceComponent[0], primaryUnitStatusRegistryText: undefined }] }).success).toBe(false);
  });
});
