import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  /** Epoch milliseconds; `Infinity` when the model has no expiry. */
  expiresAt: number;
}

/** Models whose entries belong to a grant and die with it (`revokeByGrantId`). */
const grantable = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

const SWEEP_INTERVAL_MS = 60_000;

/**
 * One in-memory store per dev IdP instance. oidc-provider's own memory adapter shares one module-wide LRU of
 * 1000 entries between every provider of the process, which evicts live tokens under load (benchmarks) and
 * mixes the state of the parallel IdPs that tests start; this one keeps each instance apart and evicts only
 * expired entries.
 */
export function createMemoryAdapter(clockToleranceSeconds: number): AdapterFactory {
  const entries = new Map<string, Entry>();
  const sessionUids = new Map<string, string>();
  const userCodes = new Map<string, string>();
  const grants = new Map<string, Set<string>>();
  let lastSweep = Date.now();

  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      remove(key);
      return undefined;
    }
    return entry;
  };

  const remove = (key: string) => {
    const entry = entries.get(key);
    entries.delete(key);
    if (!entry) return;
    const { uid, userCode, grantId } = entry.payload;
    if (uid && sessionUids.get(uid) === key) sessionUids.delete(uid);
    if (userCode && userCodes.get(userCode) === key) userCodes.delete(userCode);
    if (grantId) grants.get(grantId)?.delete(key);
  };

  const sweep = () => {
    const now = Date.now();
    if (now - lastSweep < SWEEP_INTERVAL_MS) return;
    lastSweep = now;
    for (const [key, entry] of entries) if (entry.expiresAt <= now) remove(key);
    for (const [grantId, members] of grants) if (members.size === 0) grants.delete(grantId);
  };

  return (model: string): Adapter => {
    const keyFor = (id: string) => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        sweep();
        const key = keyFor(id);
        remove(key);
        const expiresAt =
          typeof expiresIn === 'number' ? Date.now() + (expiresIn + clockToleranceSeconds) * 1000 : Infinity;
        entries.set(key, { payload, expiresAt });
        if (model === 'Session' && payload.uid) sessionUids.set(payload.uid, key);
        if (payload.userCode) userCodes.set(payload.userCode, key);
        if (grantable.has(model) && payload.grantId) {
          let members = grants.get(payload.grantId);
          if (!members) {
            members = new Set();
            grants.set(payload.grantId, members);
          }
          members.add(key);
        }
      },
      async find(id) {
        return live(keyFor(id))?.payload;
      },
      async findByUid(uid) {
        const key = sessionUids.get(uid);
        return key ? live(key)?.payload : undefined;
      },
      async findByUserCode(userCode) {
        const key = userCodes.get(userCode);
        return key ? live(key)?.payload : undefined;
      },
      async consume(id) {
        const entry = live(keyFor(id));
        if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        remove(keyFor(id));
      },
      async revokeByGrantId(grantId) {
        const members = grants.get(grantId);
        if (!members) return;
        grants.delete(grantId);
        for (const key of members) remove(key);
      },
    };
  };
}
