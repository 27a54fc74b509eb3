import { useLang } from '../../lib/lang.tsx';
import { isReportStatus, REPORT_STATUSES } from '../../lib/reports.ts';

/** received → accepted → dispatched → on scene → closed, with the current step marked. */
export function StatusStepper({ status }: { status: string }) {
  const { t } = useLang();
  const current = isReportStatus(status) ? REPORT_STATUSES.indexOf(status) : -1;
  return (
    <ol className="stepper" data-testid="status-stepper" data-status={status}>
      {REPORT_STATUSES.map((s, i) => {
        const state = i < current ? 'done' : i === current ? 'current' : 'todo';
        return (
          <li key={s} className={`step ${state}`} aria-current={state === 'current' ? 'step' : undefined} data-step={s}>
            <span className="step-dot" aria-hidden="true">
              {state === 'done' || (state === 'current' && s === 'closed') ? '✓' : i + 1}
            </span>
            <span className="step-label">{t(`rstatus.${s}`)}</span>
          </li>
        );
      })}
    </ol>
  );
}
