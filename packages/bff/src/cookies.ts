import { Signer } from '@fastify/cookie';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { BffConfig } from './config.js';
import { isWellFormedSessionId } from './session/ids.js';

/** What the request's cookies say about the session. */
export type CookieSession =
  | { readonly kind: 'none' }
  /** A cookie was sent but is not one we signed (forged, tampered, or signed with a retired secret). */
  | { readonly kind: 'invalid' }
  | { readonly kind: 'id'; readonly id: string };

/**
 * Reads and writes the BFF's two cookies: the session cookie (an opaque id signed with the session secret)
 * and the login cookie (binds login transactions to this browser). Both are `__Host-`, `HttpOnly`, `Secure`,
 * `Path=/`, no `Domain` (SECURITY.md A 1–3). Parsing comes from `cookie`, signing from `@fastify/cookie`.
 */
export class CookieJar {
  readonly #signer: InstanceType<typeof Signer>;
  readonly #config: BffConfig;

  constructor(config: BffConfig) {
    this.#config = config;
    this.#signer = new Signer(config.sessionSecrets as string[]);
  }

  /** The session named by the `Cookie` header, if any. Only cookies: never a query or another header. */
  session(cookieHeader: string | undefined): CookieSession {
    const raw = this.#read(cookieHeader, this.#config.cookieName);
    if (raw === undefined) return { kind: 'none' };
    const id = this.#unsign(raw);
    return id !== undefined && isWellFormedSessionId(id) ? { kind: 'id', id } : { kind: 'invalid' };
  }

  /** The login binding of this browser, if its cookie is present and ours. */
  loginBinding(cookieHeader: string | undefined): string | undefined {
    const raw = this.#read(cookieHeader, this.#config.loginCookieName);
    return raw === undefined ? undefined : this.#unsign(raw);
  }

  /** `Set-Cookie` value for a new session (a session cookie: it ends with the browser, or the server side). */
  setSession(id: string): string {
    return this.#serialize(this.#config.cookieName, this.#signer.sign(id));
  }

  /** `Set-Cookie` value that deletes the session cookie. */
  clearSession(): string {
    return this.#serialize(this.#config.cookieName, '', 0);
  }

  /** `Set-Cookie` value for the login binding, living as long as a login may take. */
  setLoginBinding(binding: string): string {
    return this.#serialize(
      this.#config.loginCookieName,
      this.#signer.sign(binding),
      this.#config.loginTimeout,
    );
  }

  /** `Set-Cookie` value that deletes the login cookie. */
  clearLoginBinding(): string {
    return this.#serialize(this.#config.loginCookieName, '', 0);
  }

  #read(header: string | undefined, name: string): string | undefined {
    if (!header?.includes(name)) return undefined;
    const value = parseCookie(header)[name];
    return value ? value : undefined;
  }

  #unsign(raw: string): string | undefined {
    const result = this.#signer.unsign(raw);
    return result.valid && result.value ? result.value : undefined;
  }

  #serialize(name: string, value: string, maxAge?: number): string {
    return stringifySetCookie({
      name,
      value,
      httpOnly: true,
      secure: true,
      sameSite: 'lax',
      path: '/',
      ...(maxAge === undefined ? {} : { maxAge }),
      ...(maxAge === 0 ? { expires: new Date(0) } : {}),
    });
  }
}
