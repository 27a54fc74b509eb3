import { useCallback, useEffect, useState } from 'react';
import { api } from '../../lib/api.ts';
import { FINAL_STATUSES, type IncidentDetail as Detail, type IncidentSummary, isApproximate, normalizeIncidentDetail } from '../../lib/dispatch.ts';
import { errorMessage } from '../../lib/errors.ts';
import { formatDateTime, formatLatLon } from '../../lib/format.ts';
import { useLang } from '../../lib/lang.tsx';
import type { Category } from '../../lib/reports.ts';
import { categoryName } from '../../lib/useCategories.ts';
import { AttachedReports } from './AttachedReports.tsx';
import { codeLabel, IncidentStatusLabel, PriorityBadge } from './Badges.tsx';
import { PremiseFlags } from './PremiseFlags.tsx';
import { type Relocation, RelocateIncident } from './RelocateIncident.tsx';
import { Recommendations } from './Recommendations.tsx';
import { SlaCountdown } from './SlaCountdown.tsx';
import { TransitionControls } from './TransitionControls.tsx';

/** The incident type's run card as the server sends it (`runCard` on the incident): required unit types vs assigned. */
interface RunCard {
  requirements: { unitType: string; required: number; assigned: number; missing: number }[];
  complete: boolean;
}

function runCardOf(raw: unknown): RunCard | null {
  const r = (raw as { runCard?: RunCard } | null)?.runCard;
  return r && Array.isArray(r.requirements) ? r : null;
}

/** The run card's own words (few, so kept beside it). */
const RUN_CARD_TEXT = {
  ru: { title: 'Карточка выезда', missing: 'не хватает: {n}', complete: 'укомплектовано' },
  kk: { title: 'Шығу карточкасы', missing: 'жетіспейді: {n}', complete: 'толық' },
  en: { title: 'Run card', missing: 'missing: {n}', complete: 'complete' },
} as const;

interface Props {
  id: string;
  /** Bumped when a live event says the incident changed. */
  version: number;
  others: IncidentSummary[];
  categories: Map<string, Category>;
  now: number;
  /** Whether the user may move incidents (dispatch:write), and the page's map pick for it. */
  relocation: Relocation | null;
  /** Whether the user may mark a citizen's report false (reports:write). */
  canMarkFalse?: boolean;
  onClose: () => void;
  onChanged: () => void;
  onMoved: (to: { lon: number; lat: number }) => void;
}

