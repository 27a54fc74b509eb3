import { useMemo } from 'react';
import { collator } from '../lib/format.ts';
import { useLang } from '../lib/lang.tsx';
import type { Place } from './geo.ts';

interface Props {
  regions: Place[];
  selected: string | null;
  onPick: (kato: string) => void;
}

/** The regions in the current language, sorted as a reader of that language expects. */
export function RegionList({ regions, selected, onPick }: Props) {
  const { lang, t } = useLang();
  const sorted = useMemo(() => {
    const c = collator(lang);
    return [...regions].sort((a, b) => c.compare(a.name[lang], b.name[lang]));
  }, [regions, lang]);
  return (
    <section className="region-list" aria-labelledby="region-list-title">
      <h2 id="region-list-title">
        {t('map.regions')} <span className="muted">({regions.length})</span>
      </h2>
      <ul data-testid="region-list">
        {sorted.map((r) => (
          <li key={r.kato}>
            <button
              type="button"
              data-kato={r.kato}
              aria-pressed={r.kato === selected}
              className={r.kato === selected ? 'region-btn active' : 'region-btn'}
              onClick={() => onPick(r.kato)}
            >
              <span className="region-name">{r.name[lang]}</span>
              {r.iso && <span className="region-code">{r.iso.replace(/^KZ-/, '')}</span>}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
