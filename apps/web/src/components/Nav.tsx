import { useLang } from '../lib/lang.tsx';
import type { Section } from '../sections.ts';

interface Props {
  sections: readonly Section[];
  route: string;
  open: boolean;
  onNavigate: () => void;
}

/** The sections the user may open; on a phone it collapses behind the header's menu button. */
export function Nav({ sections, route, open, onNavigate }: Props) {
  const { t } = useLang();
  const link = (href: string, label: string, id: string, active: boolean) => (
    <li key={id}>
      <a href={`#${href}`} data-section={id} aria-current={active ? 'page' : undefined} onClick={onNavigate}>
        {label}
      </a>
    </li>
  );
  return (
    <nav id="app-nav" className={open ? 'app-nav open' : 'app-nav'} aria-label={t('nav.label')}>
      <ul>
        {link('/', t('nav.map'), 'map', route === '/')}
        {sections.map((s) => link(s.route, t(s.label), s.id, route === s.route))}
      </ul>
    </nav>
  );
}
