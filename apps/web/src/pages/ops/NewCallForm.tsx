import { type FormEvent, useEffect, useRef, useState } from 'react';
import { type Category, localText } from '../../lib/reports.ts';
import { dispatchApi, type IncidentDetail, PRIORITIES, type Priority } from '../../lib/dispatch.ts';
import { errorMessage } from '../../lib/errors.ts';
import type { LonLat } from '../../lib/geoMath.ts';
import { uuid } from '../../lib/ids.ts';
import { useLang } from '../../lib/lang.tsx';

interface Props {
  categories: Map<string, Category>;
  /** The place clicked on the map while this form is open. */
  picked: LonLat | null;
  onPick: (p: LonLat | null) => void;
  /** The address was found: mark it and show it (the map flies there). */
  onFound: (p: LonLat) => void;
  onCreated: (incident: IncidentDetail) => void;
  onCancel: () => void;
}

/** Coordinates as an operator types them: a number, a comma or a point as the decimal mark. */
const coordinate = (s: string): number | null => {
  const v = Number(s.trim().replace(',', '.'));
  return s.trim() !== '' && Number.isFinite(v) ? v : null;
};

/**
 * A 102 call taken by the operator: what happened (the category sets the priority unless the operator changes it),
 * where — a click on the map, or the coordinates the caller's phone gave — the address as said, and a few words. On
 * save the incident opens in the detail pane with its recommended units: two clicks more and a unit is on its way.
 */
export function NewCallForm({ categories, picked, onPick, onFound, onCreated, onCancel }: Props) {
  const { t, lang } = useLang();
  const [category, setCategory] = useState('');
  const [priority, setPriority] = useState<Priority | ''>('');
  const [address, setAddress] = useState('');
  const [description, setDescription] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  /** What the last «find» said: where it put the marker and how precisely, or why it could not. */
  const [lookup, setLookup] = useState<{ text: string; approximate: boolean } | null>(null);
  const [missing, setMissing] = useState<{ category?: boolean; location?: boolean }>({});
  // One key per content sent: a double click or a retry on a bad network makes one incident; a corrected call after
  // a refusal is a new request (the same key with other content would be refused as a conflict).
  const sent = useRef<{ json: string; key: string } | null>(null);
  // The coordinates as typed; a click on the map fills them in.
  const [latText, setLatText] = useState('');
  const [lonText, setLonText] = useState('');
  useEffect(() => {
    if (!picked) return;
    setLatText(picked.lat.toFixed(6));
    setLonText(picked.lon.toFixed(6));
  }, [picked]);
  const typed = () => {
    const lat = coordinate(latText);
    const lon = coordinate(lonText);
    if (lat !== null && lon !== null && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) onPick({ lon, lat });
  };

  // The address as the caller says it, placed by the server's gazetteer: a house or a street is the place; a
  // district or a town is only where to look — the marker goes there and the operator clicks the exact spot.
  const find = async () => {
    if (!address.trim()) return;
    setLookup(null);
    try {
      const r = await dispatchApi.geocode(address.trim());
      if (!r.found || !r.place) {
        setLookup({ text: t(r.reason === 'ambiguous' ? 'ops.geocodeAmbiguous' : 'ops.geocodeNotFound'), approximate: true });
        return;
      }
      const approximate = !['house', 'street'].includes(r.place.precision);
      onFound(r.place.location);
      setLookup({ text: `${r.place.label}${approximate ? ` — ${t('ops.geocodeApproximate')}` : ''}`, approximate });
    } catch (err) {
      setError(err);
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const gaps = { category: !category, location: !picked };
    setMissing(gaps);
    if (gaps.category || gaps.location || !picked) return;
    setBusy(true);
    setError(null);
    const input = {
      category,
      location: picked,
      ...(priority ? { priority } : {}),
      ...(address.trim() ? { address: address.trim() } : {}),
      ...(description.trim() ? { description: description.trim() } : {}),
    };
    const json = JSON.stringify(input);
    if (sent.current?.json !== json) sent.current = { json, key: uuid() };
    try {
      const inc = await dispatchApi.create(input, sent.current.key);
      onCreated(inc);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="new-call" data-testid="new-call" onSubmit={(e) => void submit(e)} noValidate>
      <h2>{t('ops.newCall')}</h2>
      <label>
        {t('ops.callCategory')}
        <select value={category} onChange={(e) => setCategory(e.target.value)} data-testid="new-call-category" aria-invalid={missing.category || undefined}>
          <option value="">—</option>
          {[...categories.values()].map((c) => (
            <option key={c.code} value={c.code}>
              {localText(c.name, lang)} ({c.priority})
            </option>
          ))}
        </select>
      </label>
      {missing.category && <p className="field-error">{t('ops.callNeedsCategory')}</p>}
      <fieldset className="new-call-place">
        <legend>{t('ops.callPlace')}</legend>
        <p className="muted small">{t('ops.callPlaceHint')}</p>
        <label>
          {t('ops.lat')}
          <input inputMode="decimal" value={latText} onChange={(e) => setLatText(e.target.value)} onBlur={typed} data-testid="new-call-lat" />
        </label>
        <label>
          {t('ops.lon')}
          <input inputMode="decimal" value={lonText} onChange={(e) => setLonText(e.target.value)} onBlur={typed} data-testid="new-call-lon" />
        </label>
        {missing.location && !picked && <p className="field-error">{t('ops.callNeedsPlace')}</p>}
      </fieldset>
      <label>
        {t('ops.callAddress')}
        <span className="input-with-button">
          <input
            className="input-grow"
            value={address}
            onChange={(e) => setAddress(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                void find();
              }
            }}
            maxLength={500}
            data-testid="new-call-address"
          />
          <button type="button" onClick={() => void find()} disabled={!address.trim()} data-action="geocode">
            {t('ops.geocode')}
          </button>
        </span>
      </label>
      {lookup && (
        <p className={lookup.approximate ? 'notice small' : 'muted small'} role="status" data-testid="geocode-result">
          {lookup.text}
        </p>
      )}
      <label>
        {t('ops.callDescription')}
        <textarea rows={3} value={description} onChange={(e) => setDescription(e.target.value)} maxLength={4000} data-testid="new-call-description" />
      </label>
      <label>
        {t('ops.callPriority')}
        <select value={priority} onChange={(e) => setPriority(e.target.value as Priority | '')} data-testid="new-call-priority">
          <option value="">{t('ops.callPriorityAuto')}</option>
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </label>
      {error != null && (
        <div role="alert" className="alert">
          {errorMessage(error, t)}
        </div>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy} data-action="create-call">
          {t('ops.callCreate')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('ops.callCancel')}
        </button>
      </div>
    </form>
  );
}
