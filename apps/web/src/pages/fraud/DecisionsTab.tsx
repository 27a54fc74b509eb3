import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from '../../lib/errors.ts';
import { formatDateTime } from '../../lib/format.ts';
import { codeText, type Decision, fraudApi, formatMoney, formatNumber, subjectText } from '../../lib/fraud.ts';
import { useLang } from '../../lib/lang.tsx';
import type { SessionUser } from '../../lib/session.ts';
import { useInterval } from '../../lib/useInterval.ts';
import { hasPermission } from '../../sections.ts';
import { IndicatorHistory } from './IndicatorHistory.tsx';
import { moveIn, OutcomeBadge, Reasons, useShortcuts } from './parts.tsx';

/** The ids of the indicators that matched, as the decision log recorded them (none for most decisions). */
const matchedIndicators = (d: Decision): string[] =>
  Array.isArray(d.subject.indicators) ? d.subject.indicators.filter((x): x is string => typeof x === 'string') : [];

type KindFilter = '' | 'call' | 'transaction';

/** The bank's (or an analyst's) verdict on a decision: fraud, not fraud, or none yet. */
export function Verdict({ d }: { d: Decision }) {
  const { t } = useLang();
  const state = d.confirmedFraud === null ? 'none' : d.confirmedFraud ? 'fraud' : 'legit';
  return (
    <span className="badge fverdict" data-verdict={state} data-testid="verdict">
      {t(state === 'none' ? 'fraud.verdict.none' : state === 'fraud' ? 'fraud.verdict.fraud' : 'fraud.verdict.legit')}
    </span>
  );
}

/**
 * The decision log: recent call and transaction decisions, newest first, each with its outcome, score, the
 * partner that asked, and its reasons explained; the verdict (fraud confirmed or not) when the bank gave it, and
 * the buttons to give it for fraud:write. Keys: ↑/↓ (k/j) move, F confirms fraud, L marks it legitimate.
 * Refetched on live events and every 10 s (a screening is not an event: the switches and banks send thousands).
 */
