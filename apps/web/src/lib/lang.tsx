import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { defaultLang, format, isLang, type Lang, type MessageKey } from '../i18n.ts';
import { setApiLanguage } from './api.ts';

const STORAGE_KEY = 'tartip.lang';

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

interface LangContextValue {
  lang: Lang;
  setLang: (lang: Lang) => void;
  t: Translate;
}

const LangContext = createContext<LangContextValue | null>(null);

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (isLang(saved)) return saved;
  } catch {
    // storage may be disabled; fall back to the default
  }
  return defaultLang;
}

/** Holds the interface language: kept in localStorage, mirrored on `<html lang>` and in the API client. */
export function LangProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);

  // Keep the API client in step during render, so the first requests already carry the right Accept-Language.
  setApiLanguage(lang);

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  const setLang = useCallback((next: Lang) => {
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // ignore: the choice then lasts for this page only
    }
    setLangState(next);
  }, []);

  const value = useMemo<LangContextValue>(
    () => ({ lang, setLang, t: (key, params) => format(lang, key, params) }),
    [lang, setLang],
  );
  return <LangContext.Provider value={value}>{children}</LangContext.Provider>;
}

export function useLang(): LangContextValue {
  const v = useContext(LangContext);
  if (!v) throw new Error('useLang() outside <LangProvider>');
  return v;
}
