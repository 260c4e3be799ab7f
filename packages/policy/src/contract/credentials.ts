/**
 * One answer, shared by the browser runtime and the BFF, to "does this text look like it carries a
 * credential?": the event bus refuses such a payload, the shell drops such a telemetry event, and the BFF
 * refuses such a telemetry batch. In linear time: the text may be long and chosen by an attacker.
 */

/**
 * True when `text` holds a JWT's start: `eyJ` (a JSON object's `{"` in base64url), at least eight more
 * base64url characters, then the dot that ends a JOSE header. Random ids hold `eyJ` too (about one
 * 21-character nanoid in 3,000), never with the dot after a long run.
 *
 * One pass: an `eyJ` runs on to the end of the run of base64url characters it is in, so each run is read
 * once, and only a run followed by a dot is searched for an `eyJ` with eight characters after it (a bounded
 * look at each `eyJ`).
 *
 * @example
 * hasJwtShape('see eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.x') // true
 * hasJwtShape('V1StGXR8_Z5jdHi6eyJ-mT')                    // false
 */
export function hasJwtShape(text: string): boolean {
  // `\w` and `-`: the base64url alphabet.
  for (const { 0: run, index } of text.matchAll(/[\w-]+/g))
    if (text[index + run.length] === '.' && /eyJ[\w-]{8}/.test(run)) return true;
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
