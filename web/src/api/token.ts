/**
 * The login token, kept in sessionStorage: it lives as long as the tab, is not sent anywhere by
 * the browser on its own (no cookie), and is gone when the tab closes.
 */
const KEY = 'kactus.token';

export function loadToken(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(KEY);
}
