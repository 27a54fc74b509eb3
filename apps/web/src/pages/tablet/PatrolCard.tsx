import { useCallback, useEffect, useState } from 'react';
import { api } from '../../lib/api.ts';
import { formatTime } from '../../lib/format.ts';
import type { LonLat } from '../../lib/geoMath.ts';
import { useLang } from '../../lib/lang.tsx';
import { useInterval } from '../../lib/useInterval.ts';
import { RouteHint } from './RouteHint.tsx';

const POLL_MS = 60_000;
const SHOWN = 5;

interface Stop {
  geometry: { coordinates: [number, number] };
  properties: { kind: 'stop'; order: number; arriveAt: string; departAt: string; dwellMinutes: number };
}

/** What `GET /api/v1/analytics/patrol-routes/current` answers: the unit's stops in the plan in force, or nulls. */
export interface CurrentPatrol {
  plan: { id: string; startAt: string; endAt: string } | null;
  /** The unit's route (`kind: 'route'`) and its stops (`kind: 'stop'`). */
  route: { features: { geometry?: unknown; properties: { kind: string } }[] } | null;
}

/** The hotspots still ahead in a patrol route at `now`, in order: the one being patrolled (if any) first. */
export function stopsAhead(current: CurrentPatrol, now: number): Stop[] {
  const stops = (current.route?.features ?? []).filter((f) => f.properties.kind === 'stop') as unknown as Stop[];
  return stops.filter((s) => Date.parse(s.properties.departAt) > now).sort((a, b) => a.properties.order - b.properties.order);
}

/**
 * Between tasks, the patrol the unit was planned (analytics): the next hotspot with how far and which way, how long
 * to stay, and the few after it. Nothing is shown when no plan covers the unit now, or the plan cannot be read.
 */
export function PatrolCard({ unitId, from }: { unitId: string; from: LonLat | null }) {
  const { t, lang } = useLang();
  const [current, setCurrent] = useState<CurrentPatrol | null>(null);
  const [now, setNow] = useState(() => Date.now());

  const load = useCallback(async () => {
    try {
      setCurrent(await api<CurrentPatrol>(`/api/v1/analytics/patrol-routes/current?unitId=${encodeURIComponent(unitId)}`));
    } catch {
      setCurrent(null); // a patrol plan is a help, not the task: without it the tablet works as before
    }
    setNow(Date.now());
  }, [unitId]);
  useEffect(() => {
    void load();
  }, [load]);
  useInterval(() => void load(), POLL_MS);

  if (!current?.plan) return null;
  const ahead = stopsAhead(current, now);
  const next = ahead[0];
  return (
    <section className="patrol-card" data-testid="patrol-card" aria-labelledby="patrol-title">
      <h2 id="patrol-title">{t('tablet.patrol.title')}</h2>
      {next ? (
        <>
          <p className="patrol-next" data-testid="patrol-next">
            {t('tablet.patrol.next', { from: formatTime(next.properties.arriveAt, lang), to: formatTime(next.properties.departAt, lang), minutes: next.properties.dwellMinutes })}
          </p>
          <RouteHint from={from} to={{ lon: next.geometry.coordinates[0], lat: next.geometry.coordinates[1] }} />
          {ahead.length > 1 && (
            <ol className="patrol-later" start={2}>
              {ahead.slice(1, SHOWN).map((s) => (
                <li key={s.properties.order}>{t('tablet.patrol.later', { from: formatTime(s.properties.arriveAt, lang), minutes: s.properties.dwellMinutes })}</li>
              ))}
            </ol>
          )}
        </>
      ) : (
        <p data-testid="patrol-done">{t('tablet.patrol.done')}</p>
      )}
    </section>
  );
}
