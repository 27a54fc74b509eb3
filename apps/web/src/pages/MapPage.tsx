import { useCallback, useEffect, useMemo, useState } from 'react';
import { api } from '../lib/api.ts';
import { errorMessage } from '../lib/errors.ts';
import { useLang } from '../lib/lang.tsx';
import {
  toMapAreas,
  toMapLabels,
  toPlaces,
  unionBBox,
  type BBox,
  type DistrictProps,
  type FeatureCollection,
  type Place,
  type RegionProps,
} from '../map/geo.ts';
import { KzMap, type DistrictData, type MapData } from '../map/KzMap.tsx';
import { RegionList } from '../map/RegionList.tsx';
import { RegionPanel } from '../map/RegionPanel.tsx';

interface Loaded {
  regions: Place[];
  map: MapData;
}

interface LoadedDistricts {
  byRegion: Map<string, Place[]>;
  map: DistrictData;
}

/** Home: the map of Kazakhstan with its 20 regions, their districts, and a region list beside it. */
export default function MapPage() {
  const { t } = useLang();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [districts, setDistricts] = useState<LoadedDistricts | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [focus, setFocus] = useState<{ bbox: BBox; n: number } | null>(null);
  const [mapUnavailable, setMapUnavailable] = useState(false);

  useEffect(() => {
    const ctl = new AbortController();
    api<FeatureCollection<RegionProps>>('/api/v1/geo/regions', { signal: ctl.signal })
      .then((fc) => {
        const places = toPlaces(fc);
        setLoaded({
          regions: places,
          map: { regions: toMapAreas(fc), regionLabels: toMapLabels(places), bbox: unionBBox(places.map((p) => p.bbox)) },
        });
      })
      .catch((e: unknown) => {
        if ((e as Error).name !== 'AbortError') setError(e);
      });
    api<FeatureCollection<DistrictProps>>('/api/v1/geo/districts', { signal: ctl.signal })
      .then((fc) => {
        const places = toPlaces(fc);
        const byRegion = new Map<string, Place[]>();
        for (const p of places) {
          const key = p.parentKato ?? '';
          byRegion.set(key, [...(byRegion.get(key) ?? []), p]);
        }
        setDistricts({ byRegion, map: { districts: toMapAreas(fc), districtLabels: toMapLabels(places) } });
      })
      .catch((e: unknown) => {
        if ((e as Error).name !== 'AbortError') setError(e);
      });
    return () => ctl.abort();
  }, []);

  const region = useMemo(
    () => loaded?.regions.find((r) => r.kato === selected) ?? null,
    [loaded, selected],
  );

  const pick = useCallback(
    (kato: string) => {
      setSelected(kato);
      const r = loaded?.regions.find((x) => x.kato === kato);
      if (r) setFocus((f) => ({ bbox: r.bbox, n: (f?.n ?? 0) + 1 }));
    },
    [loaded],
  );

  return (
    <div className={mapUnavailable ? 'map-page no-map' : 'map-page'} data-page="map">
      <h1 className="visually-hidden">{t('map.title')}</h1>
      <div className="map-area">
        <KzMap
          data={loaded?.map ?? null}
          districts={districts?.map ?? null}
          selected={selected}
          focus={focus}
          onSelect={setSelected}
          onUnavailable={() => setMapUnavailable(true)}
        />
      </div>
      <aside className="map-side">
        {error != null && (
          <div role="alert" className="alert">
            {t('map.loadError', { detail: errorMessage(error, t) })}
          </div>
        )}
        {!loaded && error == null && <p className="muted">{t('map.loading')}</p>}
        {region ? (
          <RegionPanel
            region={region}
            districts={districts ? (districts.byRegion.get(region.kato) ?? []) : null}
            onClose={() => setSelected(null)}
          />
        ) : (
          loaded && <p className="muted hint">{t('map.selectHint')}</p>
        )}
        {loaded && <RegionList regions={loaded.regions} selected={selected} onPick={pick} />}
      </aside>
    </div>
  );
}
