import { useCallback, useEffect, useState } from 'react';
import { errorMessage } from '../../lib/errors.ts';
import { formatDateTime } from '../../lib/format.ts';
import { CASE_STATUSES, codeText, type FraudCase, formatMoney, fraudApi } from '../../lib/fraud.ts';
import { useLang } from '../../lib/lang.tsx';
import type { SessionUser } from '../../lib/session.ts';
import { hasPermission } from '../../sections.ts';

/**
 * Citizens' "I was defrauded" reports (102 app, eGov, a bank's app) as case records, newest first, each with the
 * numbers, accounts and cards it named (those became citizens' warn indicators at once). Audited by the server.
 */
export function CasesTab({ user, version }: { user: SessionUser; version: number }) {
  const { t, lang } = useLang();
  const canWrite = hasPermission(user.permissions, 'fraud:write');
  const [items, setItems] = useState<FraudCase[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(async (signal?: AbortSignal) => {
    try {
      setItems(await fraudApi.cases(signal));
      setError(null);
    } catch (e) {
      if ((e as Error).name !== 'AbortError') setError(e);
    }
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` (a live event) is a reason to fetch again
  useEffect(() => {
    const ctl = new AbortController();
    void load(ctl.signal);
    return () => ctl.abort();
  }, [load, version]);

  return (
    <div className="page traffic-page" data-testid="cases-tab">
      <h2>{t('fraud.casesTitle')}</h2>
      <p className="muted small">{t('fraud.casesIntro')}</p>
      {error != null && (
        <div role="alert" className="alert">
          {errorMessage(error, t)}
        </div>
      )}
      {items === null && error == null && <p className="muted">{t('page.loading')}</p>}
      {items !== null && items.length === 0 && <p className="muted">{t('fraud.noCases')}</p>}
      <SimLimits version={version} />
      {items !== null && items.length > 0 && (
        <div className="table-scroll">
          <table data-testid="case-list">
            <thead>
              <tr>
                <th scope="col">{t('fraud.caseOpened')}</th>
                <th scope="col">{t('fraud.channel')}</th>
                <th scope="col">{t('fraud.identifiers')}</th>
                <th scope="col">{t('fraud.amount')}</th>
                <th scope="col">{t('fraud.description')}</th>
                <th scope="col">{t('fraud.caseStatus')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <tr key={c.id} data-case={c.id}>
                  <td>
                    {formatDateTime(c.createdAt, lang)}
                    {c.occurredAt && <div className="muted small">{t('fraud.occurredAt', { at: formatDateTime(c.occurredAt, lang) })}</div>}
                  </td>
                  <td>
                    {codeText(t, 'fchannel', c.channel)}
                    <div className="muted small">{c.reporter}</div>
                  </td>
                  <td>
                    <ul className="plain">
                      {c.identifiers.map((i) => (
                        <li key={`${i.kind}:${i.hash}`} data-kind={i.kind}>
                          {codeText(t, 'fkind', i.kind)}: <span className="ident">{i.value ?? `${i.hash.slice(0, 12)}…`}</span>
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td className="num">{c.amount != null ? formatMoney(c.amount, c.currency, lang) : '—'}</td>
                  <td>{c.description ?? '—'}</td>
                  <td>
                    {canWrite ? <CaseStatusControl c={c} onSaved={() => void load()} /> : codeText(t, 'fcase', c.status)}
                    {c.statusComment && <div className="muted small" data-testid="case-status-comment">«{c.statusComment}»</div>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

/** An analyst moves a case on (open → investigating → closed, or back), with an optional comment; the server audits it. */
function CaseStatusControl({ c, onSaved }: { c: FraudCase; onSaved: () => void }) {
  const { t } = useLang();
  const [status, setStatus] = useState(c.status);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const save = async () => {
    setBusy(true);
    try {
      await fraudApi.setCaseStatus(c.id, status, comment.trim() || undefined);
      setComment('');
      setError(null);
      onSaved();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="case-status"
      data-testid="case-status-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label>
        <span className="visually-hidden">{t('fraud.caseStatus')}</span>
        <select value={status} onChange={(e) => setStatus(e.target.value)} data-testid="case-status">
          {CASE_STATUSES.map((s) => (
            <option key={s} value={s}>
              {codeText(t, 'fcase', s)}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span className="visually-hidden">{t('fraud.caseComment')}</span>
        <input value={comment} onChange={(e) => setComment(e.target.value)} className="case-comment" placeholder={t('fraud.caseComment')} maxLength={1000} data-testid="case-comment" />
      </label>
      <button type="submit" disabled={busy || (status === c.status && comment.trim() === '')} data-action="save-case">
        {t('fraud.caseSave')}
      </button>
      {error != null && (
        <div role="alert" className="alert small">
          {errorMessage(error, t)}
        </div>
      )}
    </form>
  );
}

/** People holding more SIM cards than the law allows, across all operators (the registration feed), most first. */
function SimLimits({ version }: { version: number }) {
  const { t, lang } = useLang();
  const [data, setData] = useState<{ limit: number; items: { iin: string; active: number; flaggedAt: string }[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` (a live event) is a reason to fetch again
  useEffect(() => {
    const ctl = new AbortController();
    fraudApi.simLimits(ctl.signal).then(
      (d) => {
        setData(d);
        setError(null);
      },
      (e: unknown) => {
        if ((e as Error).name !== 'AbortError') setError(e);
      },
    );
    return () => ctl.abort();
  }, [version]);
  return (
    <section className="sim-limits" data-testid="sim-limits">
      <h2>{t('fraud.simLimits')}</h2>
      {error != null && (
        <div role="alert" className="alert">
          {errorMessage(error, t)}
        </div>
      )}
      {data && data.items.length === 0 && <p className="muted">{t('fraud.noSimLimits')}</p>}
      {data && data.items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('fraud.iin')}</th>
              <th scope="col">{t('fraud.activeSims')}</th>
              <th scope="col">{t('fraud.since')}</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((p) => (
              <tr key={p.iin} data-iin={p.iin}>
                <td className="ident">{p.iin}</td>
                <td className="num">
                  {p.active} / {data.limit}
                </td>
                <td>{formatDateTime(p.flaggedAt, lang)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
