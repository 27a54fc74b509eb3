import { useState } from 'react';
import { errorMessage } from '../../lib/errors.ts';
import { formatDateTime } from '../../lib/format.ts';
import { useLang } from '../../lib/lang.tsx';
import { formatNumber, type Score } from '../../lib/traffic.ts';
import { usePaged } from '../../lib/usePaged.ts';
import { Plate } from './parts.tsx';

/** A score's items, heaviest first, each with the server's explanation in the interface language. */
export function ScoreItems({ score }: { score: Score }) {
  const { t, lang } = useLang();
  const items = [...score.items].sort((a, b) => b.points - a.points);
  if (items.length === 0) return <p className="muted small">{t('korgau.noItems')}</p>;
  return (
    <ol className="score-items" data-testid="score-items">
      {items.map((i, n) => (
        <li key={`${i.code}-${i.ref ?? n}`} data-code={i.code}>
          <span className="score-points">+{formatNumber(i.points, lang, 2)}</span>
          <span className="score-text">
            {i.text}
            {i.at && <span className="muted small"> · {formatDateTime(i.at, lang)}</span>}
            {i.factor < 1 && <span className="muted small"> · {t('korgau.decay', { weight: formatNumber(i.weight, lang, 1), factor: formatNumber(i.factor, lang, 2) })}</span>}
          </span>
        </li>
      ))}
    </ol>
  );
}

/** A score against the alert threshold: the bar fills to the threshold at 100 %. */
export function ScoreBar({ score, threshold }: { score: number; threshold: number }) {
  const share = threshold > 0 ? Math.min(1, score / (threshold * 1.5)) : 1;
  return (
    <span className={`score-bar${score >= threshold ? ' flagged' : ''}`} aria-hidden="true">
      <i style={{ width: `${share * 100}%` }} />
      <b style={{ left: `${(1 / 1.5) * 100}%` }} />
    </span>
  );
}

/**
 * «Қорғау»: the highest dangerous-driver scores first, each with its item-by-item explanation (severity-weighted
 * violations decaying with time, and the operational flags: wanted, no insurance, unpaid fines, cloned plates).
 */
export function KorgauTab() {
  const { t, lang } = useLang();
  const [flaggedOnly, setFlaggedOnly] = useState(false);
  const list = usePaged<Score>(`/api/v1/traffic/korgau?kind=plate&limit=50${flaggedOnly ? '&flagged=true' : ''}`);
  const threshold = list.items[0]?.threshold ?? null;
  return (
    <div className="page traffic-page" data-testid="korgau-tab">
      <div className="queue-head">
        <h2>{t('korgau.title')}</h2>
        <label className="check">
          <input type="checkbox" checked={flaggedOnly} onChange={(e) => setFlaggedOnly(e.target.checked)} /> {t('korgau.flaggedOnly')}
        </label>
      </div>
      <p className="muted small">{threshold != null ? t('korgau.intro', { threshold: formatNumber(threshold, lang, 1) }) : t('korgau.introShort')}</p>
      {list.error != null && (
        <div role="alert" className="alert">
          {errorMessage(list.error, t)}
        </div>
      )}
      <ol className="korgau-list" data-testid="korgau-list">
        {list.items.map((s, i) => (
          <li key={s.subject} className={s.flagged ? 'flagged' : undefined} data-subject={s.subject}>
            <div className="korgau-head">
              <span className="korgau-rank">{i + 1}</span>
              <a href={`#/traffic/plate/${encodeURIComponent(s.subject)}`} title={t('traffic.lookupPlate')}>
                <Plate plate={s.subject} />
              </a>
              <span className="korgau-score">
                <strong>{formatNumber(s.score, lang, 1)}</strong>
                <ScoreBar score={s.score} threshold={s.threshold} />
              </span>
              {s.flagged && <span className="badge flag">{t('korgau.flagged')}</span>}
              <span className="muted small">{t('korgau.computed', { at: formatDateTime(s.computedAt, lang) })}</span>
            </div>
            <ScoreItems score={s} />
          </li>
        ))}
      </ol>
      {list.loading && <p className="muted">{t('page.loading')}</p>}
      {!list.loading && list.error == null && list.items.length === 0 && <p className="muted">{t('korgau.empty')}</p>}
      {list.nextCursor && !list.loading && (
        <button type="button" onClick={list.loadMore}>
          {t('page.loadMore')}
        </button>
      )}
    </div>
  );
}
