import { useLang } from '../lib/lang.tsx';
import type { Section } from '../sections.ts';

/** Placeholder for the modules built in later issues. */
export function ComingSoon({ section }: { section: Section }) {
  const { t } = useLang();
  return (
    <div className="page" data-page={section.id}>
      <h1>{t(section.label)}</h1>
      <p className="message">{t('page.comingSoon', { section: t(section.label) })}</p>
    </div>
  );
}
