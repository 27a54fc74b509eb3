/** The signed-in user as the login call returns it. */
export interface SessionUser {
  id: string;
  username: string;
  displayName: string;
  roles: string[];
  permissions: string[];
  jurisdictions: string[];
}

export interface Session {
  accessToken: string;
  /** Epoch milliseconds after which the token is no longer accepted. */
  expiresAt: number;
  user: SessionUser;
}

export interface LoginResponse {
  accessToken: string;
  expiresIn: number;
  user: SessionUser;
}

const KEY = 'tartip.session';

/** The session lives in sessionStorage: one browser tab, gone when it closes. */
export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    if (!s.accessToken || !s.user || s.expiresAt <= Date.now()) {
      sessionStorage.removeItem(KEY);
      return null;
    }
    return s;
  } catch {
    return null;
  }
}

export function saveSession(login: LoginResponse): Session {
  const s: Session = {
    accessToken: login.accessToken,
    expiresAt: Date.now() + login.expiresIn * 1000,
    user: login.user,
  };
  sessionStorage.setItem(KEY, JSON.stringify(s));
  return s;
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

export function getToken(): string | null {
  return loadSession()?.accessToken ?? null;
}
