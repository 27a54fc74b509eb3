import type { ReactNode } from 'react';
import { LanguageSwitcher } from '../../components/LanguageSwitcher.tsx';
import { useLang } from '../../lib/lang.tsx';

/** The citizen's pages: no sign-in, no navigation, one column that fits a phone. */
export function PublicLayout({ children, page }: { children: ReactNode; page: string }) {
  const { t } = useLang();
  return (
    <div className="public" data-page={page}>
      <header className="public-header">
        <a className="brand" href="#/report">
          {t('app.name').split(' / ')[0]}
        </a>
        <LanguageSwitcher />
      </header>
      <main className="public-main">{children}</main>
      <footer className="public-footer">
        <p>{t('public.emergency')}</p>
        <a href="#/">{t('public.staffLogin')}</a>
      </footer>
    </div>
  );
}
