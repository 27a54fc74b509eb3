import { useEffect, useRef, useState } from 'react';
import { useLang } from '../../lib/lang.tsx';

export const HOLD_MS = 1500;

/** Fires only after being held for 1.5 s, so a pocket or a stray touch does not raise the alarm. */
export function PanicButton({ onFire, disabled }: { onFire: () => void; disabled?: boolean }) {
  const { t } = useLang();
  const [holding, setHolding] = useState(false);
  const timer = useRef<number | undefined>(undefined);
  const fire = useRef(onFire);
  fire.current = onFire;

  const start = () => {
    if (disabled || timer.current !== undefined) return;
    setHolding(true);
    timer.current = window.setTimeout(() => {
      timer.current = undefined;
      setHolding(false);
      fire.current();
    }, HOLD_MS);
  };
  const cancel = () => {
    window.clearTimeout(timer.current);
    timer.current = undefined;
    setHolding(false);
  };
  useEffect(() => () => window.clearTimeout(timer.current), []);

  return (
    <button
      type="button"
      className={holding ? 'panic holding' : 'panic'}
      style={{ ['--hold' as string]: `${HOLD_MS}ms` }}
      disabled={disabled}
      data-testid="panic"
      onPointerDown={(e) => {
        e.currentTarget.setPointerCapture?.(e.pointerId);
        start();
      }}
      onPointerUp={cancel}
      onPointerCancel={cancel}
      onLostPointerCapture={cancel}
      onKeyDown={(e) => {
        if ((e.key === ' ' || e.key === 'Enter') && !e.repeat) {
          e.preventDefault();
          start();
        }
      }}
      onKeyUp={cancel}
      onBlur={cancel}
      onContextMenu={(e) => e.preventDefault()}
    >
      <span className="panic-label">{t('tablet.panic')}</span>
      <span className="panic-hint">{t('tablet.panicHint')}</span>
    </button>
  );
}
