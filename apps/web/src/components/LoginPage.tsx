import { useState, type FormEvent } from 'react';
import { api } from '../lib/api.ts';
import { errorMessage } from '../lib/errors.ts';
import { useLang } from '../lib/lang.tsx';
import { saveSession, type LoginResponse, type Session } from '../lib/session.ts';
import { LanguageSwitcher } from './LanguageSwitcher.tsx';
import { Icon } from './Icon.tsx';

/** The demo accounts seeded when the server runs with TARTIP_DEMO=true. */
export const DEMO_USERS = [
  'admin',
  'operator',
  'dispatcher',
  'officer',
  'traffic',
  'fraud',
  'protection',
  'investigator',
  'bailiff',
  'analyst',
  'supervisor',
];

interface Props {
  onLogin: (session: Session) => void;
  /** Shown above the form after a 401 sent the user back here. */
  notice?: string | null;
}

export function LoginPage({ onLogin, notice }: Props) {
  const { t } = useLang();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!username.trim() || !password) {
      setError(t('login.required'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const res = await api<LoginResponse>('/api/v1/auth/login', {
        method: 'POST',
        body: { username: username.trim(), password },
        anonymous: true,
      });
      onLogin(saveSession(res));
    } catch (err) {
      setError(errorMessage(err, t));
      setBusy(false);
    }
  }

  return (
    <main className="login">
      <div className="login-card">
        <div className="login-top">
          <div>
            <h1 className="brand">{t('app.name')}</h1>
            <p className="muted">{t('app.tagline')}</p>
          </div>
          <LanguageSwitcher />
        </div>
        <h2>{t('login.title')}</h2>
        {notice && !error && <p className="notice">{notice}</p>}
        <form onSubmit={submit} noValidate>
          <label htmlFor="username">{t('login.username')}</label>
          <input
            id="username"
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
          <label htmlFor="password">{t('login.password')}</label>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <div role="alert" className={error ? 'alert' : 'alert empty'} data-testid="login-error">
            {error}
          </div>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? t('login.submitting') : t('login.submit')}
          </button>
        </form>
        <p className="hint">{t('login.demoHint', { users: DEMO_USERS.join(', ') })}</p>
      </div>
      <a className="report-link" href="#/report" data-testid="report-link">
        <Icon name="megaphone" /> {t('login.reportLink')}
      </a>
    </main>
  );
}
