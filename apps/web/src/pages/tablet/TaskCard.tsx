import type { LonLat } from '../../lib/geoMath.ts';
import { isApproximate, type MyIncident } from '../../lib/dispatch.ts';
import { formatLatLon } from '../../lib/format.ts';
import { useLang } from '../../lib/lang.tsx';
import { categoryName, useCategories } from '../../lib/useCategories.ts';
import { IncidentStatusLabel, PriorityBadge } from '../ops/Badges.tsx';
import { PremiseFlags } from '../ops/PremiseFlags.tsx';
import { RouteHint } from './RouteHint.tsx';
import { Icon } from '../../components/Icon.tsx';

/** The task: what, where, the warnings about the address and which way to go. */
export function TaskCard({ assignment, from }: { assignment: { incident: MyIncident }; from: LonLat | null }) {
  const { t, lang } = useLang();
  const categories = useCategories();
  const i = assignment.incident;
  return (
    <section className="task-card" data-testid="task" data-incident={i.id}>
      <h2>
        <PriorityBadge priority={i.priority} /> {categoryName(categories, i.category, lang)}
      </h2>
      {i.status && (
        <p>
          <IncidentStatusLabel status={i.status} />
        </p>
      )}
      <PremiseFlags flags={i.premiseFlags} />
      <p className="task-address">
        <Icon name="pin" /> {i.address ?? formatLatLon(i.location.lat, i.location.lon)}
      </p>
      {isApproximate(i.locationPrecision) && (
        // The point is a street's, a place's or a district's middle: the way below leads there, not to the door.
        <p className="notice" role="note" data-testid="task-approximate" data-precision={i.locationPrecision}>
          ≈ {t('ops.approximateShort')}
        </p>
      )}
      {i.description && <p className="task-description">{i.description}</p>}
      <RouteHint from={from} to={i.location} />
      <p className="muted small">
        {t('ops.number')}: <code>{i.id}</code>
      </p>
    </section>
  );
}
