import { decodeProtectedHeader } from 'jose';

/** `eyJ…` runs with at least one dot: where a JWS or JWE in compact form could be. */
const CANDIDATE = /eyJ[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*)+/g;

/**
 * The JWTs (JWS or JWE, compact form, whole or from the header on) found in `text`: runs shaped `eyJ….…` whose
 * first part decodes to a JSON object, as every JOSE header does. A random opaque value that happens to hold
 * `eyJ` and a dot (a signed cookie `<random>.<mac>` does, about once in 6,000) is not one: the shape alone
 * would make a leak check fail by chance.
 *
 * @example
 * findJwts(`a=${await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).sign(key)}`) // [the token]
 * findJwts('gh=q8eyJ4kTmR2wz.Zx1a')                                                      // []
 */
export function findJwts(text: string): string[] {
  return [...text.matchAll(CANDIDATE)]
    .map(([candidate]) => candidate)
    .filter((candidate) => {
      try {
        // jose reads a header from a whole compact token only (3 or 5 parts): give it the first part as one.
        decodeProtectedHeader(`${candidate.slice(0, candidate.indexOf('.'))}..`);
        return true;
      } catch {
        return false;
      }
    });
}
