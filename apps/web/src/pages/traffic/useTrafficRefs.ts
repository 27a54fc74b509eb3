import { useEffect, useState } from 'react';
import { type Camera, type Section, trafficApi } from '../../lib/traffic.ts';

export interface TrafficRefs {
  cameras: Map<string, Camera>;
  sections: Map<string, Section>;
}

/** Cameras and sections by id, to name the place of a violation (loaded once per screen). */
export function useTrafficRefs(): TrafficRefs {
  const [refs, setRefs] = useState<TrafficRefs>({ cameras: new Map(), sections: new Map() });
  useEffect(() => {
    const ctl = new AbortController();
    Promise.all([trafficApi.cameras(ctl.signal), trafficApi.sections(ctl.signal)])
      .then(([cameras, sections]) => setRefs({ cameras: new Map(cameras.map((c) => [c.id, c])), sections: new Map(sections.map((s) => [s.id, s])) }))
      .catch((e: unknown) => {
        if ((e as Error).name !== 'AbortError') console.error('traffic cameras and sections', e);
      });
    return () => ctl.abort();
  }, []);
  return refs;
}

/** Where a violation happened, in words: its section, else its camera, else nothing. */
export function placeName(refs: TrafficRefs, v: { sectionId: string | null; cameraId: string | null }): string | null {
  if (v.sectionId) {
    const s = refs.sections.get(v.sectionId);
    if (s) return s.name;
  }
  if (v.cameraId) {
    const c = refs.cameras.get(v.cameraId);
    if (c) return c.name;
  }
  return null;
}
