import { useEffect, useRef, useState } from 'react';
import type { MessageKey } from '../../i18n.ts';
import { FRAUD_SUBJECTS } from '../../lib/fraud.ts';
import { useLang } from '../../lib/lang.tsx';
import type { SessionUser } from '../../lib/session.ts';
import { throttle } from '../../lib/throttle.ts';
import { useEventStream } from '../../lib/useEventStream.ts';
import { BacktestTab } from './BacktestTab.tsx';
import { CasesTab } from './CasesTab.tsx';
import { DecisionsTab } from './DecisionsTab.tsx';
import { IndicatorsTab } from './IndicatorsTab.tsx';
import { PolicyTab } from './PolicyTab.tsx';
import { StatsTab } from './StatsTab.tsx';

type Tab = 'indicators' | 'decisions' | 'stats' | 'cases' | 'policy' | 'backtest';

const TABS: { id: Tab; route: string; label: MessageKey }[] = [
  { id: 'indicators', route: '/fraud', label: 'fraud.tab.indicators' },
  { id: 'decisions', route: '/fraud/decisions', label: 'fraud.tab.decisions' },
  { id: 'stats', route: '/fraud/stats', label: 'fraud.tab.stats' },
  { id: 'cases', route: '/fraud/cases', label: 'fraud.tab.cases' },
  { id: 'policy', route: '/fraud/policy', label: 'fraud.tab.policy' },
  { id: 'backtest', route: '/fraud/backtest', label: 'fraud.tab.backtest' },
];

/** `#/fraud…` → which tab. */
export function parseFraudRoute(route: string): Tab {
  const tab = route.split('/')[2];
  return TABS.find((x) => x.id === tab)?.id ?? 'indicators';
}

/**
 * The fraud analyst's back-office (`#/fraud`): shared indicators (search, add, edit with history, revoke), the
 * decision log with its reasons and the banks' verdicts, the prevented-loss dashboard (by day, partner, region and
 * channel), citizens' fraud cases, the typology configuration (versioned policy) and backtest results. Live: any fraud event
 * (an indicator changed, a verdict recorded, a case opened) makes the open tab fetch again (at most every 300 ms).
 */
export default function FraudPage({ user, route }: { user: SessionUser; route: string }) {
  const { t } = useLang();
  const tab = parseFraudRoute(route);
  const [version, setVersion] = useState(0);
  const bump = useRef<ReturnType<typeof throttle> | null>(null);
  bump.current ??= throttle(() => setVersion((v) => v + 1), 300);
  useEffect(() => () => bump.current?.cancel(), []);
  const stream = useEventStream('fraud.>', FRAUD_SUBJECTS, () => bump.current?.());
  return (
    <div className="traffic fraud" data-page="fraud" data-tab={tab} data-stream={stream}>
      <h1 className="visually-hidden">{t('nav.fraud')}</h1>
      <nav className="tabs" aria-label={t('nav.fraud')}>
        {TABS.map((x) => (
          <a key={x.id} href={`#${x.route}`} aria-current={tab === x.id ? 'page' : undefined} data-tab={x.id}>
            {t(x.label)}
          </a>
        ))}
      </nav>
      <div className="traffic-body">
        {tab === 'indicators' && <IndicatorsTab user={user} version={version} />}
        {tab === 'decisions' && <DecisionsTab user={user} version={version} />}
        {tab === 'stats' && <StatsTab version={version} />}
        {tab === 'cases' && <CasesTab user={user} version={version} />}
        {tab === 'policy' && <PolicyTab user={user} version={version} />}
        {tab === 'backtest' && <BacktestTab user={user} />}
      </div>
    </div>
  );
}
