/**
 * One answer, shared by the browser runtime and the BFF, to "does this text look like it carries a
 * credential?": the event bus refuses such a payload, the shell drops such a telemetry event, and the BFF
 * refuses such a telemetry batch. In linear time: the text may be long and chosen by an attacker.
 */

// base64url characters: A-Z a-z 0-9 - _
const isBase64url = (c: number) =>
  (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95;

/**
 * True when `text` holds a JWT's start: `eyJ` (a JSON object's `{"` in base64url), at least eight more
 * base64url characters, then the dot that ends a JOSE header. Random ids hold `eyJ` too (about one
 * 21-character nanoid in 3,000), never with the dot after a long run.
 *
 * One pass: every `eyJ` that starts inside a run ends where that run ends, with a shorter run and the same
 * character after it, so the scan moves on to the run's end instead of trying each start again.
 *
 * @example
 * hasJwtShape('see eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.x') // true
 * hasJwtShape('V1StGXR8_Z5jdHi6eyJ-mT')                    // false
 */
export function hasJwtShape(text: string): boolean {
  let at = text.indexOf('eyJ');
  while (at !== -1) {
    let end = at + 3;
    while (end < text.length && isBase64url(text.charCodeAt(end))) end++;
    if (end - at - 3 >= 8 && text.charCodeAt(end) === 46) return true;
    at = text.indexOf('eyJ', end);
  }
  return false;
}

// `Bearer` and a credential (RFC 6750's b64token, 16 characters or more: "the bearer of news" is not one), or
// a token or client secret given as a parameter. No nested quantifier, so no catastrophic backtracking.
const CREDENTIAL_WORDS =
  /\bbearer\s+[\w~+/.-]{16}|\b(?:access|refresh|id|logout)_token\s*[=:]|\bclient_secret\s*[=:]/i;

/**
 * True when `text` looks like it carries a credential: a JWT (see {@link hasJwtShape}), `Bearer <token>`, or
 * `access_token=` / `refresh_token=` / `id_token=` / `logout_token=` / `client_secret=` (or `:`). Words such
 * as "token" or "password" alone are fine: a route may be `/profile/password`.
 *
 * @example
 * looksLikeCredential('Bearer 2YotnFZFEjr1zCsicMWpAA') // true
 * looksLikeCredential('/orders?access_token=x') // true
 * looksLikeCredential('/profile/password')      // false
 */
export function looksLikeCredential(text: string): boolean {
  return hasJwtShape(text) || CREDENTIAL_WORDS.test(text);
}
