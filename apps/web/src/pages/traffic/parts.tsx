import { useLang } from '../../lib/lang.tsx';
import { codeText, formatNumber, type Penalty, penaltyText, type Violation } from '../../lib/traffic.ts';

/** A plate as it is written on the car: monospace, framed. */
export function Plate({ plate, country }: { plate: string; country?: string | null }) {
  return (
    <span className="plate" data-plate={plate}>
      {plate}
      {country && country !== 'KZ' && <span className="plate-country">{country}</span>}
    </span>
  );
}

export function ViolationStatusBadge({ status }: { status: string }) {
  const { t } = useLang();
  return (
    <span className="badge vstatus" data-status={status}>
      {codeText(t, 'vstatus', status)}
    </span>
  );
}

/** «194 / 140 км/ч» with the excess, or nothing for a violation without speeds. */
export function SpeedVsLimit({ v }: { v: Pick<Violation, 'speedKmh' | 'limitKmh'> }) {
  const { t, lang } = useLang();
  if (v.speedKmh == null) return null;
  const excess = v.limitKmh != null ? v.speedKmh - v.limitKmh : null;
  return (
    <span className="speed" title={t('traffic.speedVsLimit')}>
      <strong>{formatNumber(v.speedKmh, lang, 1)}</strong>
      {v.limitKmh != null && <> / {formatNumber(v.limitKmh, lang)}</>} {t('traffic.kmh')}
      {excess != null && excess > 0 && <span className="excess"> +{formatNumber(excess, lang, 1)}</span>}
    </span>
  );
}

export function PenaltyLine({ penalty }: { penalty: Penalty }) {
  const { t, lang } = useLang();
  return (
    <span className={`penalty ${penalty.type}`} data-penalty={penalty.type}>
      {penaltyText(penalty, t, lang)}
    </span>
  );
}

/** «ст. 592 ч. 3» from `592.3`. */
export function articleText(part: string | null, t: ReturnType<typeof useLang>['t']): string | null {
  if (!part) return null;
  const [article, p] = part.split('.');
  return p ? t('traffic.articlePart', { article, part: p }) : t('traffic.article', { article });
}
