/** The admin token, kept for this browser tab only (sessionStorage). */

const KEY = 'cleave.adminToken';

/** The stored token, if signed in. */
export function token(): string | null {
  return sessionStorage.getItem(KEY);
}

/** Stores the token after the server accepted it. */
export function signIn(value: string): void {
  sessionStorage.setItem(KEY, value);
}

/** Forgets the token. */
export function signOut(): void {
  sessionStorage.removeItem(KEY);
}