export function DecisionsTab({ user, version }: { user: SessionUser; version: number }) {
  const { t, lang } = useLang();
  const canWrite = hasPermission(user.permissions, 'fraud:write');
  const [kind, setKind] = useState<KindFilter>('');
  const [flaggedOnly, setFlaggedOnly] = useState(false);
  // The search as typed, and as last sent (Enter or the button): the list follows the sent one.
  const [searchText, setSearchText] = useState('');
  const [search, setSearch] = useState('');
  const [outcome, setOutcome] = useState('');
  const [items, setItems] = useState<Decision[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [unavailable, setUnavailable] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const listRef = useRef<HTMLUListElement>(null);

  const load = useCallback(
    async (signal?: AbortSignal) => {
      try {
        const page = await fraudApi.decisions({ kind, search, outcome, flagged: flaggedOnly }, signal);
        if (page === null) setUnavailable(true);
        else {
          setUnavailable(false);
          setItems(page.items);
          setNextCursor(page.nextCursor);
        }
        setError(null);
      } catch (e) {
        if ((e as Error).name !== 'AbortError') setError(e);
      } finally {
        if (!signal?.aborted) setLoaded(true);
      }
    },
    [kind, search, outcome, flaggedOnly],
  );
  const more = async () => {
    if (!nextCursor) return;
    try {
      const page = await fraudApi.decisions({ kind, search, outcome, flagged: flaggedOnly, cursor: nextCursor });
      if (page) {
        setItems((prev) => [...prev, ...page.items.filter((d) => !prev.some((p) => p.id === d.id))]);
        setNextCursor(page.nextCursor);
      }
    } catch (e) {
      setError(e);
    }
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` (a live event) is a reason to fetch again
  useEffect(() => {
    const ctl = new AbortController();
    void load(ctl.signal);
    return () => ctl.abort();
  }, [load, version]);
  useInterval(() => {
    if (!unavailable) void load();
  }, 10_000);

  const shown = items;
  const current = shown.find((d) => d.id === selected) ?? null;

  const verdict = async (d: Decision, fraud: boolean) => {
    setBusy(true);
    setActionError(null);
    try {
      const r = await fraudApi.recordOutcome(d.id, fraud);
      setItems((prev) => prev.map((x) => (x.id === d.id ? { ...x, confirmedFraud: r.fraud, outcomeAt: r.at, outcomeBy: user.username } : x)));
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  };

  useShortcuts((e) => {
    const k = e.key;
    if (k === 'ArrowDown' || k === 'j' || k === 'ArrowUp' || k === 'k') {
      const id = moveIn(
        shown.map((d) => d.id),
        selected,
        k === 'ArrowDown' || k === 'j' ? 1 : -1,
        listRef.current,
      );
      if (id) {
        setSelected(id);
        setActionError(null);
      }
      return true;
    }
    if ((k === 'f' || k === 'l') && canWrite && current && current.confirmedFraud === null && !busy) {
      void verdict(current, k === 'f');
      return true;
    }
    return false;
  });

  return (
    <div className="traffic-split fraud-split" data-testid="decisions-tab">
      <section className="traffic-queue" aria-label={t('fraud.decisions')}>
        <div className="queue-head">
          <h2>{t('fraud.decisions')}</h2>
          <fieldset className="segmented" aria-label={t('fraud.kind')}>
            {(['', 'call', 'transaction'] as const).map((k) => (
              <button key={k || 'all'} type="button" aria-pressed={kind === k} data-kind-filter={k || 'all'} onClick={() => setKind(k)}>
                {k ? t(k === 'call' ? 'fraud.calls' : 'fraud.transactions') : t('fraud.all')}
              </button>
            ))}
          </fieldset>
        </div>
        <form
          className="fraud-filters"
          aria-label={t('fraud.searchDecisions')}
          data-testid="decision-search"
          onSubmit={(e) => {
            e.preventDefault();
            setSearch(searchText.trim());
          }}
        >
          <label className="wide">
            <span className="visually-hidden">{t('fraud.searchDecisions')}</span>
            <input type="search" value={searchText} onChange={(e) => setSearchText(e.target.value)} placeholder={t('fraud.searchDecisions')} maxLength={64} data-testid="decision-search-text" />
          </label>
          <label>
            <span className="visually-hidden">{t('fraud.outcome')}</span>
            <select value={outcome} onChange={(e) => setOutcome(e.target.value)} data-testid="decision-outcome">
              <option value="">{t('fraud.anyOutcome')}</option>
              {['block', 'hold', 'label', 'allow'].map((o) => (
                <option key={o} value={o}>
                  {codeText(t, 'foutcome', o)}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" data-action="search-decisions">
            {t('fraud.search')}
          </button>
          {search && (
            <button
              type="button"
              onClick={() => {
                setSearchText('');
                setSearch('');
              }}
            >
              {t('fraud.clearSearch')}
            </button>
          )}
        </form>
        <label className="check">
          <input type="checkbox" checked={flaggedOnly} onChange={(e) => setFlaggedOnly(e.target.checked)} /> {t('fraud.flaggedOnly')}
        </label>
        <p className="muted small">{t('fraud.decisionKeys')}</p>
        {unavailable && (
          <p className="message" data-testid="decisions-unavailable">
            {t('fraud.decisionsUnavailable')}
          </p>
        )}
        {error != null && (
          <div role="alert" className="alert">
            {errorMessage(error, t)}
          </div>
        )}
        <ul className="violation-list fraud-list" ref={listRef} data-testid="decision-list">
          {shown.map((d) => (
            <li key={d.id}>
              <button
                type="button"
                className={`queue-item${d.id === selected ? ' active' : ''}`}
                data-row={d.id}
                data-decision={d.id}
                data-kind={d.kind}
                data-outcome={d.outcome}
                aria-current={d.id === selected ? 'true' : undefined}
                onClick={() => {
                  setSelected(d.id);
                  setActionError(null);
                }}
              >
                <span className="queue-top">
                  <span className="queue-cat">
                    {codeText(t, 'fdkind', d.kind)} <span className="ident">{subjectText(d)}</span>
                  </span>
                  <OutcomeBadge outcome={d.outcome} />
                </span>
                <span className="queue-mid">
                  {d.amount != null && <strong>{formatMoney(d.amount, d.currency, lang)}</strong>}
                  {d.score != null && <span>{t('fraud.scoreShort', { score: formatNumber(d.score, lang) })}</span>}
                  <Verdict d={d} />
                </span>
                <Reasons reasons={d.reasons} inline />
                <span className="queue-bottom">
                  <span>{d.partner ?? '—'}</span>
                  <span className="muted">{formatDateTime(d.decidedAt, lang)}</span>
                  {d.degraded && <span className="badge flag">{t('fraud.degraded')}</span>}
                </span>
              </button>
            </li>
          ))}
        </ul>
        {!loaded && <p className="muted">{t('page.loading')}</p>}
        {loaded && !unavailable && error == null && shown.length === 0 && <p className="muted">{t('fraud.noDecisions')}</p>}
        {nextCursor && (
          <button type="button" onClick={() => void more()}>
            {t('page.loadMore')}
          </button>
        )}
      </section>
      <section className="traffic-detail" aria-live="polite">
        {current ? (
          <div className="fraud-card" data-testid="decision-detail" data-decision={current.id}>
            <div className="detail-head">
              <h2>
                {codeText(t, 'fdkind', current.kind)} <span className="ident">{subjectText(current)}</span>
              </h2>
              <OutcomeBadge outcome={current.outcome} />
              <Verdict d={current} />
            </div>
            <dl className="facts">
              <dt>{t('fraud.decidedAt')}</dt>
              <dd>{formatDateTime(current.decidedAt, lang)}</dd>
              <dt>{t('fraud.partner')}</dt>
              <dd>{current.partner ?? '—'}</dd>
              {current.amount != null && (
                <>
                  <dt>{t('fraud.amount')}</dt>
                  <dd>{formatMoney(current.amount, current.currency, lang)}</dd>
                </>
              )}
              {current.score != null && (
                <>
                  <dt>{t('fraud.score')}</dt>
                  <dd>{formatNumber(current.score, lang)}</dd>
                </>
              )}
              <dt>{t('fraud.latency')}</dt>
              <dd>{current.latencyUs != null ? t('fraud.us', { n: formatNumber(current.latencyUs, lang) }) : '—'}</dd>
              <dt>{t('fraud.policy')}</dt>
              <dd>{current.policyVersion ?? '—'}</dd>
              {typeof current.subject.risk === 'string' && (
                <>
                  <dt>{t('fraud.callRisk')}</dt>
                  <dd data-testid="call-risk">{codeText(t, 'fcallrisk', current.subject.risk)}</dd>
                </>
              )}
              {current.outcomeAt && (
                <>
                  <dt>{t('fraud.verdict')}</dt>
                  <dd>
                    {formatDateTime(current.outcomeAt, lang)}
                    {current.outcomeBy && <span className="muted"> · {current.outcomeBy}</span>}
                    {current.outcomeNote && <span> · {current.outcomeNote}</span>}
                  </dd>
                </>
              )}
            </dl>
            <h3>{t('fraud.reasons')}</h3>
            <Reasons reasons={current.reasons} />
            {matchedIndicators(current).length > 0 && (
              <>
                <h3>{t('fraud.matchedIndicators')}</h3>
                {/* Each indicator as it stands now, with its history: what was in force when the decision was made, and since. */}
                <ul className="matched-indicators" data-testid="matched-indicators">
                  {matchedIndicators(current).map((id) => (
                    <li key={id} data-indicator={id}>
                      <details>
                        <summary>
                          <code>{id}</code>
                        </summary>
                        <IndicatorHistory id={id} version={current.id} />
                      </details>
                    </li>
                  ))}
                </ul>
              </>
            )}
            {actionError != null && (
              <div role="alert" className="alert">
                {errorMessage(actionError, t)}
              </div>
            )}
            {canWrite && current.confirmedFraud === null && (
              <div className="form-actions">
                <button type="button" className="danger" data-action="confirm-fraud" disabled={busy} onClick={() => void verdict(current, true)}>
                  {t('fraud.markFraud')}
                </button>
                <button type="button" data-action="confirm-legit" disabled={busy} onClick={() => void verdict(current, false)}>
                  {t('fraud.markLegit')}
                </button>
              </div>
            )}
          </div>
        ) : (
          <p className="muted hint">{t('fraud.selectDecision')}</p>
        )}
      </section>
    </div>
  );
}
