import { roleLabel } from '../i18n.ts';
import { useLang } from '../lib/lang.tsx';
import type { SessionUser } from '../lib/session.ts';
import { homeRoute } from '../sections.ts';
import { LanguageSwitcher } from './LanguageSwitcher.tsx';

interface Props {
  user: SessionUser;
  navOpen: boolean;
  onToggleNav: () => void;
  onLogout: () => void;
}

export function Header({ user, navOpen, onToggleNav, onLogout }: Props) {
  const { t, lang } = useLang();
  const [brand, brandLatin] = t('app.name').split(' / ');
  return (
    <header className="app-header">
      <button
        type="button"
        className="nav-toggle"
        aria-controls="app-nav"
        aria-expanded={navOpen}
        aria-label={t('header.menu')}
        onClick={onToggleNav}
      >
        <span aria-hidden="true">☰</span> <span className="nav-toggle-label">{t('header.menu')}</span>
      </button>
      <a className="brand" href={`#${homeRoute(user.permissions)}`}>
        {brand}
        {brandLatin && <span className="brand-latin"> / {brandLatin}</span>}
      </a>
      <div className="header-user" data-testid="header-user">
        <span className="user-name" title={t('header.user')}>
          {user.displayName}
        </span>
        <span className="user-roles" title={t('header.roles')}>
          {user.roles.map((r) => roleLabel(lang, r)).join(', ')}
        </span>
      </div>
      <LanguageSwitcher />
      <button type="button" className="logout" onClick={onLogout}>
        {t('header.logout')}
      </button>
    </header>
  );
}
