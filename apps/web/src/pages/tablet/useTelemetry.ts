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
 * While it tracks, it keeps the screen awake (a sleeping tablet would stop reporting).
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
    // A browser stops a hidden page's timers and positions, and a tablet whose screen sleeps hides the page: the
    // unit would go stale on the console. So the screen is kept on while the tablet tracks a unit (Screen Wake Lock;
    // the browser drops the lock whenever the page is hidden, so it is asked for again on return), and a page that
    // comes back reports at once instead of waiting for the next turn.
    let lock: WakeLockSentinel | null = null;
    let stopped = false;
    const holdScreen = () => {
      if (!('wakeLock' in navigator) || document.visibilityState !== 'visible') return;
      navigator.wakeLock.request('screen').then(
        (l) => {
          if (stopped) void l.release().catch(() => {});
          else lock = l;
        },
        () => {}, // refused (battery saver, no user gesture yet): positions still go while the page is visible
      );
    };
    const onVisible = () => {
      if (document.visibilityState !== 'visible') return;
      holdScreen();
      lastSent.current = 0;
      navigator.geolocation.getCurrentPosition(report, () => {}, options);
    };
    holdScreen();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      stopped = true;
      navigator.geolocation.clearWatch(id);
      window.clearInterval(keepAlive);
      document.removeEventListener('visibilitychange', onVisible);
      void lock?.release().catch(() => {});
    };
  }, [unitId]);

  return here;
}
