export { isWellFormedSessionId, newOpaqueToken, newSessionId, SESSION_ID_LENGTH } from './ids.js';
export {
  MemorySessionStore,
  type MemorySessionStoreOptions,
  type MemorySessionStoreStats,
} from './memory-store.js';
export { RedisSessionStore, type RedisSessionStoreOptions } from './redis-store.js';
export {
  DEFAULT_TRANSACTION_LIMITS,
  type DisplacedSession,
  type HitCount,
  type LoginTransaction,
  type SessionLimits,
  type SessionRecord,
  type SessionStore,
  type SessionTokens,
  type TransactionLimits,
} from './types.js';
