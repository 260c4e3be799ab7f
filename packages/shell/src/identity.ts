import { anonymousIdentity, type IdentityContext, type Permission } from '@gatehouse/policy';
import { deepFreeze } from '@gatehouse/remote';
import { ShellError } from './errors.js';

const str = (value: unknown): string => {
  if (typeof value !== 'string') throw new TypeError();
  return value;
};
// On JSON data only arrays have `map`: anything else throws, and so refuses the identity.
const list = <T = string>(value: unknown) => (value as unknown[]).map(str) as T[];

/**
 * The identity context of docs/http-contract.md#identity-context from untrusted JSON, deep-frozen, keeping only the contract's fields
 * (anything else about the user or the session is dropped; the session's `acr` and `authTime` pass as sent,
 * and `authLevel` of `@gatehouse/remote/step-up` checks their types); `undefined` when it is not one.
 *
 * @example
 * parseIdentity({ isAuthenticated: false })  // { isAuthenticated: false }
 * parseIdentity({ isAuthenticated: true })   // undefined: no user
 */
export function parseIdentity(value: unknown): IdentityContext | undefined {
  try {
    // biome-ignore lint/suspicious/noExplicitAny: untrusted JSON, every field is checked below
    const { isAuthenticated, user: u, session } = value as any;
    if (isAuthenticated === false) return anonymousIdentity;
    const { expiresAt, acr, authTime } = session;
    if (isAuthenticated !== true || !Date.parse(str(expiresAt))) return undefined;
    return deepFreeze({
      isAuthenticated,
      user: {
        id: str(u.id),
        displayName: str(u.displayName),
        roles: list(u.roles),
        permissions: list<Permission>(u.permissions),
        // biome-ignore lint/suspicious/noExplicitAny: as above
        tenants: u.tenants.map((t: any) => ({
          id: str(t.id),
          roles: list(t.roles),
          permissions: list<Permission>(t.permissions),
        })),
        ...(typeof u.locale === 'string' ? { locale: u.locale } : {}),
        ...(typeof u.currency === 'string' ? { currency: u.currency } : {}),
        ...(typeof u.activeTenant === 'string' ? { activeTenant: u.activeTenant } : {}),
      },
      // How the user signed in (`acr`, `auth_time` in seconds), for a remote to judge a step-up before a call.
      session: { expiresAt, acr, authTime },
    });
  } catch {
    return undefined;
  }
}

/**
 * The identity the BFF inlined in the shell page
 * (`<script type="application/json" id="gatehouse-identity">`), read with no request; `undefined` when the
 * page has none or it is not an identity.
 *
 * @example
 * const identity = readInlineIdentity() ?? (await fetchIdentity());
 */
export function readInlineIdentity(doc: Document = document): IdentityContext | undefined {
  const element = doc.getElementById('gatehouse-identity');
  try {
    if (element instanceof HTMLScriptElement && element.type === 'application/json')
      return parseIdentity(JSON.parse(element.text));
  } catch {
    // Not JSON.
  }
  return undefined;
}

/** A `fetch` for the shell's own calls: the global one, or a native host's bridge (`@gatehouse/shell/native`). */
export type ShellFetch = (input: string, init: RequestInit) => Promise<Response>;

/**
 * `GET /auth/session`: the identity as the BFF sees it now, by `send` (the global `fetch` by default). Throws
 * `GH_SHELL_SESSION_UNAVAILABLE` when the answer is not an identity (network, HTML, a 5xx such as the BFF's
 * 503 `store_unavailable` or `upstream_unavailable`), with what was thrown, if anything, as `cause`: an answer
 * that is no identity never reads as signed out.
 *
 * @example
 * store.setIdentity(await fetchIdentity());
 */
export async function fetchIdentity(send: ShellFetch = fetch): Promise<IdentityContext> {
  const url = '/auth/session';
  // One throw site (3 B less in the runtime's bundle than two): `cause` stays undefined for an answer that
  // parsed but is no identity.
  let cause: unknown;
  try {
    const identity = parseIdentity(await (await send(url, { cache: 'no-store' })).json());
    if (identity) return identity;
  } catch (error) {
    cause = error;
  }
  throw new ShellError('GH_SHELL_SESSION_UNAVAILABLE', url, { cause });
}
