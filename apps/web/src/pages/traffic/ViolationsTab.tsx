import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { errorMessage } from '../../lib/errors.ts';
import { formatDateTime } from '../../lib/format.ts';
import { useLang } from '../../lib/lang.tsx';
import type { SessionUser } from '../../lib/session.ts';
import { throttle } from '../../lib/throttle.ts';
import { codeText, type DecisionResult, newestFirst, trafficApi, VIOLATION_SUBJECTS, type Violation, type ViolationStatus } from '../../lib/traffic.ts';
import { useEventStream } from '../../lib/useEventStream.ts';
import { useInterval } from '../../lib/useInterval.ts';
import { hasPermission } from '../../sections.ts';
import { NoticeDialog } from './NoticeDialog.tsx';
import { PenaltyLine, Plate, SpeedVsLimit, ViolationStatusBadge } from './parts.tsx';
import { placeName, useTrafficRefs } from './useTrafficRefs.ts';
import { ViolationDetail } from './ViolationDetail.tsx';

type View = 'PENDING' | 'CONFIRMED' | 'REJECTED';
const VIEWS: View[] = ['PENDING', 'CONFIRMED', 'REJECTED'];

/** Keys typed into these are text, not shortcuts (a checkbox is not: the arrows still move through the queue). */
const typing = (el: EventTarget | null) =>
  el instanceof HTMLElement &&
  (el.isContentEditable || ['TEXTAREA', 'SELECT'].includes(el.tagName) || (el instanceof HTMLInputElement && !['checkbox', 'radio', 'button'].includes(el.type)));

/**
 * The verification queue: pending violations newest first, each with kind, plate, speed vs limit, place, time and
 * penalty; the evidence of the one picked; confirm, reject with a reason, bulk confirm of the marked ones; the notice
 * of a confirmed one. Live: a violation recorded or decided anywhere refetches the list (at most once per 300 ms).
 * Keyboard: ↑/↓ (or k/j) move, x or space marks, c confirms, r rejects, n opens the notice, a marks all.
 */
