import { deepFreeze, type IdentityContext, type LogoutReason, looksLikeCredential } from '@gatehouse/policy';
import { RemoteError } from './errors.js';

export type { LogoutReason };

/**
 * The auth events of docs/http-contract.md#shell-events, with their payloads, plus `auth:session-expiring`. Only the shell emits
 * them; a remote that tries gets `GH_REMOTE_RESERVED_EVENT`.
 */
export interface AuthEventMap {
  /** Someone signed in (in this tab or another one). */
  'auth:logged-in': { readonly userId: string };
  /** The session ended; clear everything you hold of the user. */
  'auth:logged-out': { readonly reason: LogoutReason };
  /** The session expired (idle or absolute timeout, or an API answered 401). */
  'auth:session-expired': Readonly<Record<string, never>>;
  /** Who the user is, or what they may do, changed. */
  'auth:identity-changed': { readonly identity: IdentityContext };
  /** The session ends at `expiresAt` unless extended (`shell.extend()`). */
  'auth:session-expiring': { readonly expiresAt: string };
}

/** An event name: `<namespace>:<name>` (`auth:logged-out`, `cart:updated`). */
export type EventType = `${string}:${string}`;

/** The payload of an event: typed for `auth:*`, any JSON data for the others. */
export type EventPayload<T extends EventType> = T extends keyof AuthEventMap ? AuthEventMap[T] : unknown;

/** A listener; it receives a deep-frozen copy of the payload. */
export type EventListener<T extends EventType> = (payload: EventPayload<T>) => void;

/**
 * The event bus shared by the shell and its remotes. Payloads are JSON data, copied and deep-frozen for each
 * emit; a payload that looks like it holds a credential is refused (see {@link findSecret}).
 */
export interface EventBus {
  /** Listens to `type`; returns the function that stops listening. */
  on<T extends EventType>(type: T, listener: EventListener<T>): () => void;
  /**
   * Delivers `payload` to every listener of `type`, synchronously. Throws `GH_REMOTE_TOKEN_IN_EVENT` (nothing
   * delivered) when the payload holds a token-looking value, `GH_REMOTE_BAD_EVENT` for a malformed name or a
   * payload that is not JSON data.
   */
  emit<T extends EventType>(
    type: T,
    ...payload: T extends keyof AuthEventMap ? [AuthEventMap[T]] : [unknown?]
  ): void;
}

/** Options of {@link createEventBus}. */
export interface EventBusOptions {
  /** Told about every refused emit (the shell sends it to telemetry); never receives the payload. */
  readonly onRefused?: (type: string, error: RemoteError) => void;
}

/**
 * Where `value` seems to hold a credential, or `undefined`. Looks at every key and string at any depth: keys
 * like `token`, `accessToken`, `secret`, `password`, `authorization`, `cookie`, `apiKey`, `sessionId`; values
 * that look like a credential by `looksLikeCredential` of `@gatehouse/policy` (a JWT's start anywhere in them,
 * `Bearer <token>`, `access_token=…`), checked in linear time. Names the key, never the value.
 *
 * @example
 * findSecret({ order: { id: 'order_1' } })                 // undefined
 * findSecret({ user: { accessToken: 'abc' } })             // 'key "accessToken"'
 * findSecret(['see eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.x']) // 'value of "0"'
 */
export function findSecret(value: unknown): string | undefined {
  let found: string | undefined;
  try {
    JSON.stringify(value, (key, v: unknown) => {
      found ??= looksLikeCredential(key)
        ? 'a key'
        : // A key that names a credential.
          /token|secret|passw|authorization|cookie|credential|api.?key|session.?id|^sid$/i.test(key)
          ? `key "${key}"`
          : typeof v === 'string' && looksLikeCredential(v)
            ? key
              ? `value of "${key}"`
              : 'value'
            : undefined;
      return found ? undefined : v;
    });
  } catch {
    // Not JSON data (a cycle, a BigInt): the bus refuses it for that reason.
  }
  return found;
}

/**
 * The bus. The shell creates one per page and hands each mounted remote a {@link scopeEventBus} view of it.
 *
 * @example
 * const bus = createEventBus();
 * const off = bus.on('auth:logged-out', ({ reason }) => clearCache(reason));
 * bus.emit('auth:logged-out', { reason: 'user_action' });
 * bus.emit('cart:updated', { accessToken: 'eyJ…' }); // throws GH_REMOTE_TOKEN_IN_EVENT
 */
export function createEventBus(options: EventBusOptions = {}): EventBus {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const refuse = (type: string, code: 'GH_REMOTE_BAD_EVENT' | 'GH_REMOTE_TOKEN_IN_EVENT', why: string) => {
    const error = new RemoteError(code, `event ${type} refused: ${why}`);
    options.onRefused?.(type, error);
    throw error;
  };
  return {
    on(type, listener) {
      const set = listeners.get(type) ?? new Set();
      listeners.set(type, set);
      const entry = (payload: unknown) => listener(payload as never);
      set.add(entry);
      return () => {
        set.delete(entry);
      };
    },
    emit(type: string, payload: unknown = {}) {
      const secret = findSecret(payload);
      if (secret) refuse(type, 'GH_REMOTE_TOKEN_IN_EVENT', `${secret} looks like a credential`);
      let copy: unknown;
      try {
        if (!/^[a-z][\w-]*:[\w-]+$/i.test(type)) throw type; // not <ns>:<name>
        copy = deepFreeze(JSON.parse(JSON.stringify(payload)));
      } catch {
        refuse(String(type).slice(0, 40), 'GH_REMOTE_BAD_EVENT', 'not <ns>:<name> with JSON data');
      }
      for (const listener of [...(listeners.get(type) ?? [])]) {
        try {
          listener(copy);
        } catch (error) {
          // One failing listener must not stop the others, nor the emitter: report it like EventTarget does.
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    },
  };
}

/**
 * The view of `bus` that one mounted remote gets: emitting `auth:*` is refused (`GH_REMOTE_RESERVED_EVENT`),
 * and `dispose()` removes every listener the remote added, so a remote that forgets to unsubscribe does not
 * leak after unmount.
 *
 * @example
 * const scoped = scopeEventBus(bus);
 * scoped.bus.emit('auth:logged-out', { reason: 'x' }); // throws: only the shell emits auth events
 * scoped.dispose();
 */
export function scopeEventBus(bus: EventBus): { readonly bus: EventBus; dispose(): void } {
  const offs = new Set<() => void>();
  return {
    bus: Object.freeze<EventBus>({
      on(type, listener) {
        const off = bus.on(type, listener);
        offs.add(off);
        return () => {
          offs.delete(off);
          off();
        };
      },
      emit(type: EventType, payload?: unknown) {
        if (type.startsWith('auth:'))
          throw new RemoteError('GH_REMOTE_RESERVED_EVENT', `only the shell emits ${type}`);
        (bus.emit as (type: EventType, payload?: unknown) => void)(type, payload);
      },
    }),
    dispose() {
      for (const off of offs) off();
      offs.clear();
    },
  };
}
