import type { MessageKey } from '../../i18n.ts';
import { useLang } from '../../lib/lang.tsx';
import { BacktestTab } from './BacktestTab.tsx';
import { HotspotsTab } from './HotspotsTab.tsx';
import { KpiTab } from './KpiTab.tsx';
import { PatrolTab } from './PatrolTab.tsx';
import { StatisticsTab } from './StatisticsTab.tsx';

type Tab = 'statistics' | 'hotspots' | 'patrol' | 'kpi' | 'backtest';

const TABS: { id: Tab; route: string; label: MessageKey }[] = [
  { id: 'statistics', route: '/analytics', label: 'analytics.tab.statistics' },
  { id: 'hotspots', route: '/analytics/hotspots', label: 'analytics.tab.hotspots' },
  { id: 'patrol', route: '/analytics/patrol', label: 'analytics.tab.patrol' },
  { id: 'kpi', route: '/analytics/kpi', label: 'analytics.tab.kpi' },
  { id: 'backtest', route: '/analytics/backtest', label: 'analytics.tab.backtest' },
];

/** `#/analytics…` → which tab. */
export function parseAnalyticsRoute(route: string): Tab {
  const tab = route.split('/')[2];
  return TABS.find((x) => x.id === tab)?.id ?? 'statistics';
}

/**
 * The analyst's screens (`#/analytics`): the statistics dashboard (year on year by article, region, district or month,
 * with charts, the release sentence and CSV), the hotspot forecast map, patrol routes over the hotspots, the KPI board
 * fed by the other modules' events, and the backtest of the forecasting methods on a file the analyst chooses.
 */
export default function AnalyticsPage({ route }: { route: string }) {
  const { t } = useLang();
  const tab = parseAnalyticsRoute(route);
  return (
    <div className="traffic analytics" data-page="analytics" data-tab={tab}>
      <h1 className="visually-hidden">{t('nav.analytics')}</h1>
      <nav className="tabs" aria-label={t('nav.analytics')}>
        {TABS.map((x) => (
          <a key={x.id} href={`#${x.route}`} aria-current={tab === x.id ? 'page' : undefined} data-tab={x.id}>
            {t(x.label)}
          </a>
        ))}
      </nav>
      <div className="traffic-body">
        {tab === 'statistics' && <StatisticsTab />}
        {tab === 'hotspots' && <HotspotsTab />}
        {tab === 'patrol' && <PatrolTab />}
        {tab === 'kpi' && <KpiTab />}
        {tab === 'backtest' && <BacktestTab />}
      </div>
    </div>
  );
}
