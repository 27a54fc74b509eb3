import { lazy, Suspense, useEffect, useState, type ReactNode } from 'react';
import { useLang } from '../lib/lang.tsx';
import { navigate, useRoute } from '../lib/route.ts';
import type { Session } from '../lib/session.ts';
import { AuditPage } from '../pages/AuditPage.tsx';
import { ComingSoon } from '../pages/ComingSoon.tsx';
import { ReportsPage } from '../pages/ReportsPage.tsx';
import { Message } from '../pages/Message.tsx';
import { UsersPage } from '../pages/UsersPage.tsx';
import { ROUTE_ALIASES, sectionOf, visibleSections } from '../sections.ts';
import { Header } from './Header.tsx';
import { Nav } from './Nav.tsx';

// MapLibre is the largest part of the bundle: load it only once signed in.
const MapPage = lazy(() => import('../pages/MapPage.tsx'));
const OpsPage = lazy(() => import('../pages/ops/OpsPage.tsx'));
const TabletPage = lazy(() => import('../pages/tablet/TabletPage.tsx'));
const TrafficPage = lazy(() => import('../pages/traffic/TrafficPage.tsx'));
const FraudPage = lazy(() => import('../pages/fraud/FraudPage.tsx'));
const AnalyticsPage = lazy(() => import('../pages/analytics/AnalyticsPage.tsx'));
const VideoPage = lazy(() => import('../pages/video/VideoPage.tsx'));

interface Props {
  session: Session;
  onLogout: () => void;
}

/** The signed-in layout: header, role-filtered navigation and the current page. */
export function Shell({ session, onLogout }: Props) {
  const { t } = useLang();
  const route = useRoute();
  const [navOpen, setNavOpen] = useState(false);
  const allowed = visibleSections(session.user.permissions);
  const alias = ROUTE_ALIASES[route];
  useEffect(() => {
    if (alias) navigate(alias);
  }, [alias]);

  const lazyPage = (node: ReactNode) => <Suspense fallback={<Message text={t('page.loading')} />}>{node}</Suspense>;
  let page: ReactNode;
  let full = false;
  if (route === '/') {
    page = lazyPage(<MapPage />);
  } else {
    const section = sectionOf(alias ?? route);
    if (!section) page = <Message text={t('page.notFound')} />;
    else if (!allowed.includes(section)) page = <Message text={t('error.forbidden')} />;
    else if (section.id === 'users') page = <UsersPage />;
    else if (section.id === 'audit') page = <AuditPage />;
    else if (section.id === 'reports') page = <ReportsPage />;
    else if (section.id === 'dispatch') {
      page = lazyPage(<OpsPage user={session.user} />);
      full = true;
    } else if (section.id === 'tablet') page = lazyPage(<TabletPage />);
    else if (section.id === 'traffic') {
      page = lazyPage(<TrafficPage user={session.user} route={alias ?? route} />);
      full = true;
    } else if (section.id === 'fraud') {
      page = lazyPage(<FraudPage user={session.user} route={alias ?? route} />);
      full = true;
    } else if (section.id === 'video') {
      page = lazyPage(<VideoPage user={session.user} route={alias ?? route} />);
      full = true;
    } else if (section.id === 'analytics') {
      page = lazyPage(<AnalyticsPage route={alias ?? route} />);
      full = true;
    } else page = <ComingSoon section={section} />;
  }

  return (
    <div className="shell">
      <Header user={session.user} navOpen={navOpen} onToggleNav={() => setNavOpen((o) => !o)} onLogout={onLogout} />
      <div className="shell-body">
        <Nav sections={allowed} route={sectionOf(alias ?? route)?.route ?? alias ?? route} open={navOpen} onNavigate={() => setNavOpen(false)} />
        <main className={full ? 'content full' : 'content'}>{page}</main>
      </div>
    </div>
  );
}
