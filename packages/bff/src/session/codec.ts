// Private helpers shared by the session stores: checks on what comes back from storage, frozen copies,
// and option validation. Not exported from the package.
import { deepFreeze, type IdentityUser, type LoginPrompt, loginPrompts } from '@gatehouse/policy';
import { BffError } from '../errors.js';
import {
  DEFAULT_TRANSACTION_LIMITS,
  type LoginTransaction,
  type ResourceToken,
  type SessionLimits,
  type SessionRecord,
  type SessionTokens,
  type TransactionLimits,
} from './types.js';

/** A session record minus the two parts that change on their own: tokens and `lastSeenAt`. */
export type SessionBody = Omit<SessionRecord, 'tokens' | 'lastSeenAt'>;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isOptional = (value: unknown, check: (value: unknown) => boolean): boolean =>
  value === undefined || check(value);
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);

/** Parses JSON, answering `undefined` instead of throwing on a corrupt value. */
export function parseJson(text: string | null | undefined): unknown {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isIdentityUser(value: unknown): value is IdentityUser {
  return (
    isObject(value) &&
    isString(value.id) &&
    isString(value.displayName) &&
    isStringArray(value.roles) &&
    isStringArray(value.permissions) &&
    Array.isArray(value.tenants) &&
    value.tenants.every(
      (tenant) =>
        isObject(tenant) &&
        isString(tenant.id) &&
        isStringArray(tenant.roles) &&
        isStringArray(tenant.permissions),
    ) &&
    isOptional(value.locale, isString) &&
    isOptional(value.currency, isString)
  );
}

/** True when `value` has the shape of {@link SessionTokens}. */
export function isSessionTokens(value: unknown): value is SessionTokens {
  return (
    isObject(value) &&
    isString(value.accessToken) &&
    isTime(value.accessTokenExpiresAt) &&
    isOptional(value.refreshAt, isTime) &&
    isOptional(value.refreshToken, isString) &&
    isOptional(value.refreshTokenExpiresAt, isTime) &&
    isOptional(value.idToken, isString) &&
    isOptional(value.scope, isString) &&
    isOptional(value.resources, isResourceTokens)
  );
}

/** True when `value` maps resource indicators to {@link ResourceToken}s. */
function isResourceTokens(value: unknown): value is Readonly<Record<string, ResourceToken>> {
  return (
    isObject(value) &&
    Object.values(value).every(
      (token) =>
        isObject(token) &&
        isString(token.accessToken) &&
        isTime(token.accessTokenExpiresAt) &&
        isTime(token.refreshAt),
    )
  );
}

/** True when `value` has the shape of a {@link SessionBody}. */
export function isSessionBody(value: unknown): value is SessionBody {
  return (
    isObject(value) &&
    isString(value.iss) &&
    isString(value.sub) &&
    isOptional(value.sid, isString) &&
    isIdentityUser(value.user) &&
    isTime(value.createdAt) &&
    isTime(value.absoluteExpiresAt) &&
    isOptional(value.device, isString) &&
    isOptional(value.activeTenant, isString)
  );
}

const isLoginPrompt = (value: unknown): value is LoginPrompt =>
  loginPrompts.some((prompt) => prompt === value);
const isMaxAge = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0;

/** True when `value` has the shape of a {@link LoginTransaction}. */
export function isLoginTransaction(value: unknown): value is LoginTransaction {
  return (
    isObject(value) &&
    isString(value.binding) &&
    isString(value.codeVerifier) &&
    isString(value.nonce) &&
    isString(value.returnTo) &&
    isTime(value.createdAt) &&
    isOptional(value.prompt, isLoginPrompt) &&
    isOptional(value.maxAge, isMaxAge) &&
    isOptional(value.acrValues, isStringArray)
  );
}

/** A frozen deep copy of `value`, so later changes on either side cannot reach the other. */
export const frozenCopy = <T>(value: T): T => deepFreeze(structuredClone(value));

/** Checks a TTL argument and answers it as whole milliseconds (Redis `PX` needs an integer). */
export function ttlMillis(ttlMs: number, method: string): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs < 1) {
    throw new RangeError(`${method}: ttlMs must be a finite number ≥ 1, got ${String(ttlMs)}`);
  }
  return Math.ceil(ttlMs);
}

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1;

/** Checks `putTransaction`'s limits (whole numbers ≥ 1), answering the defaults when none are given. */
export function transactionLimits(limits: TransactionLimits | undefined): TransactionLimits {
  if (limits === undefined) return DEFAULT_TRANSACTION_LIMITS;
  if (!isCount(limits?.perBinding) || !isCount(limits.total)) {
    throw new RangeError('putTransaction: limits.perBinding and limits.total must be whole numbers ≥ 1');
  }
  return limits;
}

/** Checks `create`'s limit: the most sessions per user, a whole number ≥ 1, or none (`undefined`). */
export function sessionLimit(limits: SessionLimits | undefined): number | undefined {
  if (limits === undefined) return undefined;
  if (!isCount(limits?.maxPerUser))
    throw new RangeError('create: limits.maxPerUser must be a whole number ≥ 1');
  return limits.maxPerUser;
}

/** Collects every problem in a store's options, then throws them all at once as `GH_BFF_CONFIG_INVALID`. */
export class OptionProblems {
  readonly #problems: string[] = [];
  readonly #where: string;

  constructor(where: string, options: object, known: readonly string[]) {
    this.#where = where;
    for (const key of Object.keys(options)) {
      if (!known.includes(key)) this.#problems.push(`unknown option "${key}"`);
    }
  }

  /** Checks an optional whole number in `[min, max]`; answers it or `fallback`. */
  integer(name: string, value: unknown, fallback: number, min: number, max: number): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.#problems.push(`"${name}" must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return value;
  }

  add(problem: string): void {
    this.#problems.push(problem);
  }

  /** Throws when anything was wrong. */
  done(): void {
    if (this.#problems.length === 0) return;
    throw new BffError(
      'GH_BFF_CONFIG_INVALID',
      `${this.#where}: invalid options: ${this.#problems.join('; ')}`,
      { status: 500, problem: 'internal' },
    );
  }
}

/** The largest handoff value a store keeps (a handoff carries a hint or a code, never a page). */
export const MAX_HANDOFF_BYTES = 16 * 1024;

/** `value` when it fits a handoff; a programming error (like a bad TTL) otherwise. */
export function handoffValue(value: string): string {
  if (typeof value !== 'string' || Buffer.byteLength(value) > MAX_HANDOFF_BYTES)
    throw new RangeError(`putHandoff: the value must be a string of at most ${MAX_HANDOFF_BYTES} bytes`);
  return value;
}
