import { type FormEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { errorMessage } from '../../lib/errors.ts';
import { formatDateTime } from '../../lib/format.ts';
import {
  codeText,
  fraudApi,
  formatNumber,
  INDICATOR_EFFECTS,
  INDICATOR_KINDS,
  INDICATOR_SOURCES,
  type Indicator,
  type IndicatorEffect,
  type IndicatorKind,
  type IndicatorSource,
  indicatorFieldErrors,
  normalizeIdentifier,
} from '../../lib/fraud.ts';
import type { MessageKey } from '../../i18n.ts';
import { useLang } from '../../lib/lang.tsx';
import { BulkIndicators } from './BulkIndicators.tsx';
import type { SessionUser } from '../../lib/session.ts';
import { hasPermission } from '../../sections.ts';
import { IndicatorEditForm, IndicatorHistory } from './IndicatorHistory.tsx';
import { EffectBadge, moveIn, useShortcuts } from './parts.tsx';
import { fieldErrors } from '../../components/fieldErrors.tsx';

interface Filters {
  kind: IndicatorKind | '';
  value: string;
  effect: IndicatorEffect | '';
  includeRevoked: boolean;
}

/**
 * Shared indicators: newest change first, filtered by kind (and a value of that kind, normalised and hashed by the
 * server) and effect; the one picked in full, with «revoke»; the form to add one (fraud:write), with the server's
 * field errors under their fields. Keys: ↑/↓ (k/j) move, N adds, Delete revokes the picked one, Esc closes the form.
 */
export function IndicatorsTab({ user, version }: { user: SessionUser; version: number }) {
  const { t, lang } = useLang();
  const canWrite = hasPermission(user.permissions, 'fraud:write');
  const [filters, setFilters] = useState<Filters>({ kind: '', value: '', effect: '', includeRevoked: false });
  const [query, setQuery] = useState<Filters>(filters);
  const [items, setItems] = useState<Indicator[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState(false);
  const [notice, setNotice] = useState<MessageKey | null>(null);
  const listRef = useRef<HTMLUListElement>(null);

  const load = useCallback(
    async (cursor: string | null, signal?: AbortSignal) => {
      setLoading(true);
      try {
        const page = await fraudApi.indicators({ kind: query.kind, value: query.value, includeRevoked: query.includeRevoked, cursor }, signal);
        setItems((prev) => (cursor ? [...prev, ...page.items] : page.items));
        setNextCursor(page.nextCursor);
        setError(null);
      } catch (e) {
        if ((e as Error).name !== 'AbortError') setError(e);
      } finally {
        if (!signal?.aborted) setLoading(false);
      }
    },
    [query],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` (a live event) is a reason to fetch again
  useEffect(() => {
    const ctl = new AbortController();
    void load(null, ctl.signal);
    return () => ctl.abort();
  }, [load, version]);

  /** Revoked on this screen: kept in the list (a refetch without revoked ones would drop them) until the filters change. */
  const [kept, setKept] = useState<Map<string, Indicator>>(new Map());
  // biome-ignore lint/correctness/useExhaustiveDependencies: new filters are a new list
  useEffect(() => setKept(new Map()), [query]);
  const shown = useMemo(() => {
    const byId = new Map(items.map((i) => [i.id, kept.get(i.id) ?? i]));
    for (const [id, k] of kept) if (!byId.has(id)) byId.set(id, k);
    return [...byId.values()]
      .filter((i) => !query.effect || i.effect === query.effect)
      .sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0));
  }, [items, kept, query.effect]);
  const current = shown.find((i) => i.id === selected) ?? null;
  const [confirmRevoke, setConfirmRevoke] = useState(false);
  const [revokeError, setRevokeError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // The question asked (from the keyboard too): the answer is one key (Enter) away.
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirmRevoke) confirmRef.current?.focus();
  }, [confirmRevoke]);

  const select = (id: string | null) => {
    setSelected(id);
    setAdding(false);
    setEditing(false);
    setConfirmRevoke(false);
    setRevokeError(null);
    setNotice(null);
  };

  const revoke = async (id: string) => {
    setBusy(true);
    setRevokeError(null);
    try {
      const r = await fraudApi.revokeIndicator(id);
      setItems((prev) => prev.map((i) => (i.id === id ? r : i)));
      setKept((m) => new Map(m).set(id, r));
      setConfirmRevoke(false);
      setNotice('fraud.revokedNotice');
    } catch (e) {
      setRevokeError(e);
    } finally {
      setBusy(false);
    }
  };

  useShortcuts((e) => {
    const k = e.key;
    if (k === 'Escape') {
      if (adding) setAdding(false);
      else if (editing) setEditing(false);
      else if (confirmRevoke) setConfirmRevoke(false);
      else return false;
      return true;
    }
    if (k === 'ArrowDown' || k === 'j' || k === 'ArrowUp' || k === 'k') {
      const id = moveIn(
        shown.map((i) => i.id),
        selected,
        k === 'ArrowDown' || k === 'j' ? 1 : -1,
        listRef.current,
      );
      if (id) select(id);
      return true;
    }
    if ((k === 'n' || k === '+') && canWrite) {
      setAdding(true);
      setNotice(null);
      return true;
    }
    if (k === 'Delete' && canWrite && current && !current.revoked) {
      setConfirmRevoke(true);
      return true;
    }
    return false;
  });

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setQuery({ ...filters, value: filters.kind ? filters.value : '' });
  };

  return (
    <div className="traffic-split fraud-split" data-testid="indicators-tab">
      <section className="traffic-queue" aria-label={t('fraud.indicators')}>
        <div className="queue-head">
          <h2>{t('fraud.indicators')}</h2>
          {canWrite && (
            <button
              type="button"
              className="primary"
              data-action="add-indicator"
              onClick={() => {
                setAdding(true);
                setNotice(null);
              }}
            >
              {t('fraud.add')}
            </button>
          )}
        </div>
        <BulkIndicators canWrite={canWrite} onImported={() => void load(null)} />
        <form className="fraud-filters" onSubmit={apply} data-testid="indicator-filters">
          <label>
            <span>{t('fraud.kind')}</span>
            <select id="filter-kind" value={filters.kind} onChange={(e) => setFilters({ ...filters, kind: e.target.value as IndicatorKind | '' })}>
              <option value="">{t('fraud.all')}</option>
              {INDICATOR_KINDS.map((k) => (
                <option key={k} value={k}>
                  {codeText(t, 'fkind', k)}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span>{t('fraud.effect')}</span>
            <select id="filter-effect" value={filters.effect} onChange={(e) => setFilters({ ...filters, effect: e.target.value as IndicatorEffect | '' })}>
              <option value="">{t('fraud.all')}</option>
              {INDICATOR_EFFECTS.map((k) => (
                <option key={k} value={k}>
                  {codeText(t, 'feffect', k)}
                </option>
              ))}
            </select>
          </label>
          <label className="wide">
            <span>{t('fraud.value')}</span>
            <input
              id="filter-value"
              value={filters.value}
              disabled={!filters.kind}
              placeholder={filters.kind ? t(`fplaceholder.${filters.kind}`) : t('fraud.pickKindFirst')}
              onChange={(e) => setFilters({ ...filters, value: e.target.value })}
            />
          </label>
          <label className="check">
            <input type="checkbox" checked={filters.includeRevoked} onChange={(e) => setFilters({ ...filters, includeRevoked: e.target.checked })} /> {t('fraud.includeRevoked')}
          </label>
          <button type="submit" data-action="filter">
            {t('fraud.find')}
          </button>
        </form>
        <p className="muted small">{t('fraud.indicatorKeys')}</p>
        {error != null && (
          <div role="alert" className="alert">
            {errorMessage(error, t)}
          </div>
        )}
        <ul className="violation-list fraud-list" ref={listRef} data-testid="indicator-list">
          {shown.map((i) => (
            <li key={i.id}>
              <button
                type="button"
                className={`queue-item${i.id === selected ? ' active' : ''}${i.revoked ? ' done' : ''}`}
                data-row={i.id}
                data-indicator={i.id}
                data-kind={i.kind}
                data-effect={i.effect}
                data-value={i.value ?? ''}
                aria-current={i.id === selected ? 'true' : undefined}
                onClick={() => select(i.id)}
              >
                <span className="queue-top">
                  <span className="queue-cat">
                    {codeText(t, 'fkind', i.kind)}: <span className="ident">{i.value ?? `${i.hash.slice(0, 12)}…`}</span>
                  </span>
                  <EffectBadge effect={i.effect} revoked={i.revoked} />
                </span>
                <span className="queue-bottom">
                  <span>{codeText(t, 'fsource', i.source)}</span>
                  <span>{t('fraud.confidenceShort', { value: formatNumber(i.confidence * 100, lang) })}</span>
                  <span className="muted">{formatDateTime(i.updatedAt, lang)}</span>
                </span>
              </button>
            </li>
          ))}
        </ul>
        {loading && <p className="muted">{t('page.loading')}</p>}
        {!loading && error == null && shown.length === 0 && <p className="muted">{t('fraud.noIndicators')}</p>}
        {nextCursor && !loading && (
          <button type="button" onClick={() => void load(nextCursor)}>
            {t('page.loadMore')}
          </button>
        )}
      </section>
      <section className="traffic-detail" aria-live="polite">
        {notice && (
          <p className="notice" role="status" data-testid="indicator-notice">
            {t(notice)}
          </p>
        )}
        {adding && canWrite ? (
          <IndicatorForm
            onCancel={() => setAdding(false)}
            onSaved={(r) => {
              setAdding(false);
              setNotice('fraud.addedNotice');
              setItems((prev) => [r, ...prev.filter((x) => x.id !== r.id)]);
              setSelected(r.id);
            }}
          />
        ) : current && editing && canWrite ? (
          <IndicatorEditForm
            indicator={current}
            onCancel={() => setEditing(false)}
            onSaved={(r) => {
              setEditing(false);
              setNotice('fraud.editedNotice');
              setItems((prev) => [r, ...prev.filter((x) => x.id !== r.id)]);
              setKept((m) => (m.has(r.id) ? new Map(m).set(r.id, r) : m));
            }}
          />
        ) : current ? (
          <div className="fraud-card" data-testid="indicator-detail" data-indicator={current.id} data-revoked={String(current.revoked)}>
            <div className="detail-head">
              <h2>
                {codeText(t, 'fkind', current.kind)}: <span className="ident">{current.value ?? t('fraud.hashedOnly')}</span>
              </h2>
              <EffectBadge effect={current.effect} revoked={current.revoked} />
            </div>
            <dl className="facts">
              <dt>{t('fraud.hash')}</dt>
              <dd className="ident small">{current.hash}</dd>
              <dt>{t('fraud.source')}</dt>
              <dd>
                {codeText(t, 'fsource', current.source)}
                {current.sourceRef && <span className="muted"> · {current.sourceRef}</span>}
              </dd>
              <dt>{t('fraud.contributor')}</dt>
              <dd>{current.contributor}</dd>
              <dt>{t('fraud.confidence')}</dt>
              <dd>{formatNumber(current.confidence, lang, 2)}</dd>
              <dt>{t('fraud.override')}</dt>
              <dd>{current.overridable ? t('fraud.overridable') : t('fraud.notOverridable')}</dd>
              <dt>{t('fraud.validity')}</dt>
              <dd>
                {formatDateTime(current.validFrom, lang)} — {current.validUntil ? formatDateTime(current.validUntil, lang) : t('fraud.noEnd')}
              </dd>
              <dt>{t('fraud.changed')}</dt>
              <dd>
                {t('fraud.createdAt', { at: formatDateTime(current.createdAt, lang) })}; {t('fraud.updatedAt', { at: formatDateTime(current.updatedAt, lang) })}
              </dd>
              {current.note && (
                <>
                  <dt>{t('fraud.note')}</dt>
                  <dd>{current.note}</dd>
                </>
              )}
            </dl>
            {revokeError != null && (
              <div role="alert" className="alert">
                {errorMessage(revokeError, t)}
              </div>
            )}
            {canWrite && !current.revoked && !confirmRevoke && (
              <div className="form-actions">
                <button
                  type="button"
                  data-action="edit"
                  onClick={() => {
                    setEditing(true);
                    setNotice(null);
                  }}
                >
                  {t('fraud.edit')}
                </button>
                <button type="button" className="danger" data-action="revoke" onClick={() => setConfirmRevoke(true)}>
                  {t('fraud.revoke')}
                </button>
              </div>
            )}
            {canWrite && !current.revoked && confirmRevoke && (
              <fieldset className="confirm-row" aria-label={t('fraud.revokeQuestion')}>
                <span>{t('fraud.revokeQuestion')}</span>
                <button type="button" className="danger" data-action="revoke-confirm" ref={confirmRef} disabled={busy} onClick={() => void revoke(current.id)}>
                  {t('fraud.revokeYes')}
                </button>
                <button type="button" onClick={() => setConfirmRevoke(false)}>
                  {t('traffic.cancel')}
                </button>
              </fieldset>
            )}
            <IndicatorHistory id={current.id} version={`${current.updatedAt}:${version}`} />
          </div>
        ) : (
          <p className="muted hint">{t('fraud.selectHint')}</p>
        )}
      </section>
    </div>
  );
}

interface FormState {
  kind: IndicatorKind;
  value: string;
  source: IndicatorSource;
  sourceRef: string;
  confidence: string;
  effect: IndicatorEffect;
  overridable: boolean;
  validUntil: string;
  note: string;
}

/** Adds an indicator (sending one of the same kind and value again replaces the contributor's earlier one). */
function IndicatorForm({ onSaved, onCancel }: { onSaved: (r: Indicator) => void; onCancel: () => void }) {
  const { t, lang } = useLang();
  const [f, setF] = useState<FormState>({
    kind: 'phone',
    value: '',
    source: 'police_case',
    sourceRef: '',
    confidence: '0.9',
    effect: 'block',
    overridable: true,
    validUntil: '',
    note: '',
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLSelectElement>(null);
  useEffect(() => first.current?.focus(), []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const local: Record<string, string> = {};
    if (!f.value.trim()) local.value = t('fraud.form.required');
    const confidence = Number(f.confidence.replace(',', '.'));
    if (f.confidence.trim() === '' || !Number.isFinite(confidence) || confidence < 0 || confidence > 1) local.confidence = t('fraud.form.confidenceRange');
    setErrors(local);
    setProblem(null);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      const saved = await fraudApi.addIndicator({
        kind: f.kind,
        value: normalizeIdentifier(f.kind, f.value),
        source: f.source,
        confidence,
        effect: f.effect,
        overridable: f.overridable,
        ...(f.sourceRef.trim() ? { sourceRef: f.sourceRef.trim() } : {}),
        ...(f.validUntil ? { validUntil: new Date(`${f.validUntil}T23:59:59`).toISOString() } : {}),
        ...(f.note.trim() ? { note: f.note.trim() } : {}),
      });
      onSaved(saved);
    } catch (err) {
      const byField = indicatorFieldErrors(err);
      setErrors(byField);
      setProblem(err);
    } finally {
      setBusy(false);
    }
  };

  const { err, invalid } = fieldErrors(errors, 'ind');

  return (
    <form className="fraud-form" onSubmit={submit} noValidate data-testid="indicator-form" lang={lang}>
      <h2>{t('fraud.addTitle')}</h2>
      {problem != null && (
        <div role="alert" className="alert" data-testid="indicator-problem">
          {errorMessage(problem, t)}
        </div>
      )}
      <div className="form-grid">
        <label htmlFor="ind-kind">{t('fraud.kind')}</label>
        <div>
          <select id="ind-kind" ref={first} value={f.kind} onChange={(e) => setF({ ...f, kind: e.target.value as IndicatorKind })}>
            {INDICATOR_KINDS.map((k) => (
              <option key={k} value={k}>
                {codeText(t, 'fkind', k)}
              </option>
            ))}
          </select>
          {err('kind')}
        </div>
        <label htmlFor="ind-value">{t('fraud.value')}</label>
        <div>
          <input id="ind-value" value={f.value} autoComplete="off" placeholder={t(`fplaceholder.${f.kind}`)} onChange={(e) => setF({ ...f, value: e.target.value })} {...invalid('value')} />
          {err('value')}
          {err('hash')}
        </div>
        <label htmlFor="ind-effect">{t('fraud.effect')}</label>
        <div>
          <select id="ind-effect" value={f.effect} onChange={(e) => setF({ ...f, effect: e.target.value as IndicatorEffect })}>
            {INDICATOR_EFFECTS.map((k) => (
              <option key={k} value={k}>
                {codeText(t, 'feffect', k)}
              </option>
            ))}
          </select>
          {err('effect')}
        </div>
        <label htmlFor="ind-source">{t('fraud.source')}</label>
        <div>
          <select id="ind-source" value={f.source} onChange={(e) => setF({ ...f, source: e.target.value as IndicatorSource })}>
            {INDICATOR_SOURCES.map((k) => (
              <option key={k} value={k}>
                {codeText(t, 'fsource', k)}
              </option>
            ))}
          </select>
          {err('source')}
        </div>
        <label htmlFor="ind-ref">{t('fraud.sourceRef')}</label>
        <div>
          <input id="ind-ref" value={f.sourceRef} onChange={(e) => setF({ ...f, sourceRef: e.target.value })} {...invalid('sourceRef')} />
          {err('sourceRef')}
        </div>
        <label htmlFor="ind-confidence">{t('fraud.confidence')}</label>
        <div>
          <input id="ind-confidence" inputMode="decimal" value={f.confidence} onChange={(e) => setF({ ...f, confidence: e.target.value })} {...invalid('confidence')} />
          {err('confidence')}
        </div>
        <label htmlFor="ind-until">{t('fraud.validUntil')}</label>
        <div>
          <input id="ind-until" type="date" value={f.validUntil} onChange={(e) => setF({ ...f, validUntil: e.target.value })} {...invalid('validUntil')} />
          {err('validUntil')}
          {err('validFrom')}
        </div>
        <span />
        <label className="check">
          <input type="checkbox" id="ind-overridable" checked={f.overridable} onChange={(e) => setF({ ...f, overridable: e.target.checked })} /> {t('fraud.overridableLabel')}
        </label>
        <label htmlFor="ind-note">{t('fraud.note')}</label>
        <div>
          <textarea id="ind-note" rows={2} value={f.note} onChange={(e) => setF({ ...f, note: e.target.value })} {...invalid('note')} />
          {err('note')}
        </div>
      </div>
      <div className="form-actions">
        <button type="submit" className="primary" data-action="save-indicator" disabled={busy}>
          {t('fraud.save')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('traffic.cancel')}
        </button>
      </div>
    </form>
  );
}
