/** Who is signed in, read from the bearer token's claims (the API checks the token; the app only reads it). */
export interface Session {
  token: string;
  name: string;
  roles: string[];
  regencies: string[];
  expiresAt?: number;
}

const storageKey = 'enrolment-cases.token';

function base64UrlDecode(part: string): string {
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

const list = (claim: unknown): string[] =>
  Array.isArray(claim) ? claim.map(String) : typeof claim === 'string' ? [claim] : [];

/** The session a token stands for, or null when it is no JWT or has expired. */
export function sessionFrom(token: string, now = Date.now()): Session | null {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return null;
  try {
    const claims = JSON.parse(base64UrlDecode(parts[1])) as Record<string, unknown>;
    const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
    if (expiresAt !== undefined && expiresAt <= now) return null;
    return {
      token: token.trim(),
      name: typeof claims.name === 'string' ? claims.name : String(claims.sub ?? ''),
      roles: list(claims.role),
      regencies: list(claims.regency),
      expiresAt
    };
  } catch {
    return null;
  }
}

/** Kept for this tab only (sessionStorage): closing the tab signs out, and no other site can read it. */
export function storedSession(storage: Pick<Storage, 'getItem'> = sessionStorage): Session | null {
  const token = storage.getItem(storageKey);
  return token ? sessionFrom(token) : null;
}

export function storeSession(session: Session | null, storage: Pick<Storage, 'setItem' | 'removeItem'> = sessionStorage) {
  if (session) storage.setItem(storageKey, session.token);
  else storage.removeItem(storageKey);
}

/** The page a role starts on. */
export function homeOf(session: Session): string {
  if (session.roles.includes('planner')) return '/coverage';
  if (session.roles.includes('caseworker')) return '/cases';
  if (session.roles.includes('auditor') || session.roles.includes('admin')) return '/audit';
  return '/coverage';
}
