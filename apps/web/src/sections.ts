import type { MessageKey } from './i18n.ts';

export type SectionId =
  | 'dispatch'
  | 'reports'
  | 'roads'
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
  { id: 'dispatch', route: '/dispatch', label: 'nav.dispatch', permission: 'dispatch:read' },
  { id: 'reports', route: '/reports', label: 'nav.reports', permission: 'reports:read' },
  { id: 'roads', route: '/roads', label: 'nav.roads', permission: 'traffic:read' },
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
