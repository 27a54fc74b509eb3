import { useMemo } from 'react';
import type { Unit } from '../../lib/dispatch.ts';
import { collator, formatAgo } from '../../lib/format.ts';
import { useLang } from '../../lib/lang.tsx';
import { codeLabel, UnitStatusBadge } from './Badges.tsx';

interface Props {
  units: Unit[];
  now: number;
  onPick: (u: Unit) => void;
}

/** Every unit the user may see: status, when it was last heard of, battery; stale ones greyed. */
export function UnitBoard({ units, now, onPick }: Props) {
  const { t, lang } = useLang();
  const sorted = useMemo(() => {
    const c = collator(lang);
    return [...units].sort((a, b) => c.compare(a.callSign, b.callSign));
  }, [units, lang]);
  return (
    <section className="unit-board" aria-labelledby="unit-board-title">
      <h2 id="unit-board-title">{t('units.title', { count: units.length })}</h2>
      <div className="table-wrap">
        <table data-testid="unit-board">
          <thead>
            <tr>
              <th scope="col">{t('ops.callSign')}</th>
              <th scope="col">{t('units.type')}</th>
              <th scope="col">{t('units.status')}</th>
              <th scope="col">{t('units.lastSeen')}</th>
              <th scope="col">{t('units.battery')}</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((u) => (
              <tr key={u.id} className={u.stale ? 'stale' : undefined} data-unit={u.id} data-status={u.status}>
                <td>
                  <button type="button" className="link" onClick={() => onPick(u)} disabled={!u.position}>
                    {u.callSign}
                  </button>
                </td>
                <td>{codeLabel(t, 'utype', u.type)}</td>
                <td>
                  <UnitStatusBadge status={u.status} stale={u.stale} />
                  {u.stale && <span className="muted small"> {t('units.stale')}</span>}
                </td>
                <td>{formatAgo(u.lastSeenAt, now, t)}</td>
                <td className="num">{u.battery == null ? '—' : `${Math.round(u.battery)}%`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {units.length === 0 && <p className="muted">{t('units.empty')}</p>}
    </section>
  );
}
