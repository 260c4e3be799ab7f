// The names of the Redis session store's keys, and which of them must share a hash slot on a Redis Cluster.
//
// A Lua script (and any multi-key command) may only touch keys of one hash slot on a cluster. The store's
// scripts touch a session with its index keys (and, through the index, the user's other sessions), and a
// pending login with the global list of pending logins. So keys form families, and on a cluster each family
// carries one hash tag (`{…}`: only that part of the name picks the slot):
//
//   family     single Redis (unchanged)        cluster                      touched together by
//   sessions   gh:s:<id>  gh:u:<h>  gh:o:<h>    {gh:}s:<id> {gh:}u:<h> …     create, delete, touch, deleteBy*
//   logins     gh:login:<binding>  gh:logins    {gh:login}login:<binding> …  putTransaction, takeTransaction
//   one key    gh:lock:<k> gh:once:<k> gh:hits:<k> gh:handoff:<k>            (spread over every slot)
//
// On one Redis the names stay exactly as they were, so instances of this version and older ones can share it
// during a rolling deploy. A family's keys all live on one primary (and its replicas): one slot holds every
// session, and a cluster buys failover and room for the single-key families, not more session memory than
// one primary has (about 1 KB per session: see docs/deploy-many-instances.md).
//
// The per-user index `u:<h>` is the one place that lists a user's sessions; a per-user operation (end them
// all, count them, list them) reads it in one script within the family's slot.

/** Key names of one store: `prefix` plus, on a cluster, the family's hash tag. */
export class RedisKeys {
  /** Prefix of the session family (sessions and their index keys); the Lua scripts get it as an argument. */
  readonly sessions: string;
  readonly #logins: string;
  readonly #prefix: string;

  constructor(prefix: string, clustered: boolean) {
    this.#prefix = prefix;
    this.sessions = clustered ? `{${prefix}}` : prefix;
    this.#logins = clustered ? `{${prefix}login}` : prefix;
  }

  /** `s:<id>`: one session. */
  session(id: string): string {
    return `${this.sessions}s:${id}`;
  }

  /** `u:<h>` (the user's sessions) or `o:<h>` (the OP session's), `h` the index hash in base64url. */
  index(kind: 'u:' | 'o:', hash: Buffer): string {
    return `${this.sessions}${kind}${hash.toString('base64url')}`;
  }

  /** The old layout's index set `sid:` or `sub:` (read and deleted, never written). */
  legacyIndex(kind: 'sid:' | 'sub:', issHash: string, value: string): string {
    return `${this.sessions}${kind}${issHash}:${value}`;
  }

  /** `login:<binding>` and `logins`, in that order (the keys of the login scripts). */
  logins(binding: string): string[] {
    return [`${this.#logins}login:${binding}`, `${this.#logins}logins`];
  }

  /** A key of a single-key family: `lock:`, `once:`, `hits:` or `handoff:`. */
  single(kind: 'lock:' | 'once:' | 'hits:' | 'handoff:', name: string): string {
    return `${this.#prefix}${kind}${name}`;
  }
}
