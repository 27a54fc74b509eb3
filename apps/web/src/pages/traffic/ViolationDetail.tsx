import { useEffect, useRef, useState } from 'react';
import { errorMessage } from '../../lib/errors.ts';
import { formatDateTime } from '../../lib/format.ts';
import { useLang } from '../../lib/lang.tsx';
import {
  type Certificate,
  type ClockState,
  codeText,
  type EvidenceRead,
  formatNumber,
  formatTenge,
  readImage,
  trafficApi,
  type ViolationDetail as Detail,
} from '../../lib/traffic.ts';
import { articleText, PenaltyLine, Plate, SpeedVsLimit, ViolationStatusBadge } from './parts.tsx';
import { placeName, type TrafficRefs } from './useTrafficRefs.ts';

interface Props {
  id: string;
  /** Bumped when the violation changed (a live event, a decision): refetch. */
  version: number;
  refs: TrafficRefs;
  canVerify: boolean;
  busy: boolean;
  error: unknown;
  rejecting: boolean;
  onReject: () => void;
  onCancelReject: () => void;
  onDecide: (decision: 'confirm' | 'reject', note?: string) => void;
  onNotice: () => void;
}

/** One violation with all its evidence and the officer's decision (mount with `key={id}`). */
export function ViolationDetail({ id, version, refs, canVerify, busy, error, rejecting, onReject, onCancelReject, onDecide, onNotice }: Props) {
  const { t, lang } = useLang();
  const [v, setV] = useState<Detail | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [reason, setReason] = useState('');
  const [reasonMissing, setReasonMissing] = useState(false);
  const reasonRef = useRef<HTMLTextAreaElement>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the signal to refetch
  useEffect(() => {
    const ctl = new AbortController();
    trafficApi
      .violation(id, ctl.signal)
      .then((d) => {
        setV(d);
        setLoadError(null);
      })
      .catch((e: unknown) => {
        if ((e as Error).name !== 'AbortError') setLoadError(e);
      });
    return () => ctl.abort();
  }, [id, version]);

  useEffect(() => {
    if (rejecting) reasonRef.current?.focus();
    else setReasonMissing(false);
  }, [rejecting]);

  if (!v) {
    return loadError != null ? (
      <div role="alert" className="alert">
        {errorMessage(loadError, t)}
      </div>
    ) : (
      <p className="muted">{t('page.loading')}</p>
    );
  }

  const e = v.evidence;
  const m = e.measurement;
  const place = placeName(refs, v) ?? e.section?.name ?? e.camera?.name ?? null;
  const p = v.penalty;
  const article = articleText(p.part, t);
  const submitReject = () => {
    if (!reason.trim()) {
      setReasonMissing(true);
      reasonRef.current?.focus();
      return;
    }
    onDecide('reject', reason.trim());
  };

  return (
    <article className="violation-detail" data-testid="violation-detail" data-violation={v.id} data-status={v.status}>
      <header className="detail-head">
        <h2>
          <Plate plate={v.plate} country={v.country} /> <span>{codeText(t, 'tkind', v.kind)}</span>
        </h2>
        <ViolationStatusBadge status={v.status} />
      </header>

      <dl className="facts">
        <dt>{t('traffic.when')}</dt>
        <dd>
          <time dateTime={v.at}>{formatDateTime(v.at, lang)}</time>
        </dd>
        <dt>{t('traffic.where')}</dt>
        <dd>{place ?? '—'}</dd>
        {v.speedKmh != null && (
          <>
            <dt>{t('traffic.speedVsLimit')}</dt>
            <dd data-testid="detail-speed">
              <SpeedVsLimit v={v} />
            </dd>
          </>
        )}
        <dt>{t('traffic.penalty')}</dt>
        <dd data-testid="detail-penalty">
          <PenaltyLine penalty={p} />
          {article && <div className="muted small">{article}</div>}
          {p.type === 'fine' && p.fineMrp != null && p.mrpTenge != null && (
            <div className="muted small">
              {t('traffic.fineCalc', { mrp: formatNumber(p.fineMrp, lang), year: p.mrpYear, tenge: formatTenge(p.mrpTenge, lang) })}
            </div>
          )}
          {p.repeatOf && <div className="muted small">{t('traffic.repeat')}</div>}
          {!p.final && v.status === 'PENDING' && <div className="muted small">{t('traffic.provisional')}</div>}
        </dd>
        {v.noticeNumber && (
          <>
            <dt>{t('traffic.noticeNumber')}</dt>
            <dd>
              <code data-testid="notice-number">{v.noticeNumber}</code>
            </dd>
          </>
        )}
        {v.decidedAt && (
          <>
            <dt>{t('traffic.decided')}</dt>
            <dd>
              {formatDateTime(v.decidedAt, lang)}
              {v.decidedBy && <span className="muted"> · {v.decidedBy}</span>}
              {v.decisionNote && <div className="muted">{v.decisionNote}</div>}
            </dd>
          </>
        )}
        {v.voidReason && (
          <>
            <dt>{t('traffic.voidReason')}</dt>
            <dd>{v.voidReason}</dd>
          </>
        )}
      </dl>

      {canVerify && v.status === 'PENDING' && (
        <div className="decision">
          {!rejecting ? (
            <div className="button-row">
              <button type="button" className="primary big-action" disabled={busy} onClick={() => onDecide('confirm')} data-action="confirm">
                {t('traffic.confirm')} <kbd>C</kbd>
              </button>
              <button type="button" className="danger big-action" disabled={busy} onClick={onReject} data-action="reject">
                {t('traffic.reject')} <kbd>R</kbd>
              </button>
            </div>
          ) : (
            <form
              className="reject-form"
              onSubmit={(ev) => {
                ev.preventDefault();
                submitReject();
              }}
            >
              <label htmlFor="reject-reason">{t('traffic.rejectReason')}</label>
              <textarea
                id="reject-reason"
                ref={reasonRef}
                rows={3}
                maxLength={2000}
                value={reason}
                aria-invalid={reasonMissing}
                aria-describedby={reasonMissing ? 'reject-reason-error' : undefined}
                onChange={(ev) => {
                  setReason(ev.target.value);
                  if (ev.target.value.trim()) setReasonMissing(false);
                }}
                onKeyDown={(ev) => {
                  if (ev.key === 'Escape') onCancelReject();
                  if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) submitReject();
                }}
              />
              {reasonMissing && (
                <p id="reject-reason-error" className="field-error">
                  {t('traffic.rejectReasonRequired')}
                </p>
              )}
              <div className="button-row">
                <button type="submit" className="danger" disabled={busy} data-action="reject-submit">
                  {t('traffic.rejectSubmit')}
                </button>
                <button type="button" onClick={onCancelReject}>
                  {t('traffic.cancel')}
                </button>
              </div>
            </form>
          )}
        </div>
      )}
      {canVerify && v.status === 'CONFIRMED' && (
        <div className="button-row">
          <button type="button" className="primary" onClick={onNotice} data-action="notice">
            {t('traffic.openNotice')} <kbd>N</kbd>
          </button>
        </div>
      )}
      {error != null && (
        <div role="alert" className="alert">
          {errorMessage(error, t)}
        </div>
      )}

      <h3>{t('traffic.evidence')}</h3>
      {m && (
        <dl className="facts measurement" data-testid="measurement">
          {e.section && (
            <>
              <dt>{t('traffic.section')}</dt>
              <dd>
                {e.section.name}
                {e.section.version != null && <span className="muted small"> · v{e.section.version}</span>}
              </dd>
            </>
          )}
          {m.lengthM != null && (
            <>
              <dt>{t('traffic.length')}</dt>
              <dd>{t('traffic.km', { value: formatNumber(m.lengthM / 1000, lang, 3) })}</dd>
            </>
          )}
          {m.travelTimeS != null && (
            <>
              <dt>{t('traffic.travelTime')}</dt>
              <dd>{t('traffic.seconds', { value: formatNumber(m.travelTimeS, lang, 1) })}</dd>
            </>
          )}
          {m.speedKmh != null && (
            <>
              <dt>{e.section ? t('traffic.averageSpeed') : t('traffic.speed')}</dt>
              <dd>
                <strong data-testid="computed-speed">{formatNumber(m.speedKmh, lang, 1)}</strong> {t('traffic.kmh')}
                {e.section && m.lengthM != null && m.travelTimeS != null && (
                  <span className="muted small">
                    {' '}
                    = {formatNumber(m.lengthM / 1000, lang, 3)} {t('traffic.kmUnit')} ÷ {formatNumber(m.travelTimeS / 3600, lang, 5)} {t('traffic.hUnit')}
                  </span>
                )}
              </dd>
            </>
          )}
          {m.limitKmh != null && (
            <>
              <dt>{t('traffic.limit')}</dt>
              <dd>
                {formatNumber(m.limitKmh, lang)} {t('traffic.kmh')}
                {m.vehicleClass && <span className="muted small"> · {codeText(t, 'vclass', m.vehicleClass)}</span>}
              </dd>
            </>
          )}
          {m.toleranceKmh != null && m.thresholdKmh != null && (
            <>
              <dt>{t('traffic.threshold')}</dt>
              <dd>
                {formatNumber(m.thresholdKmh, lang, 1)} {t('traffic.kmh')}{' '}
                <span className="muted small">{t('traffic.tolerance', { value: formatNumber(m.toleranceKmh, lang, 1) })}</span>
              </dd>
            </>
          )}
          {m.excessKmh != null && (
            <>
              <dt>{t('traffic.excess')}</dt>
              <dd>
                +{formatNumber(m.excessKmh, lang, 1)} {t('traffic.kmh')}
              </dd>
            </>
          )}
        </dl>
      )}

      <div className="reads" data-testid="evidence-reads">
        {e.reads.map((r, i) => (
          <ReadCard key={r.readId ?? `${r.role}-${i}`} read={r} image={readImage(e, i)} fallbackCert={e.camera?.certificate ?? null} fallbackClock={e.camera?.clock ?? null} />
        ))}
      </div>
      {e.reads.length === 0 && e.images.length > 0 && (
        <div className="reads">
          {e.images.map((u) => (
            <a key={u} href={u} target="_blank" rel="noopener noreferrer" className="read-image">
              <img src={u} alt={t('traffic.image')} loading="lazy" />
            </a>
          ))}
        </div>
      )}
      {e.video && (
        <p>
          <a href={e.video} target="_blank" rel="noopener noreferrer">
            {t('traffic.video')}
          </a>
        </p>
      )}
      <dl className="facts small">
        <dt>{t('traffic.ruleVersion')}</dt>
        <dd>
          <code data-testid="rule-version">{v.ruleVersion || e.ruleVersion || '—'}</code>
        </dd>
        <dt>{t('traffic.penaltyRules')}</dt>
        <dd>
          <code>{p.rulesVersion || '—'}</code>
        </dd>
        <dt>{t('traffic.recorded')}</dt>
        <dd>{formatDateTime(v.recordedAt, lang)}</dd>
      </dl>
    </article>
  );
}

