import { type FormEvent, type ReactNode, useCallback, useEffect, useMemo, useState } from 'react';
import { errorMessage } from '../../lib/errors.ts';
import { formatDateTime } from '../../lib/format.ts';
import {
  CALL_SETTINGS,
  type CallSetting,
  codeText,
  formatNumber,
  fraudApi,
  type PolicyDocument,
  clearPolicyDraft,
  keepPolicyDraft,
  policyDraft,
  type PolicyVersionInfo,
  parseNumberInput,
  problemFieldErrors,
} from '../../lib/fraud.ts';
import { useLang } from '../../lib/lang.tsx';
import type { SessionUser } from '../../lib/session.ts';
import { hasPermission } from '../../sections.ts';

type Loaded = PolicyVersionInfo & { policy: PolicyDocument; ruleIds: string[] };

/**
 * One number of the policy. Holds what is typed (so «0,5» or a half-typed «1.» stay as typed) and reports the number
 * (or `invalid`) up; `path` is the server's field path after `body.`, so its error shows here.
 */
function NumField({
  path,
  value,
  onValue,
  error,
  disabled,
  label,
  openEnded = false,
}: {
  path: string;
  value: number | null;
  onValue: (v: number | null, invalid: boolean) => void;
  error?: string;
  disabled: boolean;
  label: string;
  openEnded?: boolean;
}) {
  const [text, setText] = useState(value === null ? '' : String(value));
  const id = `pol-${path.replace(/[^A-Za-z0-9]+/g, '-')}`;
  return (
    <span className="num-field">
      <input
        id={id}
        data-path={path}
        aria-label={label}
        inputMode="decimal"
        value={text}
        disabled={disabled}
        placeholder={openEnded ? '∞' : undefined}
        size={6}
        {...(error ? { 'aria-invalid': true as const, 'aria-describedby': `${id}-error` } : {})}
        onChange={(e) => {
          setText(e.target.value);
          const n = parseNumberInput(e.target.value);
          if (e.target.value.trim() === '' && openEnded) onValue(null, false);
          else onValue(n, n === null);
        }}
      />
      {error && (
        <span className="field-error" id={`${id}-error`} role="alert" data-error-for={path} style={{ display: 'block' }}>
          {error}
        </span>
      )}
    </span>
  );
}

/**
 * Typology configuration (`#/fraud/policy`): the decision policy in force — each rule's bands, each typology's
 * weights and its alert (hold) and interdiction (block) thresholds, the windows, the call policy — editable by
 * fraud:write and saved as a new version with a comment (`PUT /api/v1/fraud/policy`); every process decides by it at
 * once. The server's field errors show under their fields and nothing is saved; the versions are listed below.
 */
