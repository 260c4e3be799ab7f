export { isWellFormedSessionId, newOpaqueToken, newSessionId, SESSION_ID_LENGTH } from './ids.js';
export {
  MemorySessionStore,
  type MemorySessionStoreOptions,
  type MemorySessionStoreStats,
} from './memory-store.js';
export { RedisSessionStore, type RedisSessionStoreOptions } from './redis-store.js';
export type { LoginTransaction, SessionRecord, SessionStore, SessionTokens } from './types.js';
