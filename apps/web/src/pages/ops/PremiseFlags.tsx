import type { PremiseFlag } from '../../lib/dispatch.ts';
import { useLang } from '../../lib/lang.tsx';
import { codeLabel } from './Badges.tsx';
import { Icon } from '../../components/Icon.tsx';

/** Warnings about the address (protective order, weapons, earlier violence): read before sending anyone. */
export function PremiseFlags({ flags }: { flags: PremiseFlag[] }) {
  const { t } = useLang();
  if (flags.length === 0) return null;
  return (
    <div className="premise-warning" role="alert" data-testid="premise-flags">
      <strong>
        <Icon name="alarm" /> {t('ops.premise')}
      </strong>
      <ul>
        {flags.map((f) => {
          return (
            <li key={f.id ?? `${f.kind}-${f.note ?? ''}`}>
              {codeLabel(t, 'flag', f.kind)}
              {f.note && <span> — {f.note}</span>}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
