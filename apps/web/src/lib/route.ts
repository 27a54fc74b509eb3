import { useEffect, useState } from 'react';

/** The current hash route without the leading `#`, e.g. `/users`; `/` for the home (map). */
export function currentRoute(): string {
  const h = window.location.hash.replace(/^#/, '');
  return h.startsWith('/') ? h : '/';
}

/** Hash routing keeps the app a static bundle: the server only has to serve `/`. */
export function useRoute(): string {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const on = () => setRoute(currentRoute());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function navigate(route: string): void {
  window.location.hash = route;
}
