// The compact binary form a session takes in Redis: one string value, small enough that a session made by a
// real login (an RS256 JWT access token, a refresh token, the identity) costs less than 1 KB of Redis memory
// together with its two index keys. Encoding only: nothing here signs, verifies or hashes for security, and
// the one hash (SHA-256, for index key names) comes from node:crypto. Not exported from the package.
//
// Layout (byte offsets from 0):
//
//   0        format: 0x10 (version 1), | 0x01 when the session has a sid index
//   1..8     lastSeenAt, float64 big-endian. `touch` overwrites these 8 bytes in place (SETRANGE)
//   9..16    createdAt, float64 big-endian
//   17..28   the sub index key's hash (12 bytes)            } the Lua scripts read these to find the
//   29..40   the sid index key's hash (12 bytes, if any)     } index keys; they never look further
//   then     varint n, then n bytes of raw DEFLATE (preset dictionary below), then the binary area
//
// The deflated text is `JSON([body, tokens, absolute?]) \0 <JWT headers and payloads as bytes>`, where:
// - a JWT (access, refresh or ID token) whose header and payload are canonical base64url becomes
//   `[headerBytes, payloadBytes, "<signature>"]`, its decoded header and payload JSON appended after the \0
//   (JSON compresses; base64url of JSON does not), in the order accessToken, refreshToken, idToken, then the
//   access token of each other resource (`tokens.resources`, RFC 8707) in the record's key order, each
//   stored as `[token, expiresAt, refreshAt]`;
// - times are stored as differences from createdAt (short numbers) unless that would not be exact;
// - every run of 20 or more base64url characters with a digit, '-' or '_' in it that occurs once
//   (signatures, refresh tokens, sid, jti…) is cut out of the text: its whole 4-character groups go to the
//   binary area as the bytes they encode, and a marker `\x01 <groups>` stays in the text. Random text does
//   not compress; taken out, it no longer widens DEFLATE's codes for the rest. Runs that occur twice stay
//   in the text, where DEFLATE refers back to them.
//
// DEFLATE has no checksum: on decode, iss, sub and sid must hash to the header's index hashes, and the
// record must have the shape of a session, or the value counts as damaged.
import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { isSessionBody, isSessionTokens, type SessionBody } from './codec.js';
import type { SessionRecord, SessionTokens } from './types.js';

/** First byte of a version-1 value (bit 0 tells whether a sid index follows the sub index). */
export const FORMAT_V1 = 0x10;
const HAS_SID = 0x01;
/** Bytes of a hash in an index key name (96 bits; its base64url is 16 characters). */
export const INDEX_HASH_BYTES = 12;
const LAST_SEEN_AT = 1;
const CREATED_AT = 9;
const HASHES = 17;
/** Largest value `encodeSession` writes (a token gone wild is refused rather than stored). */
const MAX_VALUE_BYTES = 1 << 20;
const RUN = /[A-Za-z0-9_-]{20,}/g;
const MARK = 0x01;
const TOKEN_FIELDS = ['accessToken', 'refreshToken', 'idToken'] as const;
const TOKEN_TIMES = ['accessTokenExpiresAt', 'refreshAt', 'refreshTokenExpiresAt'] as const;

/**
 * The preset dictionary of DEFLATE in format version 1: the skeleton of the JSON the codec writes and of
 * common JWT headers and claims, so that a session's first mention of each costs a back-reference instead of
 * its letters. Part of the format: changing it needs a new format byte.
 */
const DICTIONARY = Buffer.from(
  '{"alg":"ES256","typ":"JWT","kid":"{"alg":"RS256","typ":"at+jwt","kid":"' +
    '{"iss":"https://","sub":"","aud":["","azp":"","exp":17,"iat":17,"nbf":17,"auth_time":17,"jti":"",' +
    '"client_id":"","sid":"","scope":"openid profile email offline_access","roles":[],"groups":[],' +
    '"tenants":[],"permissions":[],"email":"","email_verified":true,"name":"","preferred_username":"",' +
    '"realm_access":{"roles":["' +
    '"typ":"Bearer","acr":"1","amr":["pwd"],"http://localhost:' +
    '[{"iss":"https://","sub":"","sid":"","user":{"id":"","displayName":"","roles":["admin","customer","user"],' +
    '"permissions":[":read",":write",":view",":edit","],"tenants":[{"id":"","roles":[],"permissions":[]}],' +
    '"locale":"en-US","currency":"USD"},"absoluteExpiresAt":28800000},{"accessToken":[' +
    '],"accessTokenExpiresAt":300000,"refreshToken":"","refreshTokenExpiresAt":28800000,' +
    '"scope":"openid profile email offline_access","idToken":[',
  'latin1',
);

