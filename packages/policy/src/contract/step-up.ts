/**
 * Step-up authentication (RFC 9470, OAuth 2.0 Step Up Authentication Challenge): what an API answers when the
 * caller's sign-in is not strong or recent enough, what the BFF turns that into for the browser, and how the
 * session's current level is described. One module, so the API's challenge, the BFF's reading of it and the
 * browser's reaction cannot disagree.
 */

import { loginOptionPatterns } from './login.js';

/** The `error` of the `WWW-Authenticate: Bearer` challenge (RFC 9470 §3). */
export const stepUpError = 'insufficient_user_authentication';

/**
 * What a call needs of the sign-in, in the names of the authorization request: `acr_values` (one of these
 * authentication context classes, space-separated) and/or `max_age` (authenticated at most this many seconds
 * ago).
 */
export interface StepUpRequirement {
  readonly acr_values?: string;
  readonly max_age?: number;
}

/** How strongly, and when, the session's user last signed in: the ID token's `acr` and `auth_time`. */
export interface AuthLevel {
  /** The authentication context class reference the issuer confirmed. */
  readonly acr?: string;
  /** When the user last authenticated at the issuer, in epoch seconds. */
  readonly authTime?: number;
}

const ACR_VALUES = new RegExp(loginOptionPatterns.acrValues);
const MAX_AGE = new RegExp(loginOptionPatterns.maxAge);

/**
 * The requirement of untrusted values (a header's parameters, a problem's members), keeping only what has the
 * login options' shapes; `undefined` when nothing usable is left.
 *
 * @example
 * stepUpRequirement('urn:gatehouse:loa:2', '300') // { acr_values: 'urn:gatehouse:loa:2', max_age: 300 }
 */
export function stepUpRequirement(acrValues: unknown, maxAge: unknown): StepUpRequirement | undefined {
  const acr = typeof acrValues === 'string' && ACR_VALUES.test(acrValues) ? acrValues : undefined;
  const age = typeof maxAge === 'number' ? String(maxAge) : maxAge;
  const seconds = typeof age === 'string' && MAX_AGE.test(age) ? Number(age) : undefined;
  if (acr === undefined && seconds === undefined) return undefined;
  return {
    ...(acr === undefined ? {} : { acr_values: acr }),
    ...(seconds === undefined ? {} : { max_age: seconds }),
  };
}

/** A quoted-string of RFC 9110 §5.6.4 holding only visible ASCII and spaces (nothing to escape). */
const quoted = (value: string) => `"${value.replace(/[^\x20-\x7e]|["\\]/g, '')}"`;

/**
 * The `WWW-Authenticate` value of a step-up challenge (RFC 9470 §3).
 *
 * @example
 * stepUpChallenge({ acr_values: 'urn:gatehouse:loa:2', max_age: 300 }, 'urn:gatehouse:shop')
 * // 'Bearer realm="urn:gatehouse:shop", error="insufficient_user_authentication", error_description="…", acr_values="urn:gatehouse:loa:2", max_age="300"'
 */
export function stepUpChallenge(requirement: StepUpRequirement, realm?: string): string {
  const params = [
    ...(realm ? [`realm=${quoted(realm)}`] : []),
    `error="${stepUpError}"`,
    'error_description="A stronger or more recent sign-in is required"',
    ...(requirement.acr_values ? [`acr_values=${quoted(requirement.acr_values)}`] : []),
    ...(requirement.max_age === undefined ? [] : [`max_age="${requirement.max_age}"`]),
  ];
  return `Bearer ${params.join(', ')}`;
}

/** One auth-param of a challenge: `name=token` or `name="quoted string"` (RFC 9110 §11.2). */
const AUTH_PARAM = /([A-Za-z0-9_.-]+)[ \t]*=[ \t]*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))/g;

/**
 * The requirement of a `WWW-Authenticate` value when it is a Bearer step-up challenge (`error` is
 * {@link stepUpError}); `undefined` for any other challenge, or one longer than 2,048 characters.
 *
 * @example
 * readStepUpChallenge('Bearer error="insufficient_user_authentication", acr_values="urn:gatehouse:loa:2"')
 * // { acr_values: 'urn:gatehouse:loa:2' }
 */
export function readStepUpChallenge(header: string | undefined): StepUpRequirement | undefined {
  if (header === undefined || header.length > 2048 || !/^\s*Bearer\s/i.test(header)) return undefined;
  const params = new Map<string, string>();
  for (const [, name, quotedValue, token] of header.matchAll(AUTH_PARAM)) {
    const key = (name as string).toLowerCase();
    if (!params.has(key)) params.set(key, (quotedValue ?? token ?? '').replace(/\\(.)/g, '$1'));
  }
  if (params.get('error') !== stepUpError) return undefined;
  return stepUpRequirement(params.get('acr_values'), params.get('max_age')) ?? {};
}

/**
 * True when a sign-in of `level` meets `requirement` at `now` (epoch milliseconds): its `acr` is one of
 * `acr_values` (when asked) and it is at most `max_age` seconds old (when asked).
 *
 * @example
 * meetsRequirement({ acr: 'urn:gatehouse:loa:2', authTime: 1_700_000_000 }, { acr_values: 'urn:gatehouse:loa:2' }) // true
 */
export function meetsRequirement(
  level: AuthLevel,
  requirement: StepUpRequirement,
  now = Date.now(),
): boolean {
  const { acr_values, max_age } = requirement;
  if (acr_values !== undefined && !acr_values.split(' ').includes(level.acr ?? '')) return false;
  if (max_age === undefined) return true;
  return level.authTime !== undefined && now / 1000 - level.authTime <= max_age;
}

/**
 * A remote's action that waits for a re-authentication: left at the BFF (`POST /auth/pending`, bound to the
 * session, carried to the session the sign-in makes for the same user) and taken back once
 * (`DELETE /auth/pending/{remote}`) when the app is back. Its data never travels in a URL, a cookie or
 * browser storage.
 */
export interface PendingAction {
  /** The remote that left it (its manifest name); only that remote takes it back. */
  readonly remote: string;
  /** What the remote was doing (`place-order`, `save-billing`), in its own words. */
  readonly action: string;
  /** The unsent data the action needs (a form's fields), any JSON. */
  readonly data?: unknown;
}

/** Limits of a {@link PendingAction} on the wire. */
export const pendingActionLimits = {
  /** Bytes of the whole JSON body. */
  bytes: 16_384,
  /** Characters of `remote` and of `action`. */
  name: 64,
} as const;

/** The shape of `remote` and `action`: a letter, then letters, digits, `-`, `_` or `.`. */
export const pendingActionNamePattern = '^[A-Za-z][A-Za-z0-9._-]{0,63}$';

/** Where pending actions are left and taken back (`/{remote}` appended to take). */
export const pendingActionPath = '/auth/pending';
