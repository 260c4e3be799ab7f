/** Hosts that name the loopback interface (RFC 8252 §7.3; `localhost` is not one: §8.3). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]']);

/**
 * The registered redirect a native app's `redirect_uri` matches, or `undefined`: an exact match (a private-use
 * scheme, `com.example.shop:/signed-in`, or a claimed `https` link), or, for a registered loopback redirect
 * (`http://127.0.0.1/signed-in` or `http://[::1]/…`), the same scheme, host and path on any port, as RFC 8252
 * §7.3 asks (the app picks a free port when it signs in). Query strings and fragments never match.
 *
 * @example
 * matchNativeRedirect('http://127.0.0.1:49152/cb', ['http://127.0.0.1/cb']) // 'http://127.0.0.1/cb'
 * matchNativeRedirect('http://localhost:49152/cb', ['http://127.0.0.1/cb']) // undefined
 */
export function matchNativeRedirect(uri: string, registered: readonly string[]): string | undefined {
  if (registered.includes(uri)) return uri;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname) || url.search || url.hash)
    return undefined;
  if (url.username || url.password) return undefined;
  const portless = `http://${url.hostname}${url.pathname}`;
  return registered.find((entry) => entry === portless);
}

/** Whether a configured redirect URI is acceptable to register: absolute, no fragment, no credentials. */
export function isRegistrableRedirect(uri: string): boolean {
  try {
    const url = new URL(uri);
    if (url.hash || url.username || url.password) return false;
    if (url.protocol === 'https:') return true;
    if (url.protocol === 'http:') return LOOPBACK_HOSTS.has(url.hostname) && url.port === '';
    // A private-use scheme in reverse-domain form (RFC 8252 §7.1).
    return /^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(url.protocol);
  } catch {
    return false;
  }
}