/** The hash naming an index key: 12 bytes of SHA-256 over `[iss, value]`, as 16 base64url characters. */
export function indexHash(iss: string, value: string): Buffer {
  return createHash('sha256')
    .update(JSON.stringify([iss, value]))
    .digest()
    .subarray(0, INDEX_HASH_BYTES);
}

/** What the store needs to know about an encoded session without decoding it. */
export interface SessionIndexes {
  /** Hash of `[iss, sub]`. */
  readonly sub: Buffer;
  /** Hash of `[iss, sid]`, when the session has a sid. */
  readonly sid?: Buffer;
}

/** Index hashes of a record. */
export function indexesOf(record: Pick<SessionRecord, 'iss' | 'sub' | 'sid'>): SessionIndexes {
  const sub = indexHash(record.iss, record.sub);
  return record.sid === undefined ? { sub } : { sub, sid: indexHash(record.iss, record.sid) };
}

/** Bytes before the deflated part: format, two times, one or two index hashes. */
export const headerLength = (format: number): number =>
  HASHES + INDEX_HASH_BYTES * (format & HAS_SID ? 2 : 1);

/**
 * What a rewrite (`updateTokens`, `setActiveTenant`) read, for its compare-and-set: the whole value but
 * lastSeenAt, which `touch` overwrites in place at any time. The write goes through only if the stored value
 * is still exactly this: a session replaced under the same id, or rewritten meanwhile by another rewrite (a
 * tenant switch during a refresh), is read again, so that neither undoes the other (an undone refresh would
 * bring back a spent refresh token).
 */
export function sessionGuard(value: Buffer): Buffer {
  return Buffer.concat([value.subarray(0, LAST_SEEN_AT), value.subarray(CREATED_AT)]);
}

/** lastSeenAt as the 8 bytes `touch` writes at offset 1. */
export function encodeTime(time: number): Buffer {
  const bytes = Buffer.allocUnsafe(8);
  bytes.writeDoubleBE(time, 0);
  return bytes;
}

/** Offset of lastSeenAt in the value (for SETRANGE). */
export const LAST_SEEN_AT_OFFSET = LAST_SEEN_AT;

type Json = Record<string, unknown>;
type PackedToken = string | [number, number, string];

/** `[header, payload, signature]` of a JWT whose header and payload survive base64url → bytes → base64url. */
function jwtParts(token: string): [Buffer, Buffer, string] | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [header = '', payload = '', signature = ''] = parts;
  if (!/^[A-Za-z0-9_-]+$/.test(header) || !/^[A-Za-z0-9_-]+$/.test(payload)) return undefined;
  const head = Buffer.from(header, 'base64url');
  const body = Buffer.from(payload, 'base64url');
  // Exact round trip only (canonical, unpadded), and no marker bytes inside (they would be misread).
  if (head.toString('base64url') !== header || body.toString('base64url') !== payload) return undefined;
  if (head.includes(MARK) || body.includes(MARK)) return undefined;
  return [head, body, signature];
}

/** Cuts runs of base64url that occur once out of `text` (latin1, one char per byte). */
function cutRuns(text: string): { text: string; binary: Buffer[] } {
  const seen = new Map<string, number>();
  for (const [run] of text.matchAll(RUN)) seen.set(run, (seen.get(run) ?? 0) + 1);
  const binary: Buffer[] = [];
  const cut = text.replace(RUN, (run) => {
    // Twice seen: DEFLATE refers back to it. No digit, '-' or '_': a word (a JSON key), not a random value.
    if (seen.get(run) !== 1 || !/[0-9_-]/.test(run)) return run;
    let out = '';
    let at = 0;
    while (run.length - at >= 4) {
      const groups = Math.min(255, Math.floor((run.length - at) / 4));
      binary.push(Buffer.from(run.slice(at, at + 4 * groups), 'base64url'));
      out += String.fromCharCode(MARK, groups);
      at += 4 * groups;
    }
    return out + run.slice(at);
  });
  return { text: cut, binary };
}

