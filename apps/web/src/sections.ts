import type { MessageKey } from './i18n.ts';

export type SectionId =
  | 'tablet'
  | 'dispatch'
  | 'reports'
  | 'traffic'
  | 'video'
  | 'fraud'
  | 'protection'
  | 'cases'
  | 'enforcement'
  | 'analytics'
  | 'audit'
  | 'users';

export interface Section {
  id: SectionId;
  route: string;
  label: MessageKey;
  /** The permission the user needs for the section to be listed and opened. */
  permission: string;
}

/** The navigation, in display order. The map (home) is open to every signed-in user. */
export const sections: readonly Section[] = [
  { id: 'tablet', route: '/tablet', label: 'nav.tablet', permission: 'dispatch:field' },
  { id: 'dispatch', route: '/ops', label: 'nav.dispatch', permission: 'dispatch:read' },
  { id: 'reports', route: '/reports', label: 'nav.reports', permission: 'reports:read' },
  { id: 'traffic', route: '/traffic', label: 'nav.traffic', permission: 'traffic:read' },
  { id: 'video', route: '/video', label: 'nav.video', permission: 'video:read' },
  { id: 'fraud', route: '/fraud', label: 'nav.fraud', permission: 'fraud:read' },
  { id: 'protection', route: '/protection', label: 'nav.protection', permission: 'protection:read' },
  { id: 'cases', route: '/cases', label: 'nav.cases', permission: 'cases:read' },
  { id: 'enforcement', route: '/enforcement', label: 'nav.enforcement', permission: 'enforcement:read' },
  { id: 'analytics', route: '/analytics', label: 'nav.analytics', permission: 'analytics:read' },
  { id: 'audit', route: '/audit', label: 'nav.audit', permission: 'audit:read' },
  { id: 'users', route: '/users', label: 'nav.users', permission: 'users:read' },
];

/** Whether `permissions` grant `needed`; `*` and `domain:*` grants are honoured too. */
export function hasPermission(permissions: readonly string[], needed: string): boolean {
  const domain = needed.split(':')[0];
  return permissions.some((p) => p === needed || p === '*' || p === `${domain}:*`);
}

export function visibleSections(permissions: readonly string[]): Section[] {
  return sections.filter((s) => hasPermission(permissions, s.permission));
}

/** Old addresses that still work. */
export const ROUTE_ALIASES: Readonly<Record<string, string>> = { '/dispatch': '/ops', '/roads': '/traffic/roads' };

/** The section a route belongs to: its own route or one below it (`/traffic/roads` is in `/traffic`). */
export function sectionOf(route: string): Section | undefined {
  return sections.find((s) => route === s.route || route.startsWith(`${s.route}/`));
}

/** Where a user lands after signing in: a unit's crew on the tablet, everyone else on the map. */
export function homeRoute(permissions: readonly string[]): string {
  return hasPermission(permissions, 'dispatch:field') ? '/tablet' : '/';
}

/** The citizen's pages, open without signing in. */
export function isPublicRoute(route: string): boolean {
  return route === '/report' || route.startsWith('/track/');
}
