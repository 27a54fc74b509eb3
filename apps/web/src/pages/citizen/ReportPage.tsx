import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { errorMessage } from '../../lib/errors.ts';
import { formatDateTime } from '../../lib/format.ts';
import { deviceId, uuid } from '../../lib/ids.ts';
import type { PreparedPhoto } from '../../lib/image.ts';
import { useLang } from '../../lib/lang.tsx';
import { keepMyReport, myReports } from '../../lib/myReports.ts';
import {
  type Category,
  localText,
  fetchCategories,
  fieldErrors,
  type NewReport,
  normalizePhone,
  type ReportCreated,
  submitReport,
} from '../../lib/reports.ts';
import { CategoryTiles } from './CategoryTiles.tsx';
import { LocationField, type PickedLocation } from './LocationField.tsx';
import { PhotoField } from './PhotoField.tsx';
import { PublicLayout } from './PublicLayout.tsx';
import { ReportSent } from './ReportSent.tsx';

/** The citizen's report form: what, where, optionally a photo and a few words, and one tap to send. */
export function ReportPage() {
  const { t, lang } = useLang();
  const [categories, setCategories] = useState<Category[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [category, setCategory] = useState<string | null>(null);
  const [location, setLocation] = useState<PickedLocation | null>(null);
  const [address, setAddress] = useState('');
  const [photo, setPhoto] = useState<PreparedPhoto | null>(null);
  const [description, setDescription] = useState('');
  const [anonymous, setAnonymous] = useState(true);
  const [phone, setPhone] = useState('');
  const [busy, setBusy] = useState(false);
  const [attempt, setAttempt] = useState(1);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [sent, setSent] = useState<ReportCreated | null>(null);
  // One Idempotency-Key per distinct submission: a repeated tap or an automatic retry of the same report reuses
  // it (the server answers with the first report), a changed report gets a new one.
  const lastSubmission = useRef<{ json: string; key: string } | null>(null);

  const load = useCallback((signal?: AbortSignal) => {
    setLoadError(null);
    fetchCategories(signal)
      .then(setCategories)
      .catch((e: unknown) => {
        if ((e as Error).name !== 'AbortError') setLoadError(e);
      });
  }, []);

  useEffect(() => {
    const ctl = new AbortController();
    load(ctl.signal);
    return () => ctl.abort();
  }, [load]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const missing: Record<string, string> = {};
    if (!category) missing.category = t('report.needCategory');
    // A point, or failing that an address the server can place (a phone without location, a citizen who would rather type).
    if (!location && !address.trim()) missing.location = t('report.needLocation');
    setErrors(missing);
    setFormError(null);
    if (!category || Object.keys(missing).length > 0) return;

    const body: NewReport = { category, anonymous, deviceId: deviceId() };
    if (location) body.location = { type: 'Point', coordinates: [location.lon, location.lat] };
    if (address.trim()) body.address = address.trim();
    if (description.trim()) body.description = description.trim();
    if (photo) body.media = [{ contentType: photo.contentType, data: photo.data }];
    if (!anonymous && phone.trim()) body.contact = { phone: normalizePhone(phone) };
    const json = JSON.stringify(body);
    if (lastSubmission.current?.json !== json) lastSubmission.current = { json, key: uuid() };

    setBusy(true);
    setAttempt(1);
    try {
      const res = await submitReport(body, lastSubmission.current.key, { onRetry: setAttempt });
      keepMyReport({ trackingToken: res.trackingToken, category, at: new Date().toISOString() });
      setSent(res);
      window.scrollTo(0, 0);
    } catch (err) {
      const byField = fieldErrors(err);
      setErrors(byField);
      setFormError(errorMessage(err, t));
    } finally {
      setBusy(false);
    }
  }

  function reset() {
    setSent(null);
    setCategory(null);
    setPhoto(null);
    setAddress('');
    setDescription('');
    setErrors({});
    setFormError(null);
    lastSubmission.current = null;
  }

  if (sent) {
    return (
      <PublicLayout page="report-sent">
        <ReportSent result={sent} onAnother={reset} />
      </PublicLayout>
    );
  }

  return (
    <PublicLayout page="report">
      <h1>{t('report.title')}</h1>
      <p className="muted">{t('report.intro')}</p>
      <form className="report-form" onSubmit={submit} noValidate>
        <fieldset>
          <legend>{t('report.category')}</legend>
          {categories ? (
            <CategoryTiles categories={categories} selected={category} onSelect={setCategory} />
          ) : loadError != null ? (
            <div role="alert" className="alert">
              {errorMessage(loadError, t)}{' '}
              <button type="button" onClick={() => load()}>
                {t('page.retry')}
              </button>
            </div>
          ) : (
            <p className="muted">{t('page.loading')}</p>
          )}
          {errors.category && (
            <p className="field-error" role="alert">
              {errors.category}
            </p>
          )}
        </fieldset>

        <fieldset>
          <legend>{t('report.location')}</legend>
          <LocationField value={location} onChange={setLocation} error={errors.location} />
          <label htmlFor="report-address">{t('report.address')}</label>
          <input
            id="report-address"
            autoComplete="street-address"
            maxLength={500}
            value={address}
            placeholder={t('report.addressHint')}
            aria-describedby={errors.address ? 'report-address-error' : undefined}
            onChange={(e) => setAddress(e.target.value)}
            data-testid="report-address"
          />
          {errors.address && (
            <p className="field-error" role="alert" id="report-address-error">
              {errors.address}
            </p>
          )}
        </fieldset>

        <fieldset>
          <legend>{t('report.details')}</legend>
          <PhotoField value={photo} onChange={setPhoto} error={errors.media} />
          <label htmlFor="report-description">{t('report.description')}</label>
          <textarea
            id="report-description"
            rows={3}
            maxLength={4000}
            value={description}
            placeholder={t('report.descriptionHint')}
            onChange={(e) => setDescription(e.target.value)}
          />
          {errors.description && (
            <p className="field-error" role="alert">
              {errors.description}
            </p>
          )}
          <label className="switch">
            <input type="checkbox" checked={anonymous} onChange={(e) => setAnonymous(e.target.checked)} data-testid="anonymous" />
            <span>
              <strong>{t('report.anonymous')}</strong>
              <span className="muted small"> {t(anonymous ? 'report.anonymousOn' : 'report.anonymousOff')}</span>
            </span>
          </label>
          {!anonymous && (
            <>
              <label htmlFor="report-phone">{t('report.phone')}</label>
              <input
                id="report-phone"
                type="tel"
                inputMode="tel"
                autoComplete="tel"
                placeholder="+7 7XX XXX XX XX"
                value={phone}
                onChange={(e) => setPhone(e.target.value)}
              />
              {errors.contact && (
                <p className="field-error" role="alert">
                  {errors.contact}
                </p>
              )}
            </>
          )}
        </fieldset>

        <div role="alert" className={formError ? 'alert' : 'alert empty'} data-testid="report-error">
          {formError}
        </div>
        {/* Stays at the bottom of the screen: one tap to send, wherever the citizen has scrolled to. */}
        <div className="submit-bar">
          <button type="submit" className="primary big" disabled={busy} data-testid="report-submit">
            {busy ? (attempt > 1 ? t('report.retrying', { n: attempt }) : t('report.submitting')) : t('report.submit')}
          </button>
        </div>
      </form>
      <MyReports categories={categories} lang={lang} t={t} />
    </PublicLayout>
  );
}

/** The reports filed from this phone, each a link to its tracking page (kept on the phone: lib/myReports.ts). */
function MyReports({ categories, lang, t }: { categories: Category[] | null; lang: ReturnType<typeof useLang>['lang']; t: ReturnType<typeof useLang>['t'] }) {
  const mine = myReports();
  if (mine.length === 0) return null;
  return (
    <section className="my-reports" data-testid="my-reports">
      <h2>{t('report.mine')}</h2>
      <ul className="plain">
        {mine.map((r) => {
          const name = categories?.find((c) => c.code === r.category)?.name;
          return (
            <li key={r.trackingToken}>
              <a href={`#/track/${encodeURIComponent(r.trackingToken)}`} data-testid="my-report">
                {name ? localText(name, lang) : r.category}
              </a>{' '}
              <span className="muted small">{formatDateTime(r.at, lang)}</span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
