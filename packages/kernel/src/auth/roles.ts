/**
 * Roles and what they may do. This matrix is configuration, versioned with the code: a change to who may
 * do what is reviewed like any other change. Modules own their permission names (`<module>:<verb>`).
 */
export const ROLES = [
  'admin',
  'operator',
  'dispatcher',
  'officer',
  'traffic',
  'fraud',
  'protection',
  'investigator',
  'bailiff',
  'analyst',
  'supervisor',
] as const;
export type Role = (typeof ROLES)[number];

/** Every permission the platform knows, with what it allows. */
export const PERMISSIONS = {
  'users:read': 'list and read staff accounts in one’s jurisdiction',
  'users:write': 'create and change staff accounts',
  'apikeys:write': 'issue and revoke partner API keys',
  'audit:read': 'read the audit log',
  'geo:read': 'read regions, districts and locate points',
  'stream:read': 'follow the live event stream',
  'reports:read': 'read citizen reports',
  'reports:write': 'annotate citizen reports and mark them false',
  'dispatch:read': 'see incidents and units in the operations centre',
  'dispatch:write': 'create incidents, change their status and assign units',
  'dispatch:units': 'register units and take them in or out of service',
  'dispatch:field': 'act as a unit’s crew: status, position, panic',
  'traffic:read': 'see road-safety data',
  'traffic:write': 'register cameras, sections and vehicles; record crashes, inspections and road defects',
  'traffic:verify': 'confirm or reject camera violations and issue notices',
  'fraud:read': 'see fraud indicators and alerts',
  'fraud:write': 'manage fraud indicators, feed roaming status and confirm screening outcomes',
  'protection:read': 'see domestic-violence cases and protective orders',
  'cases:read': 'see criminal cases and seizures',
  'enforcement:read': 'see enforcement proceedings',
  'analytics:read': 'see statistics and forecasts',
  'analytics:write': 'import historical incidents and plan patrols',
  'video:read': 'see cameras, their status, analytics events, alerts and traffic flow',
  'video:write': 'register and change cameras and abandoned-object zone rules',
  'video:review': 'confirm or reject camera alerts (a confirmed alert becomes an incident)',
  'video:watchlist': 'see and manage face watchlists (every view is audited)',
} as const;
export type Permission = keyof typeof PERMISSIONS;

const STAFF: Permission[] = ['geo:read', 'stream:read'];

export const ROLE_PERMISSIONS: Record<Role, Permission[]> = {
  admin: [...STAFF, 'users:read', 'users:write', 'apikeys:write', 'audit:read', 'dispatch:units'],
  operator: [...STAFF, 'reports:read', 'reports:write', 'dispatch:read', 'dispatch:write', 'video:read', 'video:review'],
  dispatcher: [...STAFF, 'reports:read', 'reports:write', 'dispatch:read', 'dispatch:write', 'dispatch:units', 'video:read', 'video:review', 'video:write'],
  officer: [...STAFF, 'dispatch:read', 'dispatch:field'],
  traffic: [...STAFF, 'traffic:read', 'traffic:write', 'traffic:verify'],
  fraud: [...STAFF, 'fraud:read', 'fraud:write'],
  protection: [...STAFF, 'protection:read'],
  investigator: [...STAFF, 'cases:read', 'video:read', 'video:watchlist'],
  bailiff: [...STAFF, 'enforcement:read'],
  analyst: [...STAFF, 'analytics:read', 'analytics:write'],
  supervisor: [
    ...STAFF,
    'users:read',
    'audit:read',
    'reports:read',
    'dispatch:read',
    'traffic:read',
    'fraud:read',
    'protection:read',
    'cases:read',
    'enforcement:read',
    'analytics:read',
    'video:read',
  ],
};

export function permissionsOf(roles: readonly string[]): Set<Permission> {
  const out = new Set<Permission>();
  for (const role of roles) for (const p of ROLE_PERMISSIONS[role as Role] ?? []) out.add(p);
  return out;
}

/** Scopes a partner API key can carry. */
export const SCOPES = {
  'reports:submit': 'submit citizen reports (102 app, eGov, banks)',
  'fraud:screen': 'screen calls and transactions (banks, telecom operators)',
  'fraud:indicators': 'contribute and read shared fraud indicators (banks, telecom operators)',
  'video:ingest': 'send camera analytics events (camera vendors)',
  'traffic:ingest': 'send ANPR plate reads and camera violations (camera and gantry vendors)',
  'telemetry:ingest': 'send unit positions (smart-badge and vehicle tracker gateways)',
  'partner:read': 'read the partner’s own profile',
} as const;
export type Scope = keyof typeof SCOPES;
