import { languageLabels, languages } from '../i18n.ts';
import { useLang } from '../lib/lang.tsx';

/** «Рус» «Қаз» «Eng»: each label in its own language; the chosen one is pressed. */
export function LanguageSwitcher() {
  const { lang, setLang, t } = useLang();
  return (
    <fieldset className="lang-switcher">
      <legend className="visually-hidden">{t('lang.switch')}</legend>
      {languages.map((l) => (
        <button
          key={l}
          type="button"
          lang={l}
          data-lang={l}
          aria-pressed={l === lang}
          className={l === lang ? 'active' : undefined}
          onClick={() => setLang(l)}
        >
          {languageLabels[l]}
        </button>
      ))}
    </fieldset>
  );
}
