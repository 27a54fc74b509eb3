import { useEffect, useRef } from 'react';
import { Icon } from '../../components/Icon.tsx';
import { beep } from '../../lib/beep.ts';
import type { AssistCall } from '../../lib/dispatch.ts';
import type { LonLat } from '../../lib/geoMath.ts';
import { formatDateTime } from '../../lib/format.ts';
import { useLang } from '../../lib/lang.tsx';
import { RouteHint } from './RouteHint.tsx';

/**
 * Another crew pressed its panic button and this unit is among the nearest: a red banner on top of everything, with
 * the way there, for as long as that incident is open. It sounds (and vibrates, where the device can) when a call
 * first shows, however it reached the tablet: the live stream or the 5-second poll.
 */
export function AssistBanner({ calls, from }: { calls: AssistCall[]; from: LonLat | null }) {
  const { t, lang } = useLang();
  const heard = useRef(new Set<string>());
  useEffect(() => {
    const fresh = calls.filter((c) => !heard.current.has(c.alertId));
    for (const c of fresh) heard.current.add(c.alertId);
    if (fresh.length > 0) {
      beep(6);
      navigator.vibrate?.([400, 200, 400, 200, 400]);
    }
  }, [calls]);
  if (calls.length === 0) return null;
  return (
    <div className="panic-banner" role="alert" data-testid="tablet-assist">
      {calls.map((c) => (
        <div key={c.alertId} className="panic-row" data-alert={c.alertId}>
          <strong>
            <Icon name="alarm" /> {t('tablet.assist', { callSign: c.callSign })}
          </strong>
          <span className="small">{t('tablet.assistWhen', { time: formatDateTime(c.raisedAt, lang) })}</span>
          {c.address && <span className="small">{c.address}</span>}
          <RouteHint from={from} to={c.location} />
        </div>
      ))}
    </div>
  );
}
