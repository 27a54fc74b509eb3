import { formatDistance } from '../../lib/format.ts';
import { bearingDegrees, compassPoint, distanceMeters, type LonLat } from '../../lib/geoMath.ts';
import { useLang } from '../../lib/lang.tsx';

/** Straight-line distance and direction from the unit to the scene, and a link for the device's navigator. */
export function RouteHint({ from, to }: { from: LonLat | null; to: LonLat }) {
  const { t, lang } = useLang();
  const geo = `geo:${to.lat.toFixed(6)},${to.lon.toFixed(6)}`;
  let hint: string;
  let bearing = 0;
  if (from) {
    bearing = bearingDegrees(from, to);
    hint = t('tablet.route', {
      distance: formatDistance(distanceMeters(from, to), lang),
      direction: t(`dir.${compassPoint(bearing)}`),
      degrees: Math.round(bearing),
    });
  } else hint = t('tablet.noPosition');
  return (
    <div className="route-hint" data-testid="route-hint">
      {from && (
        <span className="arrow" aria-hidden="true" style={{ transform: `rotate(${bearing}deg)` }}>
          ↑
        </span>
      )}
      <span>{hint}</span>
      <a className="button-like" href={geo} data-testid="geo-link">
        {t('tablet.openNav')}
      </a>
    </div>
  );
}