/** Puts back the runs {@link cutRuns} took out; `binary` is read from `at`. */
function pasteRuns(text: Buffer, binary: Buffer): Buffer {
  const out: Buffer[] = [];
  let start = 0;
  let read = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== MARK) continue;
    const groups = text[i + 1];
    if (groups === undefined || groups === 0) throw new Error('truncated run marker');
    const bytes = binary.subarray(read, read + 3 * groups);
    if (bytes.length !== 3 * groups) throw new Error('binary area too short');
    out.push(text.subarray(start, i), Buffer.from(bytes.toString('base64url'), 'latin1'));
    read += 3 * groups;
    i += 1;
    start = i + 1;
  }
  if (read !== binary.length) throw new Error('binary area too long');
  out.push(text.subarray(start));
  return Buffer.concat(out);
}

function writeVarint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

function readVarint(buffer: Buffer, offset: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let at = offset; at < offset + 4; at++) {
    const byte = buffer[at];
    if (byte === undefined) break;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, at + 1];
    scale *= 0x80;
  }
  throw new Error('bad length');
}

/** True when `time` is absent, or survives being stored as its difference from `base`. */
const shiftsExactly = (time: number | undefined, base: number): boolean =>
  time === undefined || (Number.isFinite(time) && time - base + base === time);

/**
 * Encodes a session record as the Redis value of format version 1.
 *
 * @example
 * const value = encodeSession(record); // a Buffer of ~600 bytes for a real RS256 session
 * decodeSession(value); // deep-equal to record
 */
export function encodeSession(record: SessionRecord): Buffer {
  const { tokens, lastSeenAt, createdAt, ...rest } = record;
  const indexes = indexesOf(record);
  const resources = Object.entries(tokens.resources ?? {});
  const relative =
    Number.isFinite(createdAt) &&
    shiftsExactly(rest.absoluteExpiresAt, createdAt) &&
    TOKEN_TIMES.every((name) => shiftsExactly(tokens[name], createdAt)) &&
    resources.every(
      ([, token]) =>
        shiftsExactly(token.accessTokenExpiresAt, createdAt) && shiftsExactly(token.refreshAt, createdAt),
    );
  const shift = (time: number): number => (relative ? time - createdAt : time);

  const appended: Buffer[] = [];
  const pack = (token: string): PackedToken => {
    const jwt = jwtParts(token);
    if (jwt === undefined) return token;
    const [head, payload, signature] = jwt;
    appended.push(head, payload);
    return [head.length, payload.length, signature];
  };
  const packedTokens: Json = { ...tokens };
  for (const name of TOKEN_FIELDS) {
    const token = tokens[name];
    if (token !== undefined) packedTokens[name] = pack(token);
  }
  for (const name of TOKEN_TIMES) {
    const time = tokens[name];
    if (time !== undefined) packedTokens[name] = shift(time);
  }
  if (tokens.resources !== undefined) {
    packedTokens.resources = Object.fromEntries(
      resources.map(([resource, token]) => [
        resource,
        [pack(token.accessToken), shift(token.accessTokenExpiresAt), shift(token.refreshAt)],
      ]),
    );
  }
  const body: Json = { ...rest, absoluteExpiresAt: shift(rest.absoluteExpiresAt) };
  const meta = JSON.stringify(relative ? [body, packedTokens] : [body, packedTokens, 1]);
  const plain = Buffer.concat([Buffer.from(meta, 'utf8'), Buffer.of(0), ...appended]).toString('latin1');
  const { text, binary } = cutRuns(plain);
  const deflated = deflateRawSync(Buffer.from(text, 'latin1'), {
    level: 9,
    memLevel: 9,
    dictionary: DICTIONARY,
  });

  const header = Buffer.alloc(HASHES + INDEX_HASH_BYTES * (indexes.sid ? 2 : 1));
  header[0] = FORMAT_V1 | (indexes.sid ? HAS_SID : 0);
  header.writeDoubleBE(lastSeenAt, LAST_SEEN_AT);
  header.writeDoubleBE(createdAt, CREATED_AT);
  indexes.sub.copy(header, HASHES);
  indexes.sid?.copy(header, HASHES + INDEX_HASH_BYTES);
  const value = Buffer.concat([header, writeVarint(deflated.length), deflated, ...binary]);
  if (value.length > MAX_VALUE_BYTES) throw new RangeError('session record too large to store');
  return value;
}

/** True when `value` starts like a value of format version 1. */
export const isSessionValue = (value: Buffer): boolean =>
  value.length > HASHES &&
  ((value[0] ?? 0) & ~HAS_SID) === FORMAT_V1 &&
  value.length > headerLength(value[0] ?? 0);

