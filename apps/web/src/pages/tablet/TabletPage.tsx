import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../../lib/api.ts';
import { beep } from '../../lib/beep.ts';
import { dispatchApi, type UnitStatus } from '../../lib/dispatch.ts';
import { errorMessage } from '../../lib/errors.ts';
import { formatDateTime } from '../../lib/format.ts';
import { uuid } from '../../lib/ids.ts';
import { useLang } from '../../lib/lang.tsx';
import { UnitStatusBadge } from '../ops/Badges.tsx';
import { AssistBanner } from './AssistBanner.tsx';
import { OnViewIncident } from './OnViewIncident.tsx';
import { PanicButton } from './PanicButton.tsx';
import { PatrolCard } from './PatrolCard.tsx';
import { TaskCard } from './TaskCard.tsx';
import { TaskStatusButtons, type TaskStep } from './TaskStatusButtons.tsx';
import { useMine } from './useMine.ts';
import { useTelemetry } from './useTelemetry.ts';

/** How many times the tablet sends a panic before it shows the failure (about 10 s of pauses between them). */
const PANIC_TRIES = 6;
/** How long one panic attempt may wait for the server before it is sent again. */
const PANIC_ATTEMPT_MS = 8000;

/** The officer's tablet: the current task, the status buttons, the unit's own status and the panic button. */
export default function TabletPage() {
  const { t, lang } = useLang();
  const { mine, error, reload } = useMine();
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const [panicAt, setPanicAt] = useState<string | null>(null);
  const [panicSending, setPanicSending] = useState(false);
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
  // A new task gets the officer's attention: a sound and, on phones and tablets that can, a vibration. Not on the
  // first load (`undefined`): a task already on screen when the page opens is not news.
  const announced = useRef<string | null | undefined>(undefined);
  const taskId = assignment?.incident.id ?? null;
  useEffect(() => {
    if (mine === null) return;
    if (announced.current !== undefined && taskId && taskId !== announced.current) {
      beep(4);
      navigator.vibrate?.([400, 200, 400]);
    }
    announced.current = taskId;
  }, [taskId, mine]);
  const here = useTelemetry(unit?.id ?? null);
  // The steps are this crew's own: on an incident with several units, another car's arrival is not ours.
  const taskStatus = unit && ['DISPATCHED', 'EN_ROUTE', 'ON_SCENE'].includes(unit.status) ? unit.status : (assignment?.incident.status ?? 'DISPATCHED');

  const step = (to: TaskStep, note?: string) =>
    act(async () => {
      await dispatchApi.transition(assignment!.incident.id, to, note, uuid());
      setCleared(to === 'CLEARED');
    });
  const setStatus = (s: UnitStatus) => act(() => dispatchApi.unitStatus(unit!.id, s, uuid()));
  /**
   * The alarm goes with the tablet's own fix when it has one, and is sent again (same Idempotency-Key: one alarm) until
   * the server has it — a bad network must not lose it. Only a refusal (4xx other than 408/429) stops the tries.
   */
  const panic = async () => {
    const key = uuid();
    setPanicSending(true);
    setActionError(null);
    for (let attempt = 0; ; attempt++) {
      try {
        // An attempt the network holds (a dead cell, a captive portal) is given up after a while and sent again.
        await dispatchApi.panic(unit!.id, key, here, AbortSignal.timeout(PANIC_ATTEMPT_MS));
        setPanicAt(new Date().toISOString());
        break;
      } catch (e) {
        const refused = e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429;
        if (refused || attempt >= PANIC_TRIES - 1) {
          setActionError(e);
          break;
        }
        await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** attempt, 4000)));
      }
    }
    setPanicSending(false);
    void reload();
  };

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
      {panicSending && (
        <p className="panic-sent" role="status" data-testid="panic-sending">
          {t('tablet.panicSending')}
        </p>
      )}
      {panicAt && !panicSending && (
        <p className="panic-sent" role="status" data-testid="panic-sent">
          {t('tablet.panicSent', { time: formatDateTime(panicAt, lang) })}
        </p>
      )}
      {mine && <AssistBanner calls={mine.assist} from={here ?? unit?.position ?? null} />}
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
          {unit.status === 'AVAILABLE' && <OnViewIncident here={here ?? unit.position} onCreated={() => void reload()} />}
          <PatrolCard unitId={unit.id} from={here ?? unit.position} />
        </>
      )}
      {unit && (
        <div className="tablet-footer">
          {/* During a task the steps above set the unit's status; these would release it, so they wait. */}
          <fieldset className="unit-status" disabled={assignment !== null}>
            <legend>{t('tablet.myStatus')}</legend>
            {(['AVAILABLE', 'BUSY', 'OUT_OF_SERVICE'] as const).map((s) => (
              <button
                key={s}
                type="button"
                aria-pressed={unit.status === s}
                disabled={busy || unit.status === s}
                onClick={() => void setStatus(s)}
                data-unit-status={s}
              >
                {t(s === 'AVAILABLE' ? 'tablet.available' : s === 'BUSY' ? 'tablet.busy' : 'tablet.offDuty')}
              </button>
            ))}
          </fieldset>
          {/* Never waits for another request: the alarm goes whatever else is in flight. */}
          <PanicButton onFire={() => void panic()} />
        </div>
      )}
    </div>
  );
}
