import { useEffect, useRef } from 'react';
import { codeText, reasonText } from '../../lib/fraud.ts';
import { useLang } from '../../lib/lang.tsx';

/** Keys typed into these are text, not shortcuts. */
export const typing = (el: EventTarget | null) =>
  el instanceof HTMLElement &&
  (el.isContentEditable || ['TEXTAREA', 'SELECT'].includes(el.tagName) || (el instanceof HTMLInputElement && !['checkbox', 'radio', 'button'].includes(el.type)));

/**
 * The tab's keyboard shortcuts on the window (the latest `handler` is used): skipped while a field has the focus or
 * a modifier is held; the handler returns true when it used the key.
 */
export function useShortcuts(handler: (e: KeyboardEvent) => boolean): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    const on = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
      if (typing(e.target) && e.key !== 'Escape') return;
      if (ref.current(e)) e.preventDefault();
    };
    window.addEventListener('keydown', on);
    return () => window.removeEventListener('keydown', on);
  }, []);
}

/** Moves the selection `d` rows in `ids` from `current` and focuses that row's button (`[data-row="<id>"]`). */
export function moveIn(ids: readonly string[], current: string | null, d: number, list: HTMLElement | null): string | null {
  if (ids.length === 0) return null;
  const at = current ? ids.indexOf(current) : -1;
  const id = ids[at < 0 ? 0 : Math.min(ids.length - 1, Math.max(0, at + d))];
  const btn = list?.querySelector<HTMLElement>(`[data-row="${CSS.escape(id)}"]`);
  btn?.focus();
  btn?.scrollIntoView({ block: 'nearest' });
  return id;
}

export function OutcomeBadge({ outcome }: { outcome: string }) {
  const { t } = useLang();
  return (
    <span className="badge foutcome" data-outcome={outcome}>
      {codeText(t, 'foutcome', outcome)}
    </span>
  );
}

export function EffectBadge({ effect, revoked }: { effect: string; revoked?: boolean }) {
  const { t } = useLang();
  return (
    <span className="badge feffect" data-effect={revoked ? 'revoked' : effect}>
      {revoked ? t('fraud.revoked') : codeText(t, 'feffect', effect)}
    </span>
  );
}

/**
 * The decision's reasons, each explained in the interface language (the code kept in `data-reason`); `inline` for
 * inside a list row's button (phrasing content only).
 */
export function Reasons({ reasons, inline = false }: { reasons: readonly string[]; inline?: boolean }) {
  const { t } = useLang();
  if (reasons.length === 0) return <span className="muted small">{t('fraud.noReasons')}</span>;
  if (inline)
    return (
      <span className="reasons inline" data-testid="reasons">
        {reasons.map((r) => (
          <span key={r} data-reason={r} title={r}>
            {reasonText(t, r)}
          </span>
        ))}
      </span>
    );
  return (
    <ul className="reasons" data-testid="reasons">
      {reasons.map((r) => (
        <li key={r} data-reason={r} title={r}>
          {reasonText(t, r)}
        </li>
      ))}
    </ul>
  );
}
