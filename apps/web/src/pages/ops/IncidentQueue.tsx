import { categoryName } from '../../lib/useCategories.ts';
import { type IncidentSummary, isApproximate } from '../../lib/dispatch.ts';
import { formatClock } from '../../lib/format.ts';
import { useLang } from '../../lib/lang.tsx';
import type { Category } from '../../lib/reports.ts';
import { IncidentStatusLabel, PriorityBadge } from './Badges.tsx';
import { SlaCountdown } from './SlaCountdown.tsx';

interface Props {
  queue: IncidentSummary[];
  /** Cleared incidents waiting for the operator's close. */
  cleared: IncidentSummary[];
  selected: string | null;
  onSelect: (id: string) => void;
  categories: Map<string, Category>;
  now: number;
}

/** Open incidents, most urgent and oldest first, each with its age and the time left to its target. */
export function IncidentQueue({ queue, cleared, selected, onSelect, categories, now }: Props) {
  const { t, lang } = useLang();
  return (
    <section className="ops-queue" aria-labelledby="ops-queue-title">
      <h2 id="ops-queue-title">{t('ops.queue', { count: queue.length })}</h2>
      {queue.length === 0 && <p className="muted">{t('ops.queueEmpty')}</p>}
      <ul data-testid="incident-queue">
        {queue.map((i) => {
          const due = i.dueAt;
          const overdue = due != null && Date.parse(due) < now;
          return (
            <li key={i.id}>
              <button
                type="button"
                className={`queue-item${i.id === selected ? ' active' : ''}${overdue ? ' overdue' : ''}`}
                aria-pressed={i.id === selected}
                data-incident={i.id}
                data-category={i.category}
                data-priority={i.priority}
                onClick={() => onSelect(i.id)}
              >
                <span className="queue-top">
                  <PriorityBadge priority={i.priority} />
                  <span className="queue-cat">{categoryName(categories, i.category, lang)}</span>
                  <SlaCountdown dueAt={due} now={now} />
                </span>
                <span className="queue-bottom muted">
                  <IncidentStatusLabel status={i.status} />
                  {isApproximate(i.locationPrecision) && (
                    <span className="approx" title={t('ops.approximateShort')} data-testid="queue-approximate">
                      ≈ {t('ops.approximateShort')}
                    </span>
                  )}
                  <span title={t('ops.age')}>
                    {t('ops.ageValue', { time: formatClock(now - Date.parse(i.receivedAt)) })}
                  </span>
                </span>
              </button>
            </li>
          );
        })}
      </ul>
      {cleared.length > 0 && (
        <>
          <h2>{t('ops.toClose', { count: cleared.length })}</h2>
          <ul data-testid="incident-cleared">
            {cleared.map((i) => (
              <li key={i.id}>
                <button
                  type="button"
                  className={`queue-item done${i.id === selected ? ' active' : ''}`}
                  aria-pressed={i.id === selected}
                  data-incident={i.id}
                  onClick={() => onSelect(i.id)}
                >
                  <span className="queue-top">
                    <PriorityBadge priority={i.priority} />
                    <span className="queue-cat">{categoryName(categories, i.category, lang)}</span>
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