function unpackToken(packed: unknown, appended: Buffer, at: { offset: number }): unknown {
  if (!Array.isArray(packed)) return packed;
  const [headLength, payloadLength, signature] = packed as unknown[];
  if (typeof headLength !== 'number' || typeof payloadLength !== 'number' || typeof signature !== 'string') {
    throw new Error('bad token');
  }
  const head = appended.subarray(at.offset, at.offset + headLength);
  const payload = appended.subarray(at.offset + headLength, at.offset + headLength + payloadLength);
  if (head.length !== headLength || payload.length !== payloadLength) throw new Error('token bytes missing');
  at.offset += headLength + payloadLength;
  return `${head.toString('base64url')}.${payload.toString('base64url')}.${signature}`;
}

/** The `tokens.resources` of a decoded value: `[token, expiresAt, refreshAt]` by resource, in order. */
function unpackResources(
  packed: unknown,
  appended: Buffer,
  at: { offset: number },
  shift: (time: unknown) => unknown,
): Json {
  if (typeof packed !== 'object' || packed === null || Array.isArray(packed))
    throw new Error('bad resources');
  // Built with fromEntries: a key such as `__proto__` stays a plain key.
  return Object.fromEntries(
    Object.entries(packed).map(([resource, entry]) => {
      if (!Array.isArray(entry) || entry.length !== 3) throw new Error('bad resource token');
      const token = {
        accessToken: unpackToken(entry[0], appended, at),
        accessTokenExpiresAt: shift(entry[1]),
        refreshAt: shift(entry[2]),
      };
      return [resource, token];
    }),
  );
}

/**
 * Decodes a value {@link encodeSession} made. Answers `undefined` for anything else or anything damaged
 * (the store then treats the session as missing).
 */
export function decodeSession(value: Buffer): SessionRecord | undefined {
  try {
    if (!isSessionValue(value)) return undefined;
    const lastSeenAt = value.readDoubleBE(LAST_SEEN_AT);
    const createdAt = value.readDoubleBE(CREATED_AT);
    if (!Number.isFinite(lastSeenAt)) return undefined;
    const [length, start] = readVarint(value, headerLength(value[0] ?? 0));
    const deflated = value.subarray(start, start + length);
    if (deflated.length !== length) return undefined;
    const text = inflateRawSync(deflated, { dictionary: DICTIONARY });
    const plain = pasteRuns(text, value.subarray(start + length));
    const split = plain.indexOf(0);
    if (split < 0) return undefined;
    const meta = JSON.parse(plain.subarray(0, split).toString('utf8')) as unknown;
    if (!Array.isArray(meta) || meta.length < 2 || meta.length > 3) return undefined;
    const [body, packedTokens, absolute] = meta as [Json, Json, unknown];
    if (
      typeof body !== 'object' ||
      body === null ||
      typeof packedTokens !== 'object' ||
      packedTokens === null
    ) {
      return undefined;
    }
    const shift = (time: unknown): unknown =>
      absolute === 1 || typeof time !== 'number' ? time : time + createdAt;
    const appended = plain.subarray(split + 1);
    const at = { offset: 0 };
    const tokens: Json = { ...packedTokens };
    for (const name of TOKEN_FIELDS) {
      if (name in tokens) tokens[name] = unpackToken(tokens[name], appended, at);
    }
    for (const name of TOKEN_TIMES) {
      if (name in tokens) tokens[name] = shift(tokens[name]);
    }
    if ('resources' in tokens) tokens.resources = unpackResources(tokens.resources, appended, at, shift);
    if (at.offset !== appended.length) return undefined;
    const record: Json = { ...body, absoluteExpiresAt: shift(body.absoluteExpiresAt), createdAt };
    if (!isSessionBody(record) || !isSessionTokens(tokens)) return undefined;
    // The identity must hash to the header's index hashes: DEFLATE has no checksum of its own.
    const indexes = indexesOf(record);
    const stored = value.subarray(HASHES, headerLength(value[0] ?? 0));
    if (!stored.equals(indexes.sid ? Buffer.concat([indexes.sub, indexes.sid]) : indexes.sub))
      return undefined;
    return { ...(record as SessionBody), tokens: tokens as unknown as SessionTokens, lastSeenAt };
  } catch {
    return undefined;
  }
}
