import type { Permission, Scope } from './roles.ts';

/** Who is calling: a staff member (access token) or a partner system (API key). */
export type Principal =
  | {
      kind: 'user';
      id: string;
      username: string;
      roles: string[];
      permissions: Set<Permission>;
      jurisdictions: string[];
    }
  | {
      kind: 'partner';
      id: string;
      name: string;
      channel: string;
      scopes: Set<Scope>;
      jurisdictions: string[];
    };

/** The string written into audit records as the actor. */
export function actorOf(p: Principal | null | undefined): string {
  if (!p) return 'anonymous';
  return p.kind === 'user' ? `user:${p.username}` : `partner:${p.name}`;
}