/** One incident (mount it with `key={id}`): what, where, premise warnings, recommend-and-dispatch, assigned units, reports and timeline. */
export function IncidentDetail({ id, version, others, categories, now, relocation, canMarkFalse = false, onClose, onChanged, onMoved }: Props) {
  const { t, lang } = useLang();
  const [data, setData] = useState<Detail | null>(null);
  const [runCard, setRunCard] = useState<RunCard | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [sent, setSent] = useState<string | null>(null);

  const load = useCallback(
    (signal?: AbortSignal) =>
      api<unknown>(`/api/v1/incidents/${encodeURIComponent(id)}`, { signal })
        .then((raw) => {
          setData(normalizeIncidentDetail(raw));
          setRunCard(runCardOf(raw));
          setError(null);
        })
        .catch((e: unknown) => {
          if ((e as Error).name !== 'AbortError') setError(e);
        }),
    [id],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the signal to refetch
  useEffect(() => {
    const ctl = new AbortController();
    void load(ctl.signal);
    return () => ctl.abort();
  }, [load, version]);

  const changed = () => {
    void load();
    onChanged();
  };

  if (!data || data.id !== id) {
    return (
      <section className="ops-detail">
        {error != null ? (
          <div role="alert" className="alert">
            {errorMessage(error, t)}
          </div>
        ) : (
          <p className="muted">{t('page.loading')}</p>
        )}
      </section>
    );
  }

  const open = !FINAL_STATUSES.includes(data.status);
  const terminal = ['CLOSED', 'CANCELLED', 'MERGED'].includes(data.status);
  return (
    <section className="ops-detail" data-testid="incident-detail" data-incident={data.id} data-status={data.status}>
      <div className="panel-head">
        <h2>
          <PriorityBadge priority={data.priority} /> {categoryName(categories, data.category, lang)}
        </h2>
        <button type="button" className="close" onClick={onClose} aria-label={t('map.close')}>
          ×
        </button>
      </div>
      <PremiseFlags flags={data.premiseFlags} />
      <dl className="facts">
        <dt>{t('ops.status')}</dt>
        <dd>
          <IncidentStatusLabel status={data.status} />
        </dd>
        <dt>{t('ops.sla')}</dt>
        <dd>
          <SlaCountdown dueAt={data.dueAt} now={now} />
        </dd>
        <dt>{t('ops.created')}</dt>
        <dd>{formatDateTime(data.receivedAt, lang)}</dd>
        <dt>{t('ops.location')}</dt>
        <dd>
          {data.address && <div>{data.address}</div>}
          <code>{formatLatLon(data.location.lat, data.location.lon)}</code>
          {data.kato && <span className="muted"> · {t('map.kato')} {data.kato}</span>}
          {relocation && !terminal ? (
            <RelocateIncident
              incidentId={data.id}
              precision={data.locationPrecision}
              relocation={relocation}
              onMoved={(to) => {
                changed();
                onMoved(to);
              }}
            />
          ) : (
            isApproximate(data.locationPrecision) && (
              <p className="notice" role="note" data-testid="approximate" data-precision={data.locationPrecision}>
                {t('ops.approximateShort')}
              </p>
            )
          )}
        </dd>
        <dt>{t('ops.number')}</dt>
        <dd>
          <code>{data.id}</code>
        </dd>
      </dl>
      {data.description && <p className="description">{data.description}</p>}
      {sent && data.status === 'DISPATCHED' && (
        <p className="success" role="status" data-testid="dispatched-notice">
          {t('ops.dispatched', { callSign: sent })}
        </p>
      )}
      {open && runCard && runCard.requirements.length > 0 && (
        <>
          <h3>
            {RUN_CARD_TEXT[lang].title}
            {runCard.complete && <span className="muted small"> · {RUN_CARD_TEXT[lang].complete}</span>}
          </h3>
          <ul className="assignments" data-testid="run-card" data-complete={runCard.complete}>
            {runCard.requirements.map((r) => (
              <li key={r.unitType} data-unit-type={r.unitType} data-missing={r.missing}>
                <strong>{codeLabel(t, 'utype', r.unitType)}</strong> {r.assigned}/{r.required}
                {r.missing > 0 && <span className="muted small"> · {RUN_CARD_TEXT[lang].missing.replace('{n}', String(r.missing))}</span>}
              </li>
            ))}
          </ul>
        </>
      )}
      <Recommendations
        incidentId={data.id}
        open={open}
        onDispatched={(callSign) => {
          setSent(callSign);
          changed();
        }}
      />
      {data.assignments.length > 0 && (
        <>
          <h3>{t('ops.assignments')}</h3>
          <ul className="assignments" data-testid="assignments">
            {data.assignments.map((a) => (
              <li key={a.id} className={a.released ? 'released' : undefined}>
                <strong>{a.callSign ?? a.unitId}</strong>
                {a.assignedAt && <span className="muted small"> · {formatDateTime(a.assignedAt, lang)}</span>}
                {a.released && <span className="muted small"> · {t('ops.released')}</span>}
              </li>
            ))}
          </ul>
        </>
      )}
      <h3>{t('ops.reports', { count: data.reportIds.length })}</h3>
      <AttachedReports ids={data.reportIds} canMarkFalse={canMarkFalse} />
      {!terminal && <TransitionControls incident={data} others={others.filter((o) => o.id !== data.id)} onDone={changed} />}
      <h3>{t('ops.timeline')}</h3>
      <ol className="timeline" data-testid="timeline">
        {data.timeline.map((e) => {
          const what = codeLabel(t, e.isStatus ? 'istatus' : 'event', e.what);
          return (
            <li key={`${e.at}-${e.what}-${e.callSign ?? ''}-${e.note ?? ''}`}>
              <time dateTime={e.at}>{formatDateTime(e.at, lang)}</time> <strong>{what}</strong>
              {e.callSign && <span> {e.callSign}</span>}
              {e.actor && <span className="muted"> · {e.actor}</span>}
              {e.note && <div className="muted">{e.note}</div>}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
