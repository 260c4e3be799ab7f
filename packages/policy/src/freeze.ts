/**
 * Freezes `value` and everything reachable from it; returns it. Configuration, manifests and identities are
 * frozen once validated, so nothing downstream can change what was checked.
 *
 * @example
 * const identity = deepFreeze(structuredClone(json));
 * Object.isFrozen(identity.user.roles); // true
 */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
