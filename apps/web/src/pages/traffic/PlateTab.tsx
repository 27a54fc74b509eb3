import { useEffect, useRef, useState } from 'react';
import { errorMessage } from '../../lib/errors.ts';
import { formatDateTime } from '../../lib/format.ts';
import { useLang } from '../../lib/lang.tsx';
import { navigate } from '../../lib/route.ts';
import { codeText, formatNumber, type PlateScore, trafficApi, type Vehicle, type Violation } from '../../lib/traffic.ts';
import { ScoreBar, ScoreItems } from './KorgauTab.tsx';
import { PenaltyLine, Plate, SpeedVsLimit, ViolationStatusBadge } from './parts.tsx';
import { placeName, useTrafficRefs } from './useTrafficRefs.ts';

interface Result {
  plate: string;
  vehicle: Vehicle | null;
  violations: Violation[];
  score: PlateScore | null;
}

/**
 * Look-up by plate (any spelling: «123 АВС 01» finds 123ABC01, the server folds it as camera reads are folded): the
 * vehicle register's entry (owner, insurance, wanted), its violations with status and penalty, its «Қорғау» score.
 * The register read is audited by the server.
 */
export function PlateTab({ plate }: { plate: string | null }) {
  const { t, lang } = useLang();
  const refs = useTrafficRefs();
  const [input, setInput] = useState(plate ?? '');
  const [result, setResult] = useState<Result | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const field = useRef<HTMLInputElement>(null);

  useEffect(() => {
    setInput(plate ?? '');
    if (!plate) {
      setResult(null);
      field.current?.focus();
      return;
    }
    const ctl = new AbortController();
    setLoading(true);
    setError(null);
    Promise.all([
      trafficApi.vehicle(plate, ctl.signal),
      trafficApi.violations({ plate, limit: 200 }, ctl.signal),
      trafficApi.plateScore(plate, ctl.signal),
    ])
      .then(([vehicle, violations, score]) => {
        setResult({ plate: violations[0]?.plate ?? vehicle?.plate ?? score?.subject ?? plate, vehicle, violations, score });
      })
      .catch((e: unknown) => {
        if ((e as Error).name !== 'AbortError') {
          setError(e);
          setResult(null);
        }
      })
      .finally(() => {
        if (!ctl.signal.aborted) setLoading(false);
      });
    return () => ctl.abort();
  }, [plate]);

  const v = result?.vehicle;
  return (
    <div className="page traffic-page" data-testid="plate-tab">
      <search>
        <form
          className="plate-form"
          onSubmit={(e) => {
            e.preventDefault();
            const p = input.trim();
            if (p) navigate(`/traffic/plate/${encodeURIComponent(p)}`);
          }}
        >
          <label htmlFor="plate-input">{t('lookup.plate')}</label>
          <input id="plate-input" ref={field} value={input} onChange={(e) => setInput(e.target.value)} maxLength={32} autoComplete="off" spellCheck={false} placeholder="123 ABC 01" />
          <button type="submit" className="primary">
            {t('lookup.find')}
          </button>
        </form>
      </search>
      {error != null && (
        <div role="alert" className="alert">
          {errorMessage(error, t)}
        </div>
      )}
      {loading && <p className="muted">{t('page.loading')}</p>}
      {result && !loading && (
        <div className="lookup-result" data-testid="lookup-result" data-plate={result.plate}>
          <h2>
            <Plate plate={result.plate} country={v?.country} />
          </h2>
          <div className="lookup-cards">
            <section className="card" data-testid="register-entry">
              <h3>{t('lookup.register')}</h3>
              {v ? (
                <>
                  {v.wanted && (
                    <div className="premise-warning" role="alert" data-testid="wanted">
                      <strong>{t('lookup.wanted')}</strong>: {v.wanted.reason} <span className="muted">({v.wanted.basis})</span>
                    </div>
                  )}
                  <dl className="facts">
                    <dt>{t('lookup.vehicle')}</dt>
                    <dd>
                      {[v.make, v.model, v.colour, v.year].filter((x) => x != null && x !== '').join(' ') || '—'}
                      <span className="muted"> · {codeText(t, 'vclass', v.class)}</span>
                    </dd>
                    {v.vin && (
                      <>
                        <dt>VIN</dt>
                        <dd>
                          <code>{v.vin}</code>
                        </dd>
                      </>
                    )}
                    <dt>{t('lookup.owner')}</dt>
                    <dd data-testid="owner">
                      {v.owner.name}
                      <div className="muted small">
                        {v.owner.kind === 'organisation' ? t('lookup.bin') : t('lookup.iin')} {v.owner.iin} · {v.owner.address}
                      </div>
                    </dd>
                    <dt>{t('lookup.insurance')}</dt>
                    <dd className={v.insured ? undefined : 'bad-text'}>
                      {v.insured ? t('lookup.insuredUntil', { date: v.insuranceValidUntil ?? '' }) : t('lookup.notInsured')}
                    </dd>
                  </dl>
                </>
              ) : (
                <p className="muted">{t('lookup.notRegistered')}</p>
              )}
            </section>
            <section className="card" data-testid="plate-score">
              <h3>{t('lookup.score')}</h3>
              {result.score ? (
                <>
                  <p className="korgau-score">
                    <strong>{formatNumber(result.score.score, lang, 1)}</strong> <ScoreBar score={result.score.score} threshold={result.score.threshold} />
                    <span className="muted small"> {t('lookup.threshold', { threshold: formatNumber(result.score.threshold, lang, 1) })}</span>
                    {result.score.alerting && <span className="badge flag">{t('korgau.flagged')}</span>}
                  </p>
                  <ScoreItems score={result.score} />
                </>
              ) : (
                <p className="muted">{t('lookup.noScore')}</p>
              )}
            </section>
          </div>
          <h3>{t('lookup.violations', { count: result.violations.length })}</h3>
          {result.violations.length === 0 ? (
            <p className="muted">{t('lookup.noViolations')}</p>
          ) : (
            <div className="table-wrap">
              <table data-testid="plate-violations">
                <thead>
                  <tr>
                    <th scope="col">{t('traffic.when')}</th>
                    <th scope="col">{t('traffic.kind')}</th>
                    <th scope="col">{t('traffic.speedVsLimit')}</th>
                    <th scope="col">{t('traffic.where')}</th>
                    <th scope="col">{t('traffic.status')}</th>
                    <th scope="col">{t('traffic.penalty')}</th>
                  </tr>
                </thead>
                <tbody>
                  {result.violations.map((x) => (
                    <tr key={x.id} data-violation={x.id} data-status={x.status}>
                      <td>
                        <a href={`#/traffic/v/${x.id}`}>{formatDateTime(x.at, lang)}</a>
                      </td>
                      <td>{codeText(t, 'tkind', x.kind)}</td>
                      <td>
                        <SpeedVsLimit v={x} />
                      </td>
                      <td>{placeName(refs, x) ?? '—'}</td>
                      <td>
                        <ViolationStatusBadge status={x.status} />
                        {x.noticeNumber && <div className="muted small">{t('traffic.noticeShort', { number: x.noticeNumber })}</div>}
                      </td>
                      <td>
                        <PenaltyLine penalty={x.penalty} />
                        {!x.penalty.final && x.status === 'PENDING' && <div className="muted small">{t('traffic.provisional')}</div>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
    </div>
  );
}
