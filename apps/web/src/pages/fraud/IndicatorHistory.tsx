import { type FormEvent, useEffect, useRef, useState } from 'react';
import { isMessageKey } from '../../i18n.ts';
import { errorMessage } from '../../lib/errors.ts';
import { formatDateTime } from '../../lib/format.ts';
import {
  codeText,
  formatNumber,
  fraudApi,
  INDICATOR_EFFECTS,
  type Indicator,
  type IndicatorEffect,
  type IndicatorHistoryEntry,
  type IndicatorPatch,
  indicatorFieldErrors,
  parseNumberInput,
} from '../../lib/fraud.ts';
import { type Translate, useLang } from '../../lib/lang.tsx';
import { fieldErrors } from '../../components/fieldErrors.tsx';

/** `2026-12-31T…` → `2026-12-31` for a date field (the day in the user's time zone). */
function dateInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/**
 * Edits an indicator in force (`PATCH /api/v1/fraud/indicators/{id}`): effect, confidence, validity, note, whether a
 * bank may override it, and why (kept in its history). Only the fields changed are sent; the server's field errors
 * show under their fields.
 */
export function IndicatorEditForm({ indicator, onSaved, onCancel }: { indicator: Indicator; onSaved: (r: Indicator) => void; onCancel: () => void }) {
  const { t, lang } = useLang();
  const [effect, setEffect] = useState<IndicatorEffect>(indicator.effect === 'block' ? 'block' : 'warn');
  const [confidence, setConfidence] = useState(String(indicator.confidence));
  const [overridable, setOverridable] = useState(indicator.overridable);
  const [until, setUntil] = useState(dateInput(indicator.validUntil));
  const [note, setNote] = useState(indicator.note ?? '');
  const [comment, setComment] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLSelectElement>(null);
  useEffect(() => first.current?.focus(), []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    const local: Record<string, string> = {};
    const c = parseNumberInput(confidence);
    if (c === null || c < 0 || c > 1) local.confidence = t('fraud.form.confidenceRange');
    const patch: IndicatorPatch = {};
    if (effect !== indicator.effect) patch.effect = effect;
    if (c !== null && c !== indicator.confidence) patch.confidence = c;
    if (overridable !== indicator.overridable) patch.overridable = overridable;
    if (until !== dateInput(indicator.validUntil)) patch.validUntil = until ? new Date(`${until}T23:59:59`).toISOString() : null;
    const n = note.trim();
    if (n !== (indicator.note ?? '')) patch.note = n === '' ? null : n;
    if (Object.keys(local).length === 0 && Object.keys(patch).length === 0) local._ = t('fraud.edit.nothing');
    setErrors(local);
    if (Object.keys(local).length > 0) return;
    if (comment.trim()) patch.comment = comment.trim();
    setBusy(true);
    try {
      onSaved(await fraudApi.editIndicator(indicator.id, patch));
    } catch (err) {
      setErrors(indicatorFieldErrors(err));
      setProblem(err);
    } finally {
      setBusy(false);
    }
  };

  const { err, invalid } = fieldErrors(errors, 'edit');

  return (
    <form className="fraud-form" onSubmit={submit} noValidate data-testid="indicator-edit-form" lang={lang}>
      <h3>{t('fraud.edit.title')}</h3>
      {problem != null && (
        <div role="alert" className="alert" data-testid="indicator-edit-problem">
          {errorMessage(problem, t)}
        </div>
      )}
      {err('_')}
      <div className="form-grid">
        <label htmlFor="edit-effect">{t('fraud.effect')}</label>
        <div>
          <select id="edit-effect" ref={first} value={effect} onChange={(e) => setEffect(e.target.value as IndicatorEffect)}>
            {INDICATOR_EFFECTS.map((k) => (
              <option key={k} value={k}>
                {codeText(t, 'feffect', k)}
              </option>
            ))}
          </select>
          {err('effect')}
        </div>
        <label htmlFor="edit-confidence">{t('fraud.confidence')}</label>
        <div>
          <input id="edit-confidence" inputMode="decimal" value={confidence} onChange={(e) => setConfidence(e.target.value)} {...invalid('confidence')} />
          {err('confidence')}
        </div>
        <label htmlFor="edit-until">{t('fraud.validUntil')}</label>
        <div>
          <input id="edit-until" type="date" value={until} onChange={(e) => setUntil(e.target.value)} {...invalid('validUntil')} />
          <span className="muted small"> {t('fraud.edit.noEndHint')}</span>
          {err('validUntil')}
          {err('validFrom')}
        </div>
        <span />
        <label className="check">
          <input type="checkbox" id="edit-overridable" checked={overridable} onChange={(e) => setOverridable(e.target.checked)} /> {t('fraud.overridableLabel')}
        </label>
        <label htmlFor="edit-note">{t('fraud.note')}</label>
        <div>
          <textarea id="edit-note" rows={2} value={note} onChange={(e) => setNote(e.target.value)} {...invalid('note')} />
          {err('note')}
        </div>
        <label htmlFor="edit-comment">{t('fraud.edit.comment')}</label>
        <div>
          <input id="edit-comment" value={comment} placeholder={t('fraud.edit.commentHint')} onChange={(e) => setComment(e.target.value)} {...invalid('comment')} />
          {err('comment')}
        </div>
      </div>
      <div className="form-actions">
        <button type="submit" className="primary" data-action="save-edit" disabled={busy}>
          {t('fraud.save')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('traffic.cancel')}
        </button>
      </div>
    </form>
  );
}