export function ViolationsTab({ user, openId }: { user: SessionUser; openId: string | null }) {
  const { t, lang } = useLang();
  const canVerify = hasPermission(user.permissions, 'traffic:verify');
  const refs = useTrafficRefs();
  const [view, setView] = useState<View>('PENDING');
  const [items, setItems] = useState<Violation[]>([]);
  const [more, setMore] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<unknown>(null);
  /** Decided on this screen: kept in the list (with their new status) so that their notice stays at hand. */
  const [decided, setDecided] = useState<Map<string, Violation>>(new Map());
  const [selected, setSelected] = useState<string | null>(openId);
  const [marked, setMarked] = useState<Set<string>>(new Set());
  const [versions, setVersions] = useState<Record<string, number>>({});
  const [rejecting, setRejecting] = useState(false);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const [bulkResult, setBulkResult] = useState<DecisionResult | null>(null);
  const [noticeFor, setNoticeFor] = useState<string | null>(null);
  const listRef = useRef<HTMLUListElement>(null);

  useEffect(() => setSelected(openId), [openId]);

  const load = useCallback(async () => {
    try {
      if (view === 'PENDING') {
        const r = await trafficApi.pending();
        setItems(r.items);
        setMore(r.more);
      } else {
        setItems(await trafficApi.violations({ status: view as ViolationStatus, limit: 100 }));
        setMore(false);
      }
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      setLoaded(true);
    }
  }, [view]);

  useEffect(() => {
    setLoaded(false);
    setItems([]);
    setMarked(new Set());
    setDecided(new Map());
    void load();
  }, [load]);

  const refetch = useRef<ReturnType<typeof throttle> | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;
  refetch.current ??= throttle(() => void loadRef.current(), 300);
  useEffect(() => () => refetch.current?.cancel(), []);
  const stream = useEventStream('traffic.violation.>', VIOLATION_SUBJECTS, (e) => {
    const id = typeof e.data.violationId === 'string' ? e.data.violationId : null;
    if (id) setVersions((v) => ({ ...v, [id]: (v[id] ?? 0) + 1 }));
    refetch.current?.();
  });
  useInterval(() => void load(), stream === 'open' ? 30_000 : 5_000);

  // The list shown: the server's, plus what was decided here (in its new state) where the server no longer lists it.
  const shown = useMemo(() => {
    const byId = new Map(items.map((v) => [v.id, decided.get(v.id) ?? v]));
    if (view === 'PENDING') for (const [id, v] of decided) if (!byId.has(id)) byId.set(id, v);
    return [...byId.values()].sort(newestFirst);
  }, [items, decided, view]);
  const pendingIds = useMemo(() => shown.filter((v) => v.status === 'PENDING').map((v) => v.id), [shown]);
  const pendingCount = view === 'PENDING' ? pendingIds.length : null;
  const current = shown.find((v) => v.id === selected) ?? null;
  const markedPending = [...marked].filter((id) => pendingIds.includes(id));

  const select = useCallback((id: string, focus = false) => {
    setSelected(id);
    setRejecting(false);
    setActionError(null);
    if (focus) {
      const btn = listRef.current?.querySelector<HTMLButtonElement>(`button[data-violation="${CSS.escape(id)}"]`);
      btn?.focus();
      btn?.scrollIntoView({ block: 'nearest' });
    }
  }, []);

  const toggleMark = useCallback((id: string) => {
    setMarked((m) => {
      const n = new Set(m);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  }, []);

  const remember = useCallback((v: Violation) => {
    setDecided((d) => new Map(d).set(v.id, v));
    setVersions((x) => ({ ...x, [v.id]: (x[v.id] ?? 0) + 1 }));
  }, []);

  const decide = useCallback(
    async (id: string, decision: 'confirm' | 'reject', note?: string) => {
      setBusy(true);
      setActionError(null);
      setBulkResult(null);
      try {
        remember(await trafficApi.decide(id, decision, note));
        setRejecting(false);
        setMarked((m) => {
          const n = new Set(m);
          n.delete(id);
          return n;
        });
        refetch.current?.();
      } catch (e) {
        setActionError(e);
        setVersions((x) => ({ ...x, [id]: (x[id] ?? 0) + 1 })); // it may have changed (voided by a late clock report)
      } finally {
        setBusy(false);
      }
    },
    [remember],
  );

  const bulkConfirm = useCallback(async () => {
    const ids = [...marked].filter((id) => pendingIds.includes(id));
    if (ids.length === 0) return;
    setBusy(true);
    setActionError(null);
    try {
      const r = await trafficApi.decideMany(ids, 'confirm');
      setBulkResult(r);
      // The new state of each, for the list and the notice links.
      const okIds = r.results.filter((x) => x.ok).map((x) => x.id);
      const fresh = await Promise.all(okIds.map((id) => trafficApi.violation(id).catch(() => null)));
      for (const v of fresh) if (v) remember(v);
      setMarked(new Set());
      refetch.current?.();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  }, [marked, pendingIds, remember]);

  // Keyboard: the queue is worked through without the mouse.
  const keys = useRef<(e: KeyboardEvent) => void>(() => {});
  keys.current = (e: KeyboardEvent) => {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || typing(e.target) || noticeFor) return;
    const at = current ? shown.indexOf(current) : -1;
    const move = (d: number) => {
      if (shown.length === 0) return;
      const i = at < 0 ? 0 : Math.min(shown.length - 1, Math.max(0, at + d));
      select(shown[i].id, true);
    };
    const k = e.key;
    if (k === 'ArrowDown' || k === 'j') move(1);
    else if (k === 'ArrowUp' || k === 'k') move(-1);
    else if ((k === 'x' || (k === ' ' && !(e.target instanceof HTMLInputElement))) && current?.status === 'PENDING') toggleMark(current.id);
    else if (k === 'a' && view === 'PENDING') setMarked(new Set(pendingIds));
    else if (k === 'c' && canVerify && current?.status === 'PENDING' && !busy) void decide(current.id, 'confirm');
    else if (k === 'r' && canVerify && current?.status === 'PENDING') setRejecting(true);
    else if (k === 'n' && canVerify && current?.status === 'CONFIRMED') setNoticeFor(current.id);
    else if (k === 'Escape' && rejecting) setRejecting(false);
    else return;
    e.preventDefault();
  };
  useEffect(() => {
    const on = (e: KeyboardEvent) => keys.current(e);
    window.addEventListener('keydown', on);
    return () => window.removeEventListener('keydown', on);
  }, []);

  return (
    <div className="traffic-split" data-testid="violations-tab">
      <aside className="traffic-queue" aria-labelledby="traffic-queue-title">
        <div className="queue-head">
          <h2 id="traffic-queue-title">{pendingCount != null ? t('traffic.queue', { count: pendingCount }) : t('traffic.violations')}</h2>
          <p className={`stream-state ${stream}`} data-state={stream}>
            <span aria-hidden="true">●</span> {t(`stream.${stream}`)}
          </p>
        </div>
        <fieldset className="segmented" aria-label={t('traffic.show')}>
          {VIEWS.map((v) => (
            <button key={v} type="button" aria-pressed={view === v} data-view={v} onClick={() => setView(v)}>
              {codeText(t, 'vstatus', v)}
            </button>
          ))}
        </fieldset>
        {view === 'PENDING' && canVerify && (
          <div className="bulk-bar">
            <label className="check">
              <input
                type="checkbox"
                checked={pendingIds.length > 0 && markedPending.length === pendingIds.length}
                disabled={pendingIds.length === 0}
                onChange={(e) => setMarked(e.target.checked ? new Set(pendingIds) : new Set())}
                data-testid="mark-all"
              />{' '}
              {t('traffic.markAll')}
            </label>
            <button type="button" className="primary" disabled={busy || markedPending.length === 0} onClick={() => void bulkConfirm()} data-testid="bulk-confirm">
              {t('traffic.confirmMarked', { count: markedPending.length })}
            </button>
          </div>
        )}
        {bulkResult && (
          <p className={bulkResult.failed > 0 ? 'notice small' : 'success small'} role="status" data-testid="bulk-result">
            {t('traffic.bulkResult', { confirmed: bulkResult.confirmed, failed: bulkResult.failed })}
          </p>
        )}
        {error != null && (
          <div role="alert" className="alert">
            {errorMessage(error, t)}
          </div>
        )}
        {loaded && shown.length === 0 && error == null && <p className="muted">{view === 'PENDING' ? t('traffic.queueEmpty') : t('page.empty')}</p>}
        {!loaded && <p className="muted">{t('page.loading')}</p>}
        <ul className="violation-list" data-testid="violation-queue" ref={listRef}>
          {shown.map((v) => {
            const place = placeName(refs, v);
            return (
              <li key={v.id} className={v.status !== 'PENDING' && view === 'PENDING' ? 'decided' : undefined}>
                {view === 'PENDING' && canVerify && v.status === 'PENDING' && (
                  <input
                    type="checkbox"
                    className="mark"
                    checked={marked.has(v.id)}
                    onChange={() => toggleMark(v.id)}
                    aria-label={t('traffic.mark', { plate: v.plate })}
                    data-mark={v.id}
                  />
                )}
                <button
                  type="button"
                  className={`queue-item violation-item${v.id === selected ? ' active' : ''}`}
                  aria-pressed={v.id === selected}
                  data-violation={v.id}
                  data-plate={v.plate}
                  data-status={v.status}
                  onClick={() => select(v.id)}
                >
                  <span className="queue-top">
                    <Plate plate={v.plate} country={v.country} />
                    <span className="queue-cat">{codeText(t, 'tkind', v.kind)}</span>
                    {v.status !== 'PENDING' && <ViolationStatusBadge status={v.status} />}
                  </span>
                  <span className="queue-mid">
                    <SpeedVsLimit v={v} />
                    <PenaltyLine penalty={v.penalty} />
                  </span>
                  <span className="queue-bottom muted">
                    <time dateTime={v.at}>{formatDateTime(v.at, lang)}</time>
                    {place && <span className="place">{place}</span>}
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
        {more && <p className="muted small">{t('traffic.queueMore')}</p>}
        <p className="muted small keys-hint">{t('traffic.keys')}</p>
      </aside>
      <section className="traffic-detail" aria-live="polite">
        {current || selected ? (
          <ViolationDetail
            key={selected ?? ''}
            id={(selected ?? current?.id) as string}
            version={versions[selected ?? ''] ?? 0}
            refs={refs}
            canVerify={canVerify}
            busy={busy}
            error={actionError}
            rejecting={rejecting}
            onReject={() => setRejecting(true)}
            onCancelReject={() => setRejecting(false)}
            onDecide={(decision, note) => void decide((selected ?? current?.id) as string, decision, note)}
            onNotice={() => setNoticeFor(selected)}
          />
        ) : (
          <p className="muted hint">{t('traffic.selectHint')}</p>
        )}
      </section>
      {noticeFor && <NoticeDialog id={noticeFor} onClose={() => setNoticeFor(null)} />}
    </div>
  );
}
