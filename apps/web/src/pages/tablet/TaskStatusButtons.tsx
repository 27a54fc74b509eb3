import { useState } from 'react';
import { useLang } from '../../lib/lang.tsx';

export const TASK_STEPS = ['EN_ROUTE', 'ON_SCENE', 'CLEARED'] as const;
export type TaskStep = (typeof TASK_STEPS)[number];

const LABEL = { EN_ROUTE: 'tablet.enRoute', ON_SCENE: 'tablet.onScene', CLEARED: 'tablet.clear' } as const;

interface Props {
  /** Where this crew's unit is on its task (DISPATCHED, EN_ROUTE, ON_SCENE). */
  status: string;
  busy: boolean;
  onStep: (to: TaskStep, note?: string) => void;
}

/** En route → On scene → Clear, big enough for a thumb; the next step is highlighted, done ones are ticked. */
export function TaskStatusButtons({ status, busy, onStep }: Props) {
  const { t } = useLang();
  const [note, setNote] = useState('');
  const done = TASK_STEPS.indexOf(status as TaskStep); // -1 while only dispatched
  return (
    <div className="task-steps">
      {TASK_STEPS.map((s, i) => {
        const state = i <= done ? 'done' : i === done + 1 ? 'next' : 'later';
        return (
          <div key={s} className="task-step">
            {s === 'CLEARED' && (
              <>
                <label htmlFor="clear-note">{t('tablet.clearNote')}</label>
                <textarea
                  id="clear-note"
                  rows={2}
                  maxLength={2000}
                  value={note}
                  onChange={(e) => setNote(e.target.value)}
                  disabled={busy || state === 'done'}
                />
              </>
            )}
            <button
              type="button"
              className={`big-step ${state}`}
              data-step={s}
              data-state={state}
              disabled={busy || state === 'done'}
              onClick={() => onStep(s, s === 'CLEARED' ? note.trim() || undefined : undefined)}
            >
              {state === 'done' && <span aria-hidden="true">✓ </span>}
              {t(LABEL[s])}
            </button>
          </div>
        );
      })}
    </div>
  );
}
