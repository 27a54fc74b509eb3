import { useCallback, useEffect, useState } from 'react';
import { LoginPage } from './components/LoginPage.tsx';
import { Shell } from './components/Shell.tsx';
import { setUnauthorizedHandler } from './lib/api.ts';
import { useLang } from './lib/lang.tsx';
import { navigate, useRoute } from './lib/route.ts';
import { clearSession, loadSession, type Session } from './lib/session.ts';
import { ReportPage } from './pages/citizen/ReportPage.tsx';
import { TrackPage } from './pages/citizen/TrackPage.tsx';
import { homeRoute, isPublicRoute } from './sections.ts';

/**
 * The citizen's pages (`#/report`, `#/track/<token>`) for anyone. Otherwise: signed out, the login page;
 * signed in, the shell. A 401 from any call signs out.
 */
export function App() {
  const { t } = useLang();
  const route = useRoute();
  const [session, setSession] = useState<Session | null>(loadSession);
  const [expired, setExpired] = useState(false);

  const logout = useCallback(() => {
    clearSession();
    setSession(null);
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      clearSession();
      setSession(null);
      setExpired(true);
    });
    return () => setUnauthorizedHandler(null);
  }, []);

  if (isPublicRoute(route)) {
    if (route === '/report') return <ReportPage />;
    return <TrackPage token={decodeURIComponent(route.slice('/track/'.length))} />;
  }
  if (!session) {
    return (
      <LoginPage
        notice={expired ? t('login.sessionExpired') : null}
        onLogin={(s) => {
          setExpired(false);
          setSession(s);
          const home = homeRoute(s.user.permissions);
          if (home !== '/' && route === '/') navigate(home);
        }}
      />
    );
  }
  return <Shell session={session} onLogout={logout} />;
}
