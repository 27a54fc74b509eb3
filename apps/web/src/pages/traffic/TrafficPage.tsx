import type { MessageKey } from '../../i18n.ts';
import { useLang } from '../../lib/lang.tsx';
import type { SessionUser } from '../../lib/session.ts';
import { KorgauTab } from './KorgauTab.tsx';
import { PlateTab } from './PlateTab.tsx';
import { RoadsTab } from './RoadsTab.tsx';
import { SectionsTab } from './SectionsTab.tsx';
import { ViolationsTab } from './ViolationsTab.tsx';

type Tab = 'queue' | 'sections' | 'korgau' | 'roads' | 'plate';

const TABS: { id: Tab; route: string; label: MessageKey }[] = [
  { id: 'queue', route: '/traffic', label: 'traffic.tab.queue' },
  { id: 'sections', route: '/traffic/sections', label: 'traffic.tab.sections' },
  { id: 'korgau', route: '/traffic/korgau', label: 'traffic.tab.korgau' },
  { id: 'roads', route: '/traffic/roads', label: 'traffic.tab.roads' },
  { id: 'plate', route: '/traffic/plate', label: 'traffic.tab.plate' },
];

/** `#/traffic…` → which tab, and its argument (a violation id, a plate). */
export function parseTrafficRoute(route: string): { tab: Tab; arg: string | null } {
  const [, , tab, ...rest] = route.split('/');
  const arg = rest.length > 0 && rest.join('/') ? decodeURIComponent(rest.join('/')) : null;
  if (tab === 'v') return { tab: 'queue', arg };
  if (tab === 'sections' || tab === 'korgau' || tab === 'roads' || tab === 'plate') return { tab, arg };
  return { tab: 'queue', arg: null };
}

/**
 * The traffic police officer's back-office (`#/traffic`): the violation queue with evidence, the sections map with
 * live average speeds, «Қорғау», roads (defects, black spots, deaths year on year) and look-up by plate.
 */
export default function TrafficPage({ user, route }: { user: SessionUser; route: string }) {
  const { t, lang } = useLang();
  const { tab, arg } = parseTrafficRoute(route);
  return (
    <div className="traffic" data-page="traffic" data-tab={tab}>
      <h1 className="visually-hidden">{t('nav.traffic')}</h1>
      <nav className="tabs" aria-label={t('nav.traffic')}>
        {TABS.map((x) => (
          <a key={x.id} href={`#${x.route}`} aria-current={tab === x.id ? 'page' : undefined} data-tab={x.id}>
            {t(x.label)}
          </a>
        ))}
      </nav>
      <div className="traffic-body">
        {tab === 'queue' && <ViolationsTab user={user} openId={arg} />}
        {tab === 'sections' && <SectionsTab />}
        {/* The server explains scores in the language asked: a new language fetches them again. */}
        {tab === 'korgau' && <KorgauTab key={lang} />}
        {tab === 'roads' && <RoadsTab user={user} />}
        {tab === 'plate' && <PlateTab key={lang} plate={arg} />}
      </div>
    </div>
  );
}
