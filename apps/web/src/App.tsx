import { useCallback, useEffect, useState } from 'react';
import { LoginPage } from './components/LoginPage.tsx';
import { Shell } from './components/Shell.tsx';
import { setUnauthorizedHandler } from './lib/api.ts';
import { useLang } from './lib/lang.tsx';
import { clearSession, loadSession, type Session } from './lib/session.ts';

/** Signed out: the login page. Signed in: the shell. A 401 from any call signs out. */
export function App() {
  const { t } = useLang();
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

  if (!session) {
    return (
      <LoginPage
        notice={expired ? t('login.sessionExpired') : null}
        onLogin={(s) => {
          setExpired(false);
          setSession(s);
        }}
      />
    );
  }
  return <Shell session={session} onLogout={logout} />;
}
