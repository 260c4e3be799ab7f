// The compact form of a session in Redis (format version 1): exact round trips whatever the record holds,
// and the header the Lua scripts rely on.
import { aliceUser } from '@gatehouse/testing/roles';
import fc from 'fast-check';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { newSessionId } from '../src/session/ids.js';
import {
  decodeSession,
  encodeSession,
  encodeTime,
  indexHash,
  LAST_SEEN_AT_OFFSET,
  sessionGuard,
} from '../src/session/redis-codec.js';
import type { SessionRecord } from '../src/session/types.js';
import { sessionRecord } from './session-store.contract.js';

const iss = 'http://localhost:36801';

/** An RS256 access token shaped like the dev IdP's (RFC 9068 `at+jwt`, 2048-bit key). */
async function rs256AccessToken(audience = 'urn:gatehouse:shop'): Promise<string> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = `dev-rs256-${(await exportJWK(publicKey)).n?.slice(0, 12)}`;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    roles: ['customer'],
    tenants: [],
    jti: newSessionId(),
    sub: 'user_alice',
    scope: 'openid profile email',
    client_id: 'gatehouse-bff',
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid })
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .setIssuer(iss)
    .setAudience(audience)
    .sign(privateKey);
}

function realRecord(accessToken: string): SessionRecord {
  const now = Date.now();
  return {
    iss,
    sub: 'user_alice',
    sid: newSessionId(),
    user: aliceUser,
    createdAt: now,
    absoluteExpiresAt: now + 8 * 3_600_000,
    tokens: {
      accessToken,
      accessTokenExpiresAt: now + 300_000,
      refreshToken: newSessionId(),
      refreshTokenExpiresAt: now + 8 * 3_600_000,
      scope: 'openid profile email',
    },
    lastSeenAt: now,
  };
}

