import url from 'virtual:kz-boundaries';
import { decodeKzTopology, type KzTopology, type PickerGeoJson } from './topology.ts';

/** Where the picker's boundaries come from: a static file of the web build, which an anonymous citizen may fetch. */
export const PICKER_BOUNDARIES_URL = url;

let pending: Promise<PickerGeoJson> | null = null;

/**
 * Kazakhstan's districts and region borders for the place picker, fetched once per page load and shared by every
 * picker opened after it (a failure is forgotten, so the next opening tries again).
 */
export function loadPickerBoundaries(): Promise<PickerGeoJson> {
  if (!pending) {
    const p = fetch(PICKER_BOUNDARIES_URL, { headers: { Accept: 'application/json' } }).then(async (res) => {
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return decodeKzTopology((await res.json()) as KzTopology);
    });
    pending = p;
    p.catch(() => {
      if (pending === p) pending = null;
    });
  }
  return pending;
}