export function PolicyTab({ user, version }: { user: SessionUser; version: number }) {
  const { t, lang } = useLang();
  const canWrite = hasPermission(user.permissions, 'fraud:write');
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [versions, setVersions] = useState<PolicyVersionInfo[]>([]);
  const [draft, setDraft] = useState<PolicyDocument | null>(null);
  const [bad, setBad] = useState<Set<string>>(new Set());
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<unknown>(null);
  const [comment, setComment] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [formKey, setFormKey] = useState(0);
  const dirty = useMemo(() => loaded !== null && draft !== null && JSON.stringify(loaded.policy) !== JSON.stringify(draft), [loaded, draft]);

  const load = useCallback(async (signal?: AbortSignal, keepDraft = false) => {
    try {
      const [p, v] = await Promise.all([fraudApi.policy(signal), fraudApi.policyVersions(signal)]);
      setLoaded(p);
      setVersions(v.items);
      if (!keepDraft) {
        // A draft taken to the backtest screen comes back with the analyst, while it is still based on the version in force.
        const kept = policyDraft();
        setDraft(kept && kept.basedOn === p.version ? kept.policy : structuredClone(p.policy));
        setBad(new Set());
        setFormKey((k) => k + 1);
      }
      setProblem(null);
    } catch (e) {
      if ((e as Error).name !== 'AbortError') setProblem(e);
    }
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` (a live event, e.g. a version saved elsewhere) is a reason to fetch again
  useEffect(() => {
    const ctl = new AbortController();
    void load(ctl.signal, dirty);
    return () => ctl.abort();
  }, [load, version]);

  const update = (path: string, f: (d: PolicyDocument, v: number | null) => void) => (v: number | null, invalid: boolean) => {
    // The server's word on this field was about the value before; it is checked again on saving.
    setErrors((e) => {
      if (!(path in e)) return e;
      const { [path]: _, ...rest } = e;
      return rest;
    });
    setBad((b) => {
      const n = new Set(b);
      if (invalid) n.add(path);
      else n.delete(path);
      return n;
    });
    if (!invalid)
      setDraft((d) => {
        if (!d) return d;
        const next = structuredClone(d);
        f(next, v);
        return next;
      });
  };
  const fieldError = (path: string) => errors[path] ?? (bad.has(path) ? t('fraud.form.number') : undefined);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!draft || !loaded) return;
    setNotice(null);
    const local: Record<string, string> = {};
    if (!comment.trim()) local.comment = t('fraud.form.required');
    if (bad.size > 0) local._ = t('fraud.policy.fixNumbers');
    setErrors(local);
    setProblem(null);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      const saved = await fraudApi.savePolicy(draft, comment.trim(), loaded.version);
      setNotice(t('fraud.policy.saved', { version: saved.version }));
      clearPolicyDraft();
      setComment('');
      await load(undefined, false);
    } catch (err) {
      setErrors(problemFieldErrors(err));
      setProblem(err);
    } finally {
      setBusy(false);
    }
  };

  if (!loaded || !draft) {
    return (
      <div className="page traffic-page fraud-policy" data-testid="policy-tab">
        {problem != null ? (
          <div role="alert" className="alert">
            {errorMessage(problem, t)}
          </div>
        ) : (
          <p className="muted">{t('page.loading')}</p>
        )}
      </div>
    );
  }

  const tx = draft.transactions;
  const P = 'policy.transactions';
  const disabled = !canWrite || busy;
  const params: { key: keyof PolicyDocument['transactions'] & string; label: string }[] = [
    { key: 'callWindowMin', label: t('fraud.policy.callWindowMin') },
    { key: 'largeAmount', label: t('fraud.policy.largeAmount') },
    { key: 'newAccountDays', label: t('fraud.policy.newAccountDays') },
    { key: 'muleWindowMin', label: t('fraud.policy.muleWindowMin') },
    { key: 'velocityWindowMin', label: t('fraud.policy.velocityWindowMin') },
    { key: 'minHistory', label: t('fraud.policy.minHistory') },
  ];
  const callRows: { label: string; path: string; get: (d: PolicyDocument) => CallSetting; set: (d: PolicyDocument, v: CallSetting) => void }[] = [
    { label: t('fraud.policy.call.domestic'), path: 'policy.calls.domesticCliOnInternational', get: (d) => d.calls.domesticCliOnInternational, set: (d, v) => { d.calls.domesticCliOnInternational = v; } },
    { label: t('fraud.policy.call.A'), path: 'policy.calls.shaken.attestation.A', get: (d) => d.calls.shaken.attestation.A, set: (d, v) => { d.calls.shaken.attestation.A = v; } },
    { label: t('fraud.policy.call.B'), path: 'policy.calls.shaken.attestation.B', get: (d) => d.calls.shaken.attestation.B, set: (d, v) => { d.calls.shaken.attestation.B = v; } },
    { label: t('fraud.policy.call.C'), path: 'policy.calls.shaken.attestation.C', get: (d) => d.calls.shaken.attestation.C, set: (d, v) => { d.calls.shaken.attestation.C = v; } },
    { label: t('fraud.policy.call.invalid'), path: 'policy.calls.shaken.invalid', get: (d) => d.calls.shaken.invalid, set: (d, v) => { d.calls.shaken.invalid = v; } },
    { label: t('fraud.policy.call.absent'), path: 'policy.calls.shaken.absent', get: (d) => d.calls.shaken.absent, set: (d, v) => { d.calls.shaken.absent = v; } },
  ];
  const ruleIds = Object.keys(tx.rules);
  const range = (b: { lower: number; upper: number | null }) => `${formatNumber(b.lower, lang, 2)} – ${b.upper === null ? '∞' : formatNumber(b.upper, lang, 2)}`;

  return (
    <form className="page traffic-page fraud-policy fraud-form-wide" data-testid="policy-tab" data-version={loaded.version} onSubmit={save} noValidate key={formKey}>
      <div className="queue-head">
        <h2>{t('fraud.policy.title')}</h2>
        <span className="badge" data-testid="policy-version">
          {t('fraud.policy.version', { version: loaded.version })}
        </span>
      </div>
      <p className="muted small">{t('fraud.policy.intro')}</p>
      {notice && (
        <p className="notice" role="status" data-testid="policy-notice">
          {notice}
        </p>
      )}
      {problem != null && (
        <div role="alert" className="alert" data-testid="policy-problem">
          {errorMessage(problem, t)}
        </div>
      )}
      {errors._ && (
        <p className="field-error" role="alert">
          {errors._}
        </p>
      )}

      <h3>{t('fraud.policy.typologies')}</h3>
      <div className="table-scroll">
        <table data-testid="policy-typologies">
          <thead>
            <tr>
              <th scope="col">{t('fraud.policy.typology')}</th>
              <th scope="col">{t('fraud.policy.alert')}</th>
              <th scope="col">{t('fraud.policy.interdiction')}</th>
              <th scope="col">{t('fraud.policy.weights')}</th>
            </tr>
          </thead>
          <tbody>
            {tx.typologies.map((ty, i) => (
              <tr key={ty.id} data-typology={ty.id}>
                <th scope="row">
                  {codeText(t, 'ftypology', ty.id)}
                  <br />
                  <span className="muted small ident">
                    {ty.id} v{ty.version}
                  </span>
                </th>
                <td>
                  <NumField
                    path={`${P}.typologies.${i}.alert`}
                    label={`${ty.id}: ${t('fraud.policy.alert')}`}
                    value={ty.alert}
                    disabled={disabled}
                    error={fieldError(`${P}.typologies.${i}.alert`)}
                    onValue={update(`${P}.typologies.${i}.alert`, (d, v) => {
                      d.transactions.typologies[i].alert = v ?? 0;
                    })}
                  />
                </td>
                <td>
                  <NumField
                    path={`${P}.typologies.${i}.interdiction`}
                    label={`${ty.id}: ${t('fraud.policy.interdiction')}`}
                    value={ty.interdiction}
                    disabled={disabled}
                    error={fieldError(`${P}.typologies.${i}.interdiction`)}
                    onValue={update(`${P}.typologies.${i}.interdiction`, (d, v) => {
                      d.transactions.typologies[i].interdiction = v ?? 0;
                    })}
                  />
                </td>
                <td>
                  {Object.keys(ty.rules).map((rule) => (
                    <div key={rule} className="weights" data-rule={rule}>
                      <span className="ident small">{rule}</span>
                      {errors[`${P}.typologies.${i}.rules.${rule}`] && <span className="field-error"> {errors[`${P}.typologies.${i}.rules.${rule}`]}</span>}
                      <ul className="plain small">
                        {(tx.rules[rule]?.bands ?? []).filter((b) => b.ref !== '.00' || ty.rules[rule][b.ref] !== undefined).map((b) => {
                          const path = `${P}.typologies.${i}.rules.${rule}.${b.ref}`;
                          return (
                            <li key={b.ref} style={{ whiteSpace: 'nowrap' }}>
                              <span className="ident">{b.ref}</span> <span className="muted">[{range(b)})</span>{' '}
                              <NumField
                                path={path}
                                label={`${ty.id} ${rule} ${b.ref}`}
                                value={ty.rules[rule][b.ref] ?? null}
                                openEnded
                                disabled={disabled}
                                error={fieldError(path)}
                                onValue={update(path, (d, v) => {
                                  const w = d.transactions.typologies[i].rules[rule];
                                  if (v === null) delete w[b.ref];
                                  else w[b.ref] = v;
                                })}
                              />
                            </li>
                          );
                        })}
                      </ul>
                      {Object.keys(ty.rules[rule])
                        .filter((ref) => errors[`${P}.typologies.${i}.rules.${rule}.${ref}`] && !(tx.rules[rule]?.bands ?? []).some((b) => b.ref === ref))
                        .map((ref) => (
                          <p key={ref} className="field-error">
                            {ref}: {errors[`${P}.typologies.${i}.rules.${rule}.${ref}`]}
                          </p>
                        ))}
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h3>{t('fraud.policy.rules')}</h3>
      <p className="muted small">{t('fraud.policy.bandsHint')}</p>
      <div className="table-scroll">
        <table data-testid="policy-rules">
          <thead>
            <tr>
              <th scope="col">{t('fraud.policy.rule')}</th>
              <th scope="col">{t('fraud.policy.bands')}</th>
            </tr>
          </thead>
          <tbody>
            {ruleIds.map((id) => {
              const r = tx.rules[id];
              return (
                <tr key={id} data-rule={id}>
                  <th scope="row">
                    <span className="ident">{id}</span>
                    <br />
                    <span className="muted small">{codeText(t, 'frule', id)}</span>
                  </th>
                  <td>
                    <ul className="plain small">
                      {r.bands.map((b, j) => (
                        <li key={b.ref} data-band={b.ref} style={{ whiteSpace: 'nowrap' }}>
                          <span className="ident">{b.ref}</span>{' '}
                          <NumField
                            path={`${P}.rules.${id}.bands.${j}.lower`}
                            label={`${id} ${b.ref}: ${t('fraud.policy.lower')}`}
                            value={b.lower}
                            disabled={disabled}
                            error={fieldError(`${P}.rules.${id}.bands.${j}.lower`)}
                            onValue={update(`${P}.rules.${id}.bands.${j}.lower`, (d, v) => {
                              d.transactions.rules[id].bands[j].lower = v ?? 0;
                            })}
                          />{' '}
                          ≤ v &lt;{' '}
                          <NumField
                            path={`${P}.rules.${id}.bands.${j}.upper`}
                            label={`${id} ${b.ref}: ${t('fraud.policy.upper')}`}
                            value={b.upper}
                            openEnded
                            disabled={disabled}
                            error={fieldError(`${P}.rules.${id}.bands.${j}.upper`)}
                            onValue={update(`${P}.rules.${id}.bands.${j}.upper`, (d, v) => {
                              d.transactions.rules[id].bands[j].upper = v;
                            })}
                          />
                          {errors[`${P}.rules.${id}.bands.${j}.ref`] && <span className="field-error"> {errors[`${P}.rules.${id}.bands.${j}.ref`]}</span>}
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>

      <h3>{t('fraud.policy.parameters')}</h3>
      <div className="fraud-form">
        <div className="form-grid">
          {params.map((p) => (
            <FragmentRow key={p.key} label={p.label} htmlFor={`pol-${`${P}.${p.key}`.replace(/[^A-Za-z0-9]+/g, '-')}`}>
              <NumField
                path={`${P}.${p.key}`}
                label={p.label}
                value={tx[p.key] as number}
                disabled={disabled}
                error={fieldError(`${P}.${p.key}`)}
                onValue={update(`${P}.${p.key}`, (d, v) => {
                  (d.transactions as unknown as Record<string, number>)[p.key] = v ?? 0;
                })}
              />
            </FragmentRow>
          ))}
        </div>
      </div>

      <h3>{t('fraud.policy.calls')}</h3>
      <div className="fraud-form">
        <div className="form-grid">
          {callRows.map((c) => {
            const id = `pol-${c.path.replace(/[^A-Za-z0-9]+/g, '-')}`;
            return (
              <FragmentRow key={c.path} label={c.label} htmlFor={id}>
                <select
                  id={id}
                  data-path={c.path}
                  style={{ minWidth: '11rem' }}
                  value={c.get(draft)}
                  disabled={disabled}
                  onChange={(e) =>
                    setDraft((d) => {
                      if (!d) return d;
                      const next = structuredClone(d);
                      c.set(next, e.target.value as CallSetting);
                      return next;
                    })
                  }
                >
                  {CALL_SETTINGS.map((s) => (
                    <option key={s} value={s}>
                      {codeText(t, 'foutcome', s)}
                    </option>
                  ))}
                </select>
                {errors[c.path] && <p className="field-error">{errors[c.path]}</p>}
              </FragmentRow>
            );
          })}
        </div>
      </div>

      {canWrite && (
        <div className="fraud-form">
          <h3>{t('fraud.policy.saveTitle')}</h3>
          <div className="form-grid">
            <label htmlFor="policy-comment">{t('fraud.policy.comment')}</label>
            <div>
              <input
                id="policy-comment"
                value={comment}
                placeholder={t('fraud.policy.commentHint')}
                onChange={(e) => setComment(e.target.value)}
                {...(errors.comment ? { 'aria-invalid': true as const, 'aria-describedby': 'policy-comment-error' } : {})}
              />
              {errors.comment && (
                <p className="field-error" id="policy-comment-error" role="alert">
                  {errors.comment}
                </p>
              )}
            </div>
          </div>
          <div className="form-actions">
            <button type="submit" className="primary" data-action="save-policy" disabled={busy}>
              {t('fraud.policy.save')}
            </button>
            <button
              type="button"
              data-action="backtest-draft"
              disabled={busy || bad.size > 0}
              onClick={() => {
                keepPolicyDraft(draft, loaded.version);
                window.location.hash = '#/fraud/backtest';
              }}
            >
              {t('fraud.policy.backtestDraft')}
            </button>
            <button
              type="button"
              data-action="reset-policy"
              disabled={busy || !dirty}
              onClick={() => {
                clearPolicyDraft();
                setDraft(structuredClone(loaded.policy));
                setBad(new Set());
                setErrors({});
                setProblem(null);
                setFormKey((k) => k + 1);
              }}
            >
              {t('fraud.policy.reset')}
            </button>
          </div>
        </div>
      )}

      <h3>{t('fraud.policy.versions')}</h3>
      <table data-testid="policy-versions">
        <thead>
          <tr>
            <th scope="col">{t('fraud.policy.versionCol')}</th>
            <th scope="col">{t('fraud.policy.savedAt')}</th>
            <th scope="col">{t('fraud.policy.savedBy')}</th>
            <th scope="col">{t('fraud.policy.comment')}</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version} data-version={v.version} aria-current={v.version === loaded.version ? 'true' : undefined}>
              <td className="num">
                {v.version}
                {v.version === loaded.version && <span className="badge"> {t('fraud.policy.inForce')}</span>}
              </td>
              <td>{formatDateTime(v.createdAt, lang)}</td>
              <td>{v.createdBy}</td>
              <td>{v.comment}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </form>
  );
}

function FragmentRow({ label, htmlFor, children }: { label: string; htmlFor: string; children: ReactNode }) {
  return (
    <>
      <label htmlFor={htmlFor}>{label}</label>
      <div>{children}</div>
    </>
  );
}
