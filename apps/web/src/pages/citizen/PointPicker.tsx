import 'maplibre-gl/dist/maplibre-gl.css';
import { type Map as MapLibreMap, Marker } from 'maplibre-gl';
import { useEffect, useRef, useState } from 'react';
import { useLang } from '../../lib/lang.tsx';
import { KZ_BBOX } from '../../map/geo.ts';
import { createMap } from '../../map/mapSetup.ts';
import { MAPLIBRE_ATTRIBUTION } from '../../map/style.ts';

interface Props {
  value: { lon: number; lat: number } | null;
  onPick: (lon: number, lat: number) => void;
}

/** A small map: a tap puts the point. Loaded only when the citizen asks for it. */
export default function PointPicker({ value, onPick }: Props) {
  const { t } = useLang();
  const el = useRef<HTMLDivElement>(null);
  const map = useRef<MapLibreMap | null>(null);
  const marker = useRef<Marker | null>(null);
  const pick = useRef(onPick);
  pick.current = onPick;
  const start = useRef(value);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    if (!el.current) return;
    const v = start.current;
    const m = createMap(el.current, {
      ...(v ? { center: [v.lon, v.lat] as [number, number], zoom: 14 } : { bounds: KZ_BBOX }),
      attributionControl: { compact: true, customAttribution: MAPLIBRE_ATTRIBUTION },
    });
    if (!m) {
      setFailed(true);
      return;
    }
    m.on('click', (e) => pick.current(e.lngLat.lng, e.lngLat.lat));
    map.current = m;
    return () => {
      marker.current = null;
      map.current = null;
      m.remove();
    };
  }, []);

  useEffect(() => {
    const m = map.current;
    if (!m || !value) return;
    marker.current ??= new Marker({ color: '#b91c1c' }).setLngLat([value.lon, value.lat]).addTo(m);
    marker.current.setLngLat([value.lon, value.lat]);
  }, [value]);

  if (failed) return <p className="notice">{t('map.webglError')}</p>;
  return <div ref={el} className="point-picker" data-testid="point-picker" />;
}
