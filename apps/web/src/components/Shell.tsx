import { lazy, Suspense, useState, type ReactNode } from 'react';
import { useLang } from '../lib/lang.tsx';
import { useRoute } from '../lib/route.ts';
import type { Session } from '../lib/session.ts';
import { AuditPage } from '../pages/AuditPage.tsx';
import { ComingSoon } from '../pages/ComingSoon.tsx';
import { Message } from '../pages/Message.tsx';
import { UsersPage } from '../pages/UsersPage.tsx';
import { sections, visibleSections } from '../sections.ts';
import { Header } from './Header.tsx';
import { Nav } from './Nav.tsx';

// MapLibre is the largest part of the bundle: load it only once signed in.
const MapPage = lazy(() => import('../pages/MapPage.tsx'));

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

  let page: ReactNode;
  if (route === '/') {
    page = (
      <Suspense fallback={<Message text={t('page.loading')} />}>
        <MapPage />
      </Suspense>
    );
  } else {
    const section = sections.find((s) => s.route === route);
    if (!section) page = <Message text={t('page.notFound')} />;
    else if (!allowed.includes(section)) page = <Message text={t('error.forbidden')} />;
    else if (section.id === 'users') page = <UsersPage />;
    else if (section.id === 'audit') page = <AuditPage />;
    else page = <ComingSoon section={section} />;
  }

  return (
    <div className="shell">
      <Header user={session.user} navOpen={navOpen} onToggleNav={() => setNavOpen((o) => !o)} onLogout={onLogout} />
      <div className="shell-body">
        <Nav sections={allowed} route={route} open={navOpen} onNavigate={() => setNavOpen(false)} />
        <main className="content">{page}</main>
      </div>
    </div>
  );
}
