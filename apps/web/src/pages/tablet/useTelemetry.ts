import { useEffect, useRef, useState } from 'react';
import { dispatchApi } from '../../lib/dispatch.ts';
import type { LonLat } from '../../lib/geoMath.ts';

/** At most one position report this often; the server marks a unit stale after two minutes of silence. */
export const SEND_EVERY_MS = 15_000;

interface BatteryManager {
  level: number;
}

/**
 * The tablet as the unit's tracker: follows the device's position and reports it for the unit (NDJSON telemetry),
 * at most every 15 s, keeping the unit on the console's map and among the recommendations. Returns the latest
 * fix, which the route hint prefers to the server's last position. Without permission or a fix it does nothing.
 */
export function useTelemetry(unitId: string | null): LonLat | null {
  const [here, setHere] = useState<LonLat | null>(null);
  const lastSent = useRef(0);
  const battery = useRef<BatteryManager | null>(null);

  useEffect(() => {
    const nav = navigator as Navigator & { getBattery?: () => Promise<BatteryManager> };
    nav.getBattery?.().then((b) => {
      battery.current = b;
    }, () => {});
  }, []);

  useEffect(() => {
    if (!unitId || !('geolocation' in navigator)) return;
    lastSent.current = 0;
    const report = (p: GeolocationPosition) => {
      const fix = { lon: p.coords.longitude, lat: p.coords.latitude };
      setHere(fix);
      const now = Date.now();
      if (now - lastSent.current < SEND_EVERY_MS) return;
      lastSent.current = now;
      const c = p.coords;
      void dispatchApi
        .telemetry([
          {
            unitId,
            at: new Date(Math.min(p.timestamp || now, now)).toISOString(),
            ...fix,
            ...(c.speed != null && c.speed >= 0 ? { speed: Math.min(400, c.speed * 3.6) } : {}),
            ...(c.heading != null && !Number.isNaN(c.heading) ? { heading: c.heading % 360 } : {}),
            ...(battery.current ? { battery: Math.round(battery.current.level * 100) } : {}),
          },
        ])
        .catch(() => {
          lastSent.current = 0; // try again with the next fix
        });
    };
    const options = { enableHighAccuracy: true, maximumAge: 10_000, timeout: 30_000 };
    const id = navigator.geolocation.watchPosition(report, () => {}, options);
    // watchPosition reports only on movement: a parked car still has to say it is there.
    const keepAlive = window.setInterval(() => navigator.geolocation.getCurrentPosition(report, () => {}, options), SEND_EVERY_MS);
    return () => {
      navigator.geolocation.clearWatch(id);
      window.clearInterval(keepAlive);
    };
  }, [unitId]);

  return here;
}
