import { useEffect, useState } from 'react';
import { format, isMessageKey, type Lang } from '../i18n.ts';
import { type Category, fetchCategories, localText } from './reports.ts';

let cache: Promise<Category[]> | null = null;

/** The report categories, fetched once per page load, as a code → category map (names for incident codes). */
export function useCategories(): Map<string, Category> {
  const [map, setMap] = useState<Map<string, Category>>(new Map());
  useEffect(() => {
    let live = true;
    cache ??= fetchCategories().catch((e: unknown) => {
      cache = null;
      throw e;
    });
    cache.then((items) => live && setMap(new Map(items.map((c) => [c.code, c])))).catch(() => {});
    return () => {
      live = false;
    };
  }, []);
  return map;
}

/** A category's name in `lang` (system categories such as `panic` from the catalogue), or its code when unknown. */
export function categoryName(categories: Map<string, Category>, code: string, lang: Lang): string {
  const c = categories.get(code);
  if (c) return localText(c.name, lang);
  const key = `category.${code}`;
  return isMessageKey(key) ? format(lang, key) : code;
}