describe('the compact session codec (format version 1)', () => {
  it('round-trips a session with a real RS256 access token in about 600 bytes', async () => {
    const accessToken = await rs256AccessToken();
    expect(accessToken.length).toBeGreaterThan(700);
    const record = realRecord(accessToken);
    const value = encodeSession(record);
    expect(decodeSession(value)).toEqual(record);
    // Below 635 bytes the value fits jemalloc's 640-byte class: that is what keeps a session under 1 KB.
    expect(value.length).toBeLessThanOrEqual(634);
    expect(value.length).toBeLessThan(JSON.stringify(record).length / 2);
  });

  it('round-trips a session with six audiences (RFC 8707) within 600 bytes per extra audience', async () => {
    const record = realRecord(await rs256AccessToken());
    const now = Date.now();
    const resources: Record<
      string,
      { accessToken: string; accessTokenExpiresAt: number; refreshAt: number }
    > = {};
    for (const service of ['catalog', 'cart', 'checkout', 'orders', 'profile']) {
      const resource = `urn:gatehouse:shop:${service}`;
      resources[resource] = {
        accessToken: await rs256AccessToken(resource),
        accessTokenExpiresAt: now + 300_000,
        refreshAt: now + 240_000,
      };
    }
    const six: SessionRecord = { ...record, tokens: { ...record.tokens, resources } };
    const value = encodeSession(six);
    expect(decodeSession(value)).toEqual(six);
    const one = encodeSession(record).length;
    // Each further RS256 token costs its signature (256 bytes) and its compressed header and claims.
    expect((value.length - one) / 5).toBeLessThanOrEqual(600);
  });

  it('round-trips the unusual: no sid, JWT refresh and ID tokens, odd base64url, Unicode, fractional times', () => {
    const jwtLike = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"a":"\u0001é"}').toString('base64url')}.`;
    const records: SessionRecord[] = [
      sessionRecord({ iss, sub: 'bob' }),
      sessionRecord({
        iss,
        sub: 'carol',
        sid: 'x'.repeat(300),
        tokens: {
          accessToken: 'not a jwt at all, with spaces and ünïcödé',
          accessTokenExpiresAt: 1.5,
          refreshToken: `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYXJvbCJ9.${'A'.repeat(2000)}`,
          idToken: jwtLike,
          scope: '',
        },
        createdAt: 0.25,
        lastSeenAt: -1,
        absoluteExpiresAt: Number.MAX_SAFE_INTEGER,
      }),
      sessionRecord({
        iss: 'https://idp.example/realms/shop',
        sub: 'dave',
        sid: 'not base64url: +/=',
        tokens: {
          // Non-canonical base64url (the last character has bits set that no encoder writes), and a padded one.
          accessToken: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkYXZlIn1.c2lnbmF0dXJl-_B',
          accessTokenExpiresAt: 2,
          refreshToken: 'dGVzdA==',
          idToken: 'a.b.c.d',
        },
      }),
    ];
    for (const record of records) expect(decodeSession(encodeSession(record))).toEqual(record);
  });

  it('round-trips any record (fast-check)', () => {
    const text = fc.oneof(fc.string({ maxLength: 80 }), fc.stringMatching(/^[A-Za-z0-9_-]{0,400}$/));
    const token = fc.oneof(
      text,
      fc
        .tuple(
          fc.json({ maxDepth: 2 }),
          fc.json({ maxDepth: 2 }),
          fc.stringMatching(/^[A-Za-z0-9_-]{0,400}$/),
        )
        .map(([head, payload, signature]) =>
          [
            Buffer.from(head).toString('base64url'),
            Buffer.from(payload).toString('base64url'),
            signature,
          ].join('.'),
        ),
    );
    // Finite numbers but -0, which JSON (and so the layout before this one) never kept either.
    const time = fc.oneof(
      fc.integer({ min: 0, max: 2 ** 52 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((value) => !Object.is(value, -0)),
    );
    fc.assert(
      fc.property(
        fc.record({
          iss: text,
          sub: text,
          sid: fc.option(text, { nil: undefined }),
          displayName: text,
          accessToken: token,
          refreshToken: fc.option(token, { nil: undefined }),
          idToken: fc.option(token, { nil: undefined }),
          times: fc.array(time, { minLength: 5, maxLength: 5 }),
          resources: fc.option(
            fc.dictionary(fc.stringMatching(/^urn:[a-z:]{1,20}$/), fc.tuple(token, time, time), {
              maxKeys: 6,
            }),
            { nil: undefined },
          ),
        }),
        ({ iss: issuer, sub, sid, displayName, accessToken, refreshToken, idToken, times, resources }) => {
          const [
            createdAt = 0,
            lastSeenAt = 0,
            absoluteExpiresAt = 0,
            accessTokenExpiresAt = 0,
            refreshAt = 0,
          ] = times;
          const base = sessionRecord({ iss: issuer, sub });
          const record: SessionRecord = {
            ...base,
            ...(sid === undefined ? {} : { sid }),
            user: { ...base.user, displayName },
            tokens: {
              accessToken,
              accessTokenExpiresAt,
              ...(refreshToken === undefined ? {} : { refreshToken, refreshTokenExpiresAt: refreshAt }),
              ...(idToken === undefined ? {} : { idToken }),
              ...(resources === undefined
                ? {}
                : {
                    resources: Object.fromEntries(
                      Object.entries(resources).map(([resource, [token, expiresAt, due]]) => [
                        resource,
                        { accessToken: token, accessTokenExpiresAt: expiresAt, refreshAt: due },
                      ]),
                    ),
                  }),
            },
            createdAt,
            lastSeenAt,
            absoluteExpiresAt,
          };
          expect(decodeSession(encodeSession(record))).toEqual(record);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('keeps lastSeenAt at a fixed offset and the guard free of it', async () => {
    const record = realRecord(await rs256AccessToken());
    const value = encodeSession(record);
    const touched = Buffer.from(value);
    encodeTime(record.lastSeenAt + 60_000).copy(touched, LAST_SEEN_AT_OFFSET);
    expect(decodeSession(touched)).toEqual({ ...record, lastSeenAt: record.lastSeenAt + 60_000 });
    expect(sessionGuard(touched)).toEqual(sessionGuard(value));
    expect(sessionGuard(encodeSession({ ...record, createdAt: record.createdAt + 1 }))).not.toEqual(
      sessionGuard(value),
    );
    // Any other change is in it too: a rewrite that read before a tenant switch must not undo it.
    expect(sessionGuard(encodeSession({ ...record, activeTenant: 'acme' }))).not.toEqual(sessionGuard(value));
    // The index hashes sit where the Lua scripts read them: sub at 17, sid at 29.
    expect(value.subarray(17, 29)).toEqual(indexHash(record.iss, record.sub));
    expect(value.subarray(29, 41)).toEqual(indexHash(record.iss, record.sid as string));
  });

  it('answers undefined for anything damaged or foreign, never throws', async () => {
    const record = realRecord(await rs256AccessToken());
    const value = encodeSession(record);
    const damaged = [
      Buffer.alloc(0),
      Buffer.from('{"iss":"x"}'),
      value.subarray(0, 40),
      value.subarray(0, value.length - 1),
      Buffer.concat([value, Buffer.of(0)]),
      Buffer.concat([Buffer.of(0x20), value.subarray(1)]),
    ];
    for (let at = 41; at < value.length; at += 7) {
      const flipped = Buffer.from(value);
      flipped[at] = (flipped[at] ?? 0) ^ 0xff;
      damaged.push(flipped);
    }
    let decodedAnyway = 0;
    for (const bytes of damaged) {
      const decoded = decodeSession(bytes);
      // DEFLATE has no checksum and the binary area is raw bytes, so a flipped byte may still decode; but
      // never to another identity: iss, sub and sid must match the index hashes in the header.
      if (decoded !== undefined) {
        decodedAnyway++;
        expect([decoded.iss, decoded.sub, decoded.sid]).toEqual([record.iss, record.sub, record.sid]);
      }
    }
    // Many flipped bytes do decode (about 55 of 87): the identity check above ran.
    expect(decodedAnyway).toBeGreaterThan(0);
    expect(decodeSession(value.subarray(0, 40))).toBeUndefined();
    expect(decodeSession(Buffer.from('{"iss":"x"}'))).toBeUndefined();
  });
});