function ReadCard({ read, image, fallbackCert, fallbackClock }: { read: EvidenceRead; image: string | null; fallbackCert: Certificate | null; fallbackClock: ClockState | null }) {
  const { t, lang } = useLang();
  const [broken, setBroken] = useState(false);
  const cert = read.certificate ?? fallbackCert;
  const clock = read.clock ?? fallbackClock;
  const at = Date.parse(read.at);
  const certValid = cert && (!cert.validFrom || Date.parse(cert.validFrom) <= at) && (!cert.validTo || at < Date.parse(cert.validTo));
  return (
    <section className="read-card" data-role={read.role} data-testid={`read-${read.role}`}>
      <h4>{codeText(t, 'readRole', read.role)}</h4>
      {image && !broken ? (
        <a href={image} target="_blank" rel="noopener noreferrer" className="read-image">
          <img src={image} alt={t('traffic.imageOf', { role: codeText(t, 'readRole', read.role) })} loading="lazy" onError={() => setBroken(true)} />
        </a>
      ) : image ? (
        <a href={image} target="_blank" rel="noopener noreferrer" className="read-image none" data-broken="true">
          {t('traffic.imageUnavailable')}
        </a>
      ) : (
        <div className="read-image none">{t('traffic.noImage')}</div>
      )}
      <dl className="facts small">
        <dt>{t('traffic.time')}</dt>
        <dd>
          <time dateTime={read.at} data-testid="read-time">
            {formatDateTime(read.at, lang)}
          </time>
        </dd>
        <dt>{t('traffic.camera')}</dt>
        <dd>
          {read.cameraName ?? '—'} {read.cameraCode && <code>{read.cameraCode}</code>}
        </dd>
        <dt>{t('traffic.plateRead')}</dt>
        <dd>
          <code>{read.plateRaw ?? read.plate ?? '—'}</code>
          {read.confidence != null && <span className="muted"> · {formatNumber(read.confidence, lang, 1)} %</span>}
          {read.lane != null && <span className="muted"> · {t('traffic.lane', { n: read.lane })}</span>}
          {read.vehicleClass && <span className="muted"> · {codeText(t, 'vclass', read.vehicleClass)}</span>}
        </dd>
        <dt>{t('traffic.clock')}</dt>
        <dd data-clock={clock?.status ?? 'unknown'}>
          {clock ? (
            <>
              {codeText(t, 'clock', clock.status)}
              {clock.source && <span className="muted"> · {clock.source.toUpperCase()}</span>}
              {clock.offsetMs != null && <span className="muted"> · {t('traffic.offset', { ms: clock.offsetMs })}</span>}
            </>
          ) : (
            t('clock.unknown')
          )}
        </dd>
        <dt>{t('traffic.certificate')}</dt>
        <dd data-testid="certificate">
          {cert ? (
            <>
              <code>{cert.number}</code> <span className={certValid ? 'ok-text' : 'bad-text'}>{certValid ? t('traffic.certValid') : t('traffic.certInvalid')}</span>
              <div className="muted">{cert.issuer}</div>
              {cert.validTo && <div className="muted">{t('traffic.validTo', { date: formatDateTime(cert.validTo, lang) })}</div>}
            </>
          ) : (
            <span className="bad-text">{t('traffic.noCertificate')}</span>
          )}
        </dd>
      </dl>
    </section>
  );
}
