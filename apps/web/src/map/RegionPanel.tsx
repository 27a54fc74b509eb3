import { useMemo } from 'react';
import { collator } from '../lib/format.ts';
import { useLang } from '../lib/lang.tsx';
import type { Place } from './geo.ts';

interface Props {
  region: Place;
  /** Districts of this region, or null while they are not loaded. */
  districts: Place[] | null;
  onClose: () => void;
}

/** The picked region: its name, KATO and ISO codes, and its districts. */
export function RegionPanel({ region, districts, onClose }: Props) {
  const { lang, t } = useLang();
  const sorted = useMemo(() => {
    if (!districts) return null;
    const c = collator(lang);
    return [...districts].sort((a, b) => c.compare(a.name[lang], b.name[lang]));
  }, [districts, lang]);
  return (
    <section className="region-panel" data-testid="region-panel" aria-labelledby="region-panel-title">
      <div className="panel-head">
        <h2 id="region-panel-title">{region.name[lang]}</h2>
        <button type="button" className="close" onClick={onClose} aria-label={t('map.close')}>
          ×
        </button>
      </div>
      <dl>
        <dt>{t('map.kato')}</dt>
        <dd data-testid="region-kato">{region.kato}</dd>
        {region.iso && (
          <>
            <dt>{t('map.iso')}</dt>
            <dd>{region.iso}</dd>
          </>
        )}
      </dl>
      {sorted ? (
        <>
          <h3>{t('map.districts', { count: sorted.length })}</h3>
          <ul className="district-list" data-testid="district-list">
            {sorted.map((d) => (
              <li key={d.kato}>
                {d.name[lang]} <span className="muted">{d.kato}</span>
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p className="muted">{t('map.noDistricts')}</p>
      )}
    </section>
  );
}
