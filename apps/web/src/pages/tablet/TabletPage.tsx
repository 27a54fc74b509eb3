import { useState } from 'react';
import { dispatchApi, type UnitStatus } from '../../lib/dispatch.ts';
import { errorMessage } from '../../lib/errors.ts';
import { formatDateTime } from '../../lib/format.ts';
import { uuid } from '../../lib/ids.ts';
import { useLang } from '../../lib/lang.tsx';
import { UnitStatusBadge } from '../ops/Badges.tsx';
import { PanicButton } from './PanicButton.tsx';
import { PatrolCard } from './PatrolCard.tsx';
import { TaskCard } from './TaskCard.tsx';
import { TaskStatusButtons, type TaskStep } from './TaskStatusButtons.tsx';
import { useMine } from './useMine.ts';
import { useTelemetry } from './useTelemetry.ts';

/** The officer's tablet: the current task, the status buttons, the unit's own status and the panic button. */
export default function TabletPage() {
  const { t, lang } = useLang();
  const { mine, error, reload } = useMine();
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const [panicAt, setPanicAt] = useState<string | null>(null);
  const [cleared, setCleared] = useState(false);

  async function act(fn: () => Promise<unknown>) {
    setBusy(true);
    setActionError(null);
    try {
      await fn();
      await reload();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  }

  const unit = mine?.unit ?? null;
  const assignment = mine?.assignment ?? null;
  const here = useTelemetry(unit?.id ?? null);
  const taskStatus = assignment?.incident.status ?? 'DISPATCHED';

  const step = (to: TaskStep, note?: string) =>
    act(async () => {
      await dispatchApi.transition(assignment!.incident.id, to, note, uuid());
      setCleared(to === 'CLEARED');
    });
  const setStatus = (s: UnitStatus) => act(() => dispatchApi.unitStatus(unit!.id, s, uuid()));
  const panic = () =>
    act(async () => {
      await dispatchApi.panic(unit!.id, uuid());
      setPanicAt(new Date().toISOString());
    });

  return (
    <div className="tablet" data-page="tablet">
      <div className="tablet-head">
        <h1>{unit ? t('tablet.unit', { callSign: unit.callSign }) : t('tablet.title')}</h1>
        {unit && <UnitStatusBadge status={unit.status} stale={unit.stale} />}
      </div>
      {error != null && (
        <div role="alert" className="alert">
          {errorMessage(error, t)}
        </div>
      )}
      {actionError != null && (
        <div role="alert" className="alert" data-testid="tablet-error">
          {errorMessage(actionError, t)}
        </div>
      )}
      {panicAt && (
        <p className="panic-sent" role="status" data-testid="panic-sent">
          {t('tablet.panicSent', { time: formatDateTime(panicAt, lang) })}
        </p>
      )}
      {!mine && error == null && <p className="muted">{t('page.loading')}</p>}
      {mine && !unit && <p className="message">{t('tablet.noUnit')}</p>}
      {unit && assignment && (
        <>
          <TaskCard assignment={assignment} from={here ?? unit.position} />
          <TaskStatusButtons key={assignment.incident.id} status={taskStatus} busy={busy} onStep={(to, note) => void step(to, note)} />
        </>
      )}
      {unit && !assignment && (
        <>
          <p className="message no-task" data-testid="no-task">
            {cleared ? t('tablet.taskDone') : t('tablet.noTask')}
          </p>
          <PatrolCard unitId={unit.id} from={here ?? unit.position} />
        </>
      )}
      {unit && (
        <div className="tablet-footer">
          {/* During a task the steps above set the unit's status; these would release it, so they wait. */}
          <fieldset className="unit-status" disabled={assignment !== null}>
            <legend>{t('tablet.myStatus')}</legend>
            {(['AVAILABLE', 'BUSY'] as const).map((s) => (
              <button
                key={s}
                type="button"
                aria-pressed={unit.status === s}
                disabled={busy || unit.status === s}
                onClick={() => void setStatus(s)}
                data-unit-status={s}
              >
                {t(s === 'AVAILABLE' ? 'tablet.available' : 'tablet.busy')}
              </button>
            ))}
          </fieldset>
          <PanicButton onFire={() => void panic()} disabled={busy} />
        </div>
      )}
    </div>
  );
}
