// The one behavioural contract every SessionStore must meet, run against each implementation.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../src/errors.js';
import { newOpaqueToken, newSessionId } from '../src/session/ids.js';
import type { LoginTransaction, SessionRecord, SessionStore, SessionTokens } from '../src/session/types.js';

/** How the suite lets time pass: real sleeping by default, or a fake clock the store reads. */
export interface ContractClock {
  advance(ms: number): Promise<void>;
}

const realClock: ContractClock = {
  advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

const T0 = 1_750_000_000_000;
const LONG = 60_000;
/** A TTL that runs out during a test: long enough that a loaded machine's Redis round trips don't outlast it. */
const SHORT = 300;

/** Every test gets its own issuer, so index keys never collide between tests sharing one Redis prefix. */
const newIssuer = (): string => `https://idp-${newOpaqueToken(16).toLowerCase()}.example`;

export function tokensFor(n: number): SessionTokens {
  return {
    accessToken: `at-${n}-${'a'.repeat(40)}`,
    accessTokenExpiresAt: T0 + 300_000 + n,
    refreshToken: `rt-${n}`,
    refreshTokenExpiresAt: T0 + 86_400_000,
    idToken: `it-${n}`,
    scope: 'openid profile',
  };
}

export function sessionRecord(fields: Partial<SessionRecord> & { iss: string; sub: string }): SessionRecord {
  return {
    user: {
      id: fields.sub,
      displayName: 'Zoë "Ω" O\'Brien \u2028</script>',
      roles: ['customer'],
      permissions: ['orders:view', 'profile:edit'],
      tenants: [
        { id: 'globex', roles: ['member'], permissions: ['users:view'] },
        { id: 'empty', roles: [], permissions: [] },
      ],
      locale: 'en-IN',
    },
    tokens: tokensFor(0),
    createdAt: T0,
    lastSeenAt: T0,
    absoluteExpiresAt: T0 + 8 * 3_600_000,
    ...fields,
  };
}

function loginTransaction(binding = newOpaqueToken()): LoginTransaction {
  return {
    binding,
    codeVerifier: newOpaqueToken(),
    nonce: newOpaqueToken(),
    returnTo: '/orders?x=1',
    createdAt: T0,
  };
}

/** Runs `mutate` and ignores a TypeError from a frozen object: either way the store must not change. */
function tryToMutate(mutate: () => void): void {
  try {
    mutate();
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
  }
}

const sorted = (ids: string[]): string[] => [...ids].sort();

/**
 * The shared contract suite of {@link SessionStore}. `makeStore` gives a fresh, connected store for each
 * test (closed after it); `clock` lets the suite move time forward (default: real sleeping, so keep the
 * store's clock real too).
 *
 * @example
 * sessionStoreContract('MemorySessionStore', async () => new MemorySessionStore());
 */
export function sessionStoreContract(
  name: string,
  makeStore: () => Promise<SessionStore>,
  clock: ContractClock = realClock,
): void {
  describe(`${name} meets the SessionStore contract`, () => {
    let store: SessionStore;
    let iss: string;

    beforeEach(async () => {
      store = await makeStore();
      iss = newIssuer();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('sessions', () => {
      it('reads back exactly what was stored', async () => {
        const id = newSessionId();
        const record = sessionRecord({ iss, sub: 'alice', sid: 'sid-1' });
        await store.create(id, record, LONG);
        expect(await store.get(id)).toEqual(record);
        const bare = sessionRecord({
          iss,
          sub: 'bob',
          tokens: { accessToken: 'x', accessTokenExpiresAt: T0 },
        });
        const bareId = newSessionId();
        await store.create(bareId, bare, LONG);
        expect(await store.get(bareId)).toEqual(bare);
      });

      it('answers undefined or false for an unknown id', async () => {
        const id = newSessionId();
        expect(await store.get(id)).toBeUndefined();
        expect(await store.updateTokens(id, tokensFor(1))).toBe(false);
        expect(await store.touch(id, T0, LONG)).toBe(false);
        expect(await store.delete(id)).toBe(false);
        expect(await store.deleteBySid(iss, 'nope')).toEqual([]);
        expect(await store.deleteBySub(iss, 'nope')).toEqual([]);
      });

      it('forgets a session after its TTL', async () => {
        const id = newSessionId();
        await store.create(id, sessionRecord({ iss, sub: 'alice' }), SHORT);
        expect(await store.get(id)).toBeDefined();
        await clock.advance(SHORT * 2.5);
        expect(await store.get(id)).toBeUndefined();
        expect(await store.delete(id)).toBe(false);
      });

      it('keeps a touched session past its first TTL', async () => {
        const id = newSessionId();
        await store.create(id, sessionRecord({ iss, sub: 'alice' }), 1_000);
        await clock.advance(600);
        expect(await store.touch(id, T0 + 600, 3_000)).toBe(true);
        await clock.advance(600);
        expect((await store.get(id))?.lastSeenAt).toBe(T0 + 600);
      });

      it('updateTokens replaces the tokens and keeps lastSeenAt', async () => {
        const id = newSessionId();
        await store.create(id, sessionRecord({ iss, sub: 'alice', lastSeenAt: T0 + 5 }), LONG);
        expect(await store.updateTokens(id, tokensFor(7))).toBe(true);
        const after = await store.get(id);
        expect(after?.tokens).toEqual(tokensFor(7));
        expect(after?.lastSeenAt).toBe(T0 + 5);
      });

      it('updateTokens with a user replaces the user too (identity refreshed), and keeps the rest', async () => {
        const id = newSessionId();
        const record = sessionRecord({ iss, sub: 'alice', sid: 'sid-u', lastSeenAt: T0 + 5 });
        await store.create(id, record, LONG);
        const user = { ...record.user, roles: [], permissions: [], tenants: [] };
        expect(await store.updateTokens(id, tokensFor(8), user)).toBe(true);
        expect(await store.get(id)).toEqual({ ...record, user, tokens: tokensFor(8) });
        expect(await store.updateTokens(id, tokensFor(9))).toBe(true);
        expect((await store.get(id))?.user).toEqual(user);
        expect(await store.deleteBySid(iss, 'sid-u')).toEqual([id]);
      });

      it('touch sets lastSeenAt and keeps the tokens', async () => {
        const id = newSessionId();
        await store.create(id, sessionRecord({ iss, sub: 'alice' }), LONG);
        await store.updateTokens(id, tokensFor(3));
        expect(await store.touch(id, T0 + 9, LONG)).toBe(true);
        const after = await store.get(id);
        expect(after?.tokens).toEqual(tokensFor(3));
        expect(after?.lastSeenAt).toBe(T0 + 9);
      });

      it('loses no update when updateTokens and touch run concurrently, 100 times', async () => {
        const id = newSessionId();
        await store.create(id, sessionRecord({ iss, sub: 'alice' }), LONG);
        for (let n = 1; n <= 100; n++) {
          const [updated, touched] = await Promise.all([
            store.updateTokens(id, tokensFor(n)),
            store.touch(id, T0 + n, LONG),
          ]);
          expect([updated, touched]).toEqual([true, true]);
          const after = await store.get(id);
          expect(after?.tokens.accessToken).toBe(tokensFor(n).accessToken);
          expect(after?.lastSeenAt).toBe(T0 + n);
        }
        // All at once as well: 100 touches while the updates run one after the other (as refreshes do: a
        // session's refreshes hold its lock). The last of each kind wins, neither erases the other.
        const updates = (async () => {
          for (let n = 0; n < 100; n++) await store.updateTokens(id, tokensFor(200 + n));
        })();
        await Promise.all([
          updates,
          ...Array.from({ length: 100 }, (_, n) => store.touch(id, T0 + 200 + n, LONG)),
        ]);
        const final = await store.get(id);
        expect(final?.tokens).toEqual(tokensFor(299));
        expect(final?.lastSeenAt).toBe(T0 + 299);
      });

      it('setActiveTenant sets and clears the active tenant, and keeps the rest', async () => {
        const id = newSessionId();
        const record = sessionRecord({ iss, sub: 'alice', sid: 'sid-t', lastSeenAt: T0 + 5 });
        await store.create(id, record, LONG);
        expect(await store.setActiveTenant(id, 'globex')).toBe(true);
        expect(await store.get(id)).toEqual({ ...record, activeTenant: 'globex' });
        expect(await store.updateTokens(id, tokensFor(4))).toBe(true);
        expect(await store.touch(id, T0 + 6, LONG)).toBe(true);
        expect(await store.get(id)).toEqual({
          ...record,
          activeTenant: 'globex',
          tokens: tokensFor(4),
          lastSeenAt: T0 + 6,
        });
        expect(await store.setActiveTenant(id, undefined)).toBe(true);
        expect(await store.get(id)).toEqual({ ...record, tokens: tokensFor(4), lastSeenAt: T0 + 6 });
        expect(await store.deleteBySid(iss, 'sid-t')).toEqual([id]);
        expect(await store.setActiveTenant(id, 'acme')).toBe(false);
        expect(await store.get(id)).toBeUndefined();
      });

      it('loses neither a tenant switch nor a token update when they run concurrently, 50 times', async () => {
        const id = newSessionId();
        await store.create(id, sessionRecord({ iss, sub: 'alice' }), LONG);
        for (let n = 1; n <= 50; n++) {
          const tenant = `tenant-${n}`;
          const [updated, switched] = await Promise.all([
            store.updateTokens(id, tokensFor(n)),
            store.setActiveTenant(id, tenant),
            store.touch(id, T0 + n, LONG),
          ]);
          expect([updated, switched]).toEqual([true, true]);
          const after = await store.get(id);
          expect(after?.tokens).toEqual(tokensFor(n));
          expect(after?.activeTenant).toBe(tenant);
          expect(after?.lastSeenAt).toBe(T0 + n);
        }
      });

      it('never resurrects a deleted session through updateTokens or touch', async () => {
        const id = newSessionId();
        await store.create(id, sessionRecord({ iss, sub: 'alice', sid: 's' }), LONG);
        expect(await store.delete(id)).toBe(true);
        expect(await store.delete(id)).toBe(false);
        expect(await store.updateTokens(id, tokensFor(1))).toBe(false);
        expect(await store.touch(id, T0 + 1, LONG)).toBe(false);
        expect(await store.get(id)).toBeUndefined();
      });

      it('never resurrects an expired session through updateTokens or touch', async () => {
        const id = newSessionId();
        await store.create(id, sessionRecord({ iss, sub: 'alice' }), SHORT);
        await clock.advance(SHORT * 2.5);
        expect(await store.updateTokens(id, tokensFor(1))).toBe(false);
        expect(await store.touch(id, T0 + 1, LONG)).toBe(false);
        expect(await store.get(id)).toBeUndefined();
      });

      it('removes index entries on delete', async () => {
        const id = newSessionId();
        await store.create(id, sessionRecord({ iss, sub: 'alice', sid: 's1' }), LONG);
        await store.delete(id);
        await store.create(id, sessionRecord({ iss, sub: 'bob', sid: 's2' }), LONG);
        expect(await store.deleteBySid(iss, 's1')).toEqual([]);
        expect(await store.deleteBySub(iss, 'alice')).toEqual([]);
        expect(await store.get(id)).toBeDefined();
      });

      it('re-indexes a session created again under the same id', async () => {
        const id = newSessionId();
        await store.create(id, sessionRecord({ iss, sub: 'alice', sid: 's1' }), LONG);
        await store.create(id, sessionRecord({ iss, sub: 'bob', sid: 's2' }), LONG);
        expect((await store.get(id))?.sub).toBe('bob');
        expect(await store.deleteBySub(iss, 'alice')).toEqual([]);
        expect(await store.deleteBySid(iss, 's1')).toEqual([]);
        expect(await store.deleteBySid(iss, 's2')).toEqual([id]);
      });

      it('deleteBySid and deleteBySub delete exactly the right sessions', async () => {
        const other = newIssuer();
        const [a1, a2, a3, b1, c1] = Array.from({ length: 5 }, newSessionId) as [
          string,
          string,
          string,
          string,
          string,
        ];
        await store.create(a1, sessionRecord({ iss, sub: 'alice', sid: 's1' }), LONG);
        await store.create(a2, sessionRecord({ iss, sub: 'alice', sid: 's2' }), LONG);
        await store.create(a3, sessionRecord({ iss, sub: 'alice' }), LONG);
        await store.create(b1, sessionRecord({ iss, sub: 'bob', sid: 's3' }), LONG);
        await store.create(c1, sessionRecord({ iss: other, sub: 'alice', sid: 's1' }), LONG);

        expect(await store.deleteBySid(iss, 's1')).toEqual([a1]);
        expect(await store.get(a1)).toBeUndefined();
        for (const id of [a2, a3, b1, c1]) expect(await store.get(id)).toBeDefined();

        expect(sorted(await store.deleteBySub(iss, 'alice'))).toEqual(sorted([a2, a3]));
        for (const id of [a2, a3]) expect(await store.get(id)).toBeUndefined();
        for (const id of [b1, c1]) expect(await store.get(id)).toBeDefined();

        // The indexes forgot what was deleted through the other index.
        expect(await store.deleteBySid(iss, 's2')).toEqual([]);
        expect(await store.deleteBySub(other, 'alice')).toEqual([c1]);
        expect(await store.deleteBySid(other, 's1')).toEqual([]);
        expect(await store.get(b1)).toBeDefined();
      });

      it('listBySub lists a user’s live sessions through the per-user index, oldest first, and no one else’s', async () => {
        const other = newIssuer();
        const [a1, a2, a3, b1, c1] = Array.from({ length: 5 }, newSessionId) as [
          string,
          string,
          string,
          string,
          string,
        ];
        await store.create(a1, sessionRecord({ iss, sub: 'alice', device: 'Firefox on Linux' }), LONG);
        await store.create(a2, sessionRecord({ iss, sub: 'alice', sid: 's2' }), LONG);
        await store.create(a3, sessionRecord({ iss, sub: 'alice' }), LONG);
        await store.create(b1, sessionRecord({ iss, sub: 'bob' }), LONG);
        await store.create(c1, sessionRecord({ iss: other, sub: 'alice' }), LONG);
        const listed = await store.listBySub(iss, 'alice');
        expect(listed.map((session) => session.id)).toEqual([a1, a2, a3]);
        expect(listed[0]?.record).toMatchObject({ sub: 'alice', device: 'Firefox on Linux' });
        await store.delete(a2);
        expect((await store.listBySub(iss, 'alice')).map((session) => session.id)).toEqual([a1, a3]);
        expect((await store.listBySub(other, 'alice')).map((session) => session.id)).toEqual([c1]);
        expect(await store.listBySub(iss, 'nobody')).toEqual([]);
        await store.deleteBySub(iss, 'alice');
        expect(await store.listBySub(iss, 'alice')).toEqual([]);
      });

      it('keeps a user within maxPerUser by ending their oldest sessions, answering them, and no one else’s', async () => {
        const limits = { maxPerUser: 3 };
        const bob = newSessionId();
        await store.create(bob, sessionRecord({ iss, sub: 'bob' }), LONG, limits);
        const ids = Array.from({ length: 6 }, newSessionId);
        const displaced: string[][] = [];
        for (const [n, id] of ids.entries()) {
          const record = sessionRecord({ iss, sub: 'alice', sid: `s${n}`, tokens: tokensFor(n) });
          const ended = await store.create(id, record, LONG, limits);
          displaced.push(ended.map((session) => session.id));
          // Each comes with its record, to revoke its refresh token.
          if (n >= 3) expect(ended[0]?.record?.tokens).toEqual(tokensFor(n - 3));
        }
        expect(displaced).toEqual([[], [], [], [ids[0]], [ids[1]], [ids[2]]]);
        for (const [n, id] of ids.entries()) expect((await store.get(id)) !== undefined).toBe(n >= 3);
        expect(await store.get(bob)).toBeDefined();
        // The ended sessions left both indexes.
        expect(await store.deleteBySid(iss, 's0')).toEqual([]);
        expect(sorted(await store.deleteBySub(iss, 'alice'))).toEqual(sorted(ids.slice(3)));
        expect(await store.get(bob)).toBeDefined();
      });

      it('ends as many as it takes under a lowered limit, and none without a limit', async () => {
        const ids = Array.from({ length: 4 }, newSessionId);
        for (const id of ids) {
          expect(await store.create(id, sessionRecord({ iss, sub: 'alice' }), LONG)).toEqual([]);
        }
        const next = newSessionId();
        const ended = await store.create(next, sessionRecord({ iss, sub: 'alice' }), LONG, { maxPerUser: 2 });
        expect(ended.map((session) => session.id)).toEqual(ids.slice(0, 3));
        expect(sorted(await store.deleteBySub(iss, 'alice'))).toEqual(sorted([ids[3] as string, next]));
      });

      it('counts neither expired sessions nor the id being created again', async () => {
        const limits = { maxPerUser: 2 };
        const [gone, kept, next] = [newSessionId(), newSessionId(), newSessionId()];
        await store.create(gone, sessionRecord({ iss, sub: 'alice' }), SHORT, limits);
        await store.create(kept, sessionRecord({ iss, sub: 'alice' }), LONG, limits);
        await clock.advance(SHORT * 2.5);
        expect(await store.create(next, sessionRecord({ iss, sub: 'alice' }), LONG, limits)).toEqual([]);
        expect(await store.create(kept, sessionRecord({ iss, sub: 'alice' }), LONG, limits)).toEqual([]);
        expect(await store.get(kept)).toBeDefined();
        expect(await store.get(next)).toBeDefined();
      });

      it('keeps exactly maxPerUser of 20 concurrent sign-ins of one user', async () => {
        const ids = Array.from({ length: 20 }, newSessionId);
        const ended = await Promise.all(
          ids.map((id) => store.create(id, sessionRecord({ iss, sub: 'alice' }), LONG, { maxPerUser: 5 })),
        );
        const endedIds = ended.flat().map((session) => session.id);
        expect(new Set(endedIds).size).toBe(15);
        const live: string[] = [];
        for (const id of ids) if (await store.get(id)) live.push(id);
        expect(live).toHaveLength(5);
        expect(live.filter((id) => endedIds.includes(id))).toEqual([]);
        expect(sorted(await store.deleteBySub(iss, 'alice'))).toEqual(sorted(live));
      });

      it('refuses a maxPerUser that is not a whole number ≥ 1 with a RangeError', async () => {
        for (const maxPerUser of [0, 2.5, -1]) {
          await expect(
            store.create(newSessionId(), sessionRecord({ iss, sub: 'alice' }), LONG, { maxPerUser }),
          ).rejects.toBeInstanceOf(RangeError);
        }
      });

      it('does not confuse issuer and subject when their texts run together', async () => {
        const base = newIssuer();
        const one = newSessionId();
        const two = newSessionId();
        await store.create(one, sessionRecord({ iss: base, sub: 'x:y', sid: 'p:q' }), LONG);
        await store.create(two, sessionRecord({ iss: `${base}:x`, sub: 'y', sid: 'q' }), LONG);
        expect(await store.deleteBySub(`${base}:x`, 'y')).toEqual([two]);
        expect(await store.deleteBySid(`${base}:p`, 'q')).toEqual([]);
        expect(await store.get(one)).toBeDefined();
      });

      it('does not report sessions that already expired as deleted', async () => {
        const gone = newSessionId();
        const live = newSessionId();
        await store.create(gone, sessionRecord({ iss, sub: 'alice', sid: 's1' }), SHORT);
        await store.create(live, sessionRecord({ iss, sub: 'alice', sid: 's1' }), LONG);
        await clock.advance(SHORT * 2.5);
        expect(await store.deleteBySub(iss, 'alice')).toEqual([live]);
        expect(await store.deleteBySid(iss, 's1')).toEqual([]);
      });

      it('is not changed through returned records or by later changes to its inputs', async () => {
        const id = newSessionId();
        const record = sessionRecord({ iss, sub: 'alice' });
        const input = structuredClone(record) as unknown as {
          tokens: { accessToken: string };
          user: { roles: string[] };
        };
        await store.create(id, input as unknown as SessionRecord, LONG);
        input.tokens.accessToken = 'changed by the caller';
        input.user.roles.push('admin');

        const got = await store.get(id);
        if (!got) throw new Error('session missing');
        tryToMutate(() => {
          (got.tokens as { accessToken: string }).accessToken = 'changed through get';
        });
        tryToMutate(() => {
          (got.user.roles as string[]).push('admin');
        });
        tryToMutate(() => {
          (got as { lastSeenAt: number }).lastSeenAt = 0;
        });

        const tokens = { ...tokensFor(4) };
        await store.updateTokens(id, tokens);
        tokens.accessToken = 'changed after updateTokens';
        expect(await store.get(id)).toEqual({ ...record, tokens: tokensFor(4) });
      });
    });

    describe('login transactions', () => {
      it('hands a transaction out once', async () => {
        const state = newOpaqueToken();
        const transaction = loginTransaction();
        expect(await store.putTransaction(state, transaction, LONG)).toBe(true);
        expect(await store.takeTransaction(state, transaction.binding)).toEqual(transaction);
        expect(await store.takeTransaction(state, transaction.binding)).toBeUndefined();
        expect(await store.takeTransaction(newOpaqueToken(), transaction.binding)).toBeUndefined();
      });

      it('gives a transaction to exactly one of 50 concurrent takers', async () => {
        const state = newOpaqueToken();
        const transaction = loginTransaction();
        await store.putTransaction(state, transaction, LONG);
        const taken = await Promise.all(
          Array.from({ length: 50 }, () => store.takeTransaction(state, transaction.binding)),
        );
        const winners = taken.filter((value) => value !== undefined);
        expect(winners).toEqual([transaction]);
      });

      it('hands a transaction only to its binding: another one neither gets nor spends it', async () => {
        const state = newOpaqueToken();
        const transaction = loginTransaction();
        await store.putTransaction(state, transaction, LONG);
        for (const other of [newOpaqueToken(), '', `${transaction.binding}x`, transaction.binding.slice(1)]) {
          expect(await store.takeTransaction(state, other)).toBeUndefined();
        }
        expect(await store.takeTransaction(state, transaction.binding)).toEqual(transaction);
      });

      it('forgets a transaction after its TTL', async () => {
        const state = newOpaqueToken();
        const transaction = loginTransaction();
        await store.putTransaction(state, transaction, SHORT);
        await clock.advance(SHORT * 2.5);
        expect(await store.takeTransaction(state, transaction.binding)).toBeUndefined();
      });

      it('is not changed by later changes to the stored transaction', async () => {
        const state = newOpaqueToken();
        const transaction = loginTransaction();
        const input = { ...transaction };
        await store.putTransaction(state, input, LONG);
        input.nonce = 'changed';
        expect(await store.takeTransaction(state, transaction.binding)).toEqual(transaction);
      });

      it('keeps at most perBinding logins of one binding, dropping its own oldest, never another’s', async () => {
        const limits = { perBinding: 3, total: 1_000 };
        const mine = newOpaqueToken();
        const theirs = loginTransaction();
        const theirState = newOpaqueToken();
        await store.putTransaction(theirState, theirs, LONG, limits);
        const states = Array.from({ length: 5 }, () => newOpaqueToken());
        for (const state of states) {
          expect(await store.putTransaction(state, loginTransaction(mine), LONG, limits)).toBe(true);
        }
        const kept = [];
        for (const state of states) kept.push((await store.takeTransaction(state, mine)) !== undefined);
        expect(kept).toEqual([false, false, true, true, true]);
        expect(await store.takeTransaction(theirState, theirs.binding)).toEqual(theirs);
      });

      it('refuses a new binding’s login when it holds total, evicting no pending one', async () => {
        const limits = { perBinding: 2, total: 3 };
        const pending = Array.from({ length: 3 }, () => ({
          state: newOpaqueToken(),
          transaction: loginTransaction(),
        }));
        for (const { state, transaction } of pending) {
          expect(await store.putTransaction(state, transaction, LONG, limits)).toBe(true);
        }
        const flood = Array.from({ length: 20 }, () => newOpaqueToken());
        for (const state of flood) {
          expect(await store.putTransaction(state, loginTransaction(), LONG, limits)).toBe(false);
        }
        // A browser already at its own limit may replace its oldest: the count does not grow.
        const [first] = pending as [(typeof pending)[0]];
        const again = newOpaqueToken();
        const second = newOpaqueToken();
        expect(
          await store.putTransaction(second, loginTransaction(first.transaction.binding), LONG, limits),
        ).toBe(false);
        expect(await store.putTransaction(again, first.transaction, LONG, { ...limits, perBinding: 1 })).toBe(
          true,
        );
        expect(await store.takeTransaction(first.state, first.transaction.binding)).toBeUndefined();
        expect(await store.takeTransaction(again, first.transaction.binding)).toEqual(first.transaction);
        for (const { state, transaction } of pending.slice(1)) {
          expect(await store.takeTransaction(state, transaction.binding)).toEqual(transaction);
        }
        for (const state of flood) expect(await store.takeTransaction(state, '')).toBeUndefined();
        // Taken logins free their room.
        expect(await store.putTransaction(newOpaqueToken(), loginTransaction(), LONG, limits)).toBe(true);
      });

      it('counts only live logins towards total', async () => {
        const limits = { perBinding: 5, total: 2 };
        for (let n = 0; n < 2; n++)
          await store.putTransaction(newOpaqueToken(), loginTransaction(), SHORT, limits);
        expect(await store.putTransaction(newOpaqueToken(), loginTransaction(), LONG, limits)).toBe(false);
        await clock.advance(SHORT * 2.5);
        const state = newOpaqueToken();
        const transaction = loginTransaction();
        expect(await store.putTransaction(state, transaction, LONG, limits)).toBe(true);
        expect(await store.takeTransaction(state, transaction.binding)).toEqual(transaction);
      });

      it('keeps exactly perBinding of 30 concurrent logins of one browser', async () => {
        const limits = { perBinding: 4, total: 1_000 };
        const binding = newOpaqueToken();
        const states = Array.from({ length: 30 }, () => newOpaqueToken());
        const stored = await Promise.all(
          states.map((state) => store.putTransaction(state, loginTransaction(binding), LONG, limits)),
        );
        expect(stored.every(Boolean)).toBe(true);
        const taken = await Promise.all(states.map((state) => store.takeTransaction(state, binding)));
        expect(taken.filter((value) => value !== undefined)).toHaveLength(4);
      });

      it('refuses limits that are not whole numbers ≥ 1 with a RangeError', async () => {
        for (const limits of [{ perBinding: 0, total: 5 }, { perBinding: 2, total: 1.5 }, {} as never]) {
          await expect(
            store.putTransaction(newOpaqueToken(), loginTransaction(), LONG, limits),
          ).rejects.toBeInstanceOf(RangeError);
        }
      });
    });

    describe('locks', () => {
      it('lets exactly one of 50 concurrent acquirers win', async () => {
        const key = `refresh:${newOpaqueToken()}`;
        const owners = Array.from({ length: 50 }, () => newOpaqueToken());
        const results = await Promise.all(owners.map((owner) => store.acquireLock(key, owner, LONG)));
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('is released only by its owner', async () => {
        const key = `refresh:${newOpaqueToken()}`;
        const [owner, other] = [newOpaqueToken(), newOpaqueToken()];
        expect(await store.acquireLock(key, owner, LONG)).toBe(true);
        expect(await store.releaseLock(key, other)).toBe(false);
        expect(await store.acquireLock(key, other, LONG)).toBe(false);
        expect(await store.releaseLock(key, owner)).toBe(true);
        expect(await store.releaseLock(key, owner)).toBe(false);
        expect(await store.acquireLock(key, other, LONG)).toBe(true);
      });

      it('is freed by its expiry, and the old owner cannot release the new one', async () => {
        const key = `refresh:${newOpaqueToken()}`;
        const [owner, next] = [newOpaqueToken(), newOpaqueToken()];
        expect(await store.acquireLock(key, owner, SHORT)).toBe(true);
        await clock.advance(SHORT * 2.5);
        expect(await store.acquireLock(key, next, LONG)).toBe(true);
        expect(await store.releaseLock(key, owner)).toBe(false);
        expect(await store.releaseLock(key, next)).toBe(true);
      });
    });

    describe('markOnce', () => {
      it('answers true the first time, false while remembered, true again after expiry', async () => {
        const key = `jti:${newOpaqueToken()}`;
        expect(await store.markOnce(key, SHORT)).toBe(true);
        expect(await store.markOnce(key, SHORT)).toBe(false);
        expect(await store.markOnce(`${key}x`, SHORT)).toBe(true);
        await clock.advance(SHORT * 2.5);
        expect(await store.markOnce(key, LONG)).toBe(true);
        expect(await store.markOnce(key, LONG)).toBe(false);
      });

      it('answers true to exactly one of 50 concurrent marks', async () => {
        const key = `jti:${newOpaqueToken()}`;
        const results = await Promise.all(Array.from({ length: 50 }, () => store.markOnce(key, LONG)));
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('countHit', () => {
      it('counts hits in a window that starts with the first, and starts again after it', async () => {
        const key = `GET /auth/login ${newOpaqueToken(16)}`;
        const counts = [];
        for (let n = 0; n < 3; n++) counts.push(await store.countHit(key, SHORT));
        expect(counts.map((hit) => hit.count)).toEqual([1, 2, 3]);
        for (const hit of counts) {
          expect(hit.resetInMs).toBeGreaterThan(0);
          expect(hit.resetInMs).toBeLessThanOrEqual(SHORT);
        }
        expect((await store.countHit(`${key}x`, SHORT)).count).toBe(1);
        await clock.advance(SHORT * 2.5);
        expect((await store.countHit(key, LONG)).count).toBe(1);
        expect((await store.countHit(key, LONG)).count).toBe(2);
      });

      it('gives each of 50 concurrent hits a count of its own', async () => {
        const key = `hits ${newOpaqueToken(16)}`;
        const hits = await Promise.all(Array.from({ length: 50 }, () => store.countHit(key, LONG)));
        expect(hits.map((hit) => hit.count).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 50 }, (_, n) => n + 1),
        );
      });
    });

    describe('handoffs', () => {
      it('are taken once, expire, and are replaced by a later put of the same key', async () => {
        const key = `logout:${newOpaqueToken()}`;
        await store.putHandoff(key, 'first', LONG);
        await store.putHandoff(key, 'second', LONG);
        expect(await store.takeHandoff(key)).toBe('second');
        expect(await store.takeHandoff(key)).toBeUndefined();
        await store.putHandoff(key, 'later', SHORT);
        await clock.advance(SHORT * 2.5);
        expect(await store.takeHandoff(key)).toBeUndefined();
        expect(await store.takeHandoff(`never:${newOpaqueToken()}`)).toBeUndefined();
      });

      it('are read without being taken, until they expire or are taken', async () => {
        const key = `ended:${newOpaqueToken()}`;
        expect(await store.readHandoff(key)).toBeUndefined();
        await store.putHandoff(key, 'note', SHORT);
        expect(await store.readHandoff(key)).toBe('note');
        expect(await store.readHandoff(key)).toBe('note');
        expect(await store.takeHandoff(key)).toBe('note');
        expect(await store.readHandoff(key)).toBeUndefined();
        await store.putHandoff(key, 'again', SHORT);
        await clock.advance(SHORT * 2.5);
        expect(await store.readHandoff(key)).toBeUndefined();
      });

      it('give a value to exactly one of 20 concurrent takes', async () => {
        const key = `logout:${newOpaqueToken()}`;
        await store.putHandoff(key, 'once', LONG);
        const taken = await Promise.all(Array.from({ length: 20 }, () => store.takeHandoff(key)));
        expect(taken.filter((value) => value === 'once')).toHaveLength(1);
      });

      it('refuse a value over 16 KB with a RangeError, keeping nothing', async () => {
        const key = `logout:${newOpaqueToken()}`;
        await expect(store.putHandoff(key, 'x'.repeat(16 * 1024 + 1), LONG)).rejects.toBeInstanceOf(
          RangeError,
        );
        await expect(store.putHandoff(key, 'x', 0)).rejects.toBeInstanceOf(RangeError);
        expect(await store.takeHandoff(key)).toBeUndefined();
      });
    });

    describe('arguments and lifecycle', () => {
      it('rejects a TTL that is not a positive number with a RangeError', async () => {
        const id = newSessionId();
        const record = sessionRecord({ iss, sub: 'alice' });
        await expect(store.create(id, record, 0)).rejects.toBeInstanceOf(RangeError);
        await expect(store.create(id, record, Number.NaN)).rejects.toBeInstanceOf(RangeError);
        await expect(store.markOnce('k', -5)).rejects.toBeInstanceOf(RangeError);
        await expect(store.countHit('k', 0)).rejects.toBeInstanceOf(RangeError);
        expect(await store.get(id)).toBeUndefined();
      });

      it('rejects every call after close with StoreUnavailableError', async () => {
        const id = newSessionId();
        await store.create(id, sessionRecord({ iss, sub: 'alice' }), LONG);
        await store.close();
        const calls: Promise<unknown>[] = [
          store.create(newSessionId(), sessionRecord({ iss, sub: 'alice' }), LONG),
          store.get(id),
          store.updateTokens(id, tokensFor(1)),
          store.touch(id, T0, LONG),
          store.delete(id),
          store.deleteBySid(iss, 's'),
          store.deleteBySub(iss, 'alice'),
          store.putTransaction('s', loginTransaction(), LONG),
          store.takeTransaction('s', 'b'),
          store.acquireLock('k', 'o', LONG),
          store.releaseLock('k', 'o'),
          store.markOnce('k', LONG),
          store.countHit('k', LONG),
        ];
        for (const call of calls) await expect(call).rejects.toBeInstanceOf(StoreUnavailableError);
        await store.close();
      });
    });
  });
}
