import { useEffect, useState } from 'react';
import { api } from '../lib/api.ts';
import type { DistrictProps, FeatureCollection, RegionProps } from './geo.ts';

export interface Boundaries {
  regions: FeatureCollection<RegionProps> | null;
  districts: FeatureCollection<DistrictProps> | null;
}

/** Regions and districts from the geo API (signed-in users), for maps that draw them as context. */
export function useBoundaries(): Boundaries {
  const [b, setB] = useState<Boundaries>({ regions: null, districts: null });
  useEffect(() => {
    const ctl = new AbortController();
    const ignore = (e: unknown) => {
      if ((e as Error).name !== 'AbortError') console.error('boundaries', e);
    };
    api<FeatureCollection<RegionProps>>('/api/v1/geo/regions', { signal: ctl.signal })
      .then((regions) => setB((p) => ({ ...p, regions })))
      .catch(ignore);
    api<FeatureCollection<DistrictProps>>('/api/v1/geo/districts', { signal: ctl.signal })
      .then((districts) => setB((p) => ({ ...p, districts })))
      .catch(ignore);
    return () => ctl.abort();
  }, []);
  return b;
}