/** A value of a field in the history, in words: an effect, yes/no, a date, a share, or «—». */
export function historyValue(t: Translate, lang: Parameters<typeof formatDateTime>[1], field: string, v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  if (field === 'effect') return codeText(t, 'feffect', String(v));
  if (field === 'source') return codeText(t, 'fsource', String(v));
  if (typeof v === 'boolean') return t(v ? 'fraud.yes' : 'fraud.no');
  if (field === 'confidence' && typeof v === 'number') return formatNumber(v, lang, 2);
  if ((field === 'validFrom' || field === 'validUntil') && typeof v === 'string') return formatDateTime(v, lang);
  return String(v);
}

/**
 * The indicator's history (`GET /api/v1/fraud/indicators/{id}/history`), oldest first: added, replaced, edited,
 * revoked — who, when, why, and each field's old and new value. Fetched again when `version` changes.
 */
export function IndicatorHistory({ id, version }: { id: string; version: string }) {
  const { t, lang } = useLang();
  const [items, setItems] = useState<IndicatorHistoryEntry[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` (the indicator changed) is a reason to fetch again
  useEffect(() => {
    const ctl = new AbortController();
    fraudApi.indicatorHistory(id, ctl.signal).then(
      (h) => {
        setItems(h);
        setError(null);
      },
      (e) => {
        if ((e as Error).name !== 'AbortError') setError(e);
      },
    );
    return () => ctl.abort();
  }, [id, version]);

  return (
    <section className="indicator-history" aria-label={t('fraud.history')}>
      <h3>{t('fraud.history')}</h3>
      {error != null && (
        <div role="alert" className="alert">
          {errorMessage(error, t)}
        </div>
      )}
      {items === null && error == null && <p className="muted">{t('page.loading')}</p>}
      {items && (
        <ol className="history" data-testid="indicator-history">
          {[...items].reverse().map((h) => (
            <li key={`${h.at}-${h.change}`} data-change={h.change}>
              <p>
                <strong>{codeText(t, 'fhist', h.change)}</strong> · <span className="muted">{formatDateTime(h.at, lang)}</span> · <span data-testid="history-actor">{h.actor}</span>
              </p>
              {h.comment && <p className="small" data-testid="history-comment">«{h.comment}»</p>}
              {h.change !== 'added' && h.changes.length > 0 && (
                <ul className="small">
                  {h.changes.map((c) => (
                    <li key={c.field} data-field={c.field}>
                      {isMessageKey(`ffield.${c.field}`) ? codeText(t, 'ffield', c.field) : c.field}: {historyValue(t, lang, c.field, c.from)} → {historyValue(t, lang, c.field, c.to)}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
