import { formatClock } from '../../lib/format.ts';
import { useLang } from '../../lib/lang.tsx';
import { Icon } from '../../components/Icon.tsx';

/** Time left to the response target; red, counting up, once it has passed. */
export function SlaCountdown({ dueAt, now }: { dueAt: string | null; now: number }) {
  const { t } = useLang();
  if (!dueAt) return <span className="sla none">—</span>;
  const left = Date.parse(dueAt) - now;
  const overdue = left < 0;
  return (
    <span
      className={overdue ? 'sla overdue' : left < 60_000 ? 'sla soon' : 'sla'}
      data-testid="sla"
      data-overdue={overdue}
      title={overdue ? t('ops.overdue') : t('ops.dueIn')}
    >
      <Icon name="clock" /> {overdue ? '−' : ''}
      {formatClock(left)}
    </span>
  );
}
