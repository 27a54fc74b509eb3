import { type FormEvent, useRef, useState } from 'react';
import { dispatchApi } from '../../lib/dispatch.ts';
import { errorMessage } from '../../lib/errors.ts';
import type { LonLat } from '../../lib/geoMath.ts';
import { uuid } from '../../lib/ids.ts';
import { useLang } from '../../lib/lang.tsx';
import { localText } from '../../lib/reports.ts';
import { useCategories } from '../../lib/useCategories.ts';

/**
 * An officer on the street reports what is in front of them: what (big enough for a thumb) and a few words; the place
 * is where the tablet is. The server makes the incident and puts the officer's unit on scene at once.
 */
export function OnViewIncident({ here, onCreated }: { here: LonLat | null; onCreated: () => void }) {
  const { t, lang } = useLang();
  const categories = useCategories();
  const [open, setOpen] = useState(false);
  const [category, setCategory] = useState('');
  const [description, setDescription] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // One key per content sent (a retry makes one incident; a corrected one is a new request).
  const sent = useRef<{ json: string; key: string } | null>(null);

  if (!open) {
    return (
      <button type="button" className="big-step next on-view-button" data-action="on-view" onClick={() => setOpen(true)}>
        {t('tablet.onView')}
      </button>
    );
  }
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!category || !here) return;
    setBusy(true);
    setError(null);
    const input = { category, location: here, ...(description.trim() ? { description: description.trim() } : {}) };
    const json = JSON.stringify(input);
    if (sent.current?.json !== json) sent.current = { json, key: uuid() };
    try {
      await dispatchApi.create(input, sent.current.key);
      sent.current = null;
      setOpen(false);
      setCategory('');
      setDescription('');
      onCreated();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="on-view" data-testid="on-view" onSubmit={(e) => void submit(e)}>
      <label>
        {t('ops.callCategory')}
        <select value={category} onChange={(e) => setCategory(e.target.value)} data-testid="on-view-category" required>
          <option value="">—</option>
          {[...categories.values()].map((c) => (
            <option key={c.code} value={c.code}>
              {localText(c.name, lang)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('ops.callDescription')}
        <textarea rows={2} maxLength={4000} value={description} onChange={(e) => setDescription(e.target.value)} />
      </label>
      {!here && <p className="field-error">{t('tablet.onViewNoFix')}</p>}
      {error != null && (
        <div role="alert" className="alert">
          {errorMessage(error, t)}
        </div>
      )}
      <div className="actions">
        <button type="submit" className="big-step next" disabled={busy || !category || !here} data-action="on-view-create">
          {t('tablet.onViewCreate')}
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          {t('ops.callCancel')}
        </button>
      </div>
    </form>
  );
}
