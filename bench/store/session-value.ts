// The session store's codec, timed as built, the parts of the value it writes, and what a session weighs in Redis. The codec is internal to
// @gatehouse/bff (not exported): the bench imports the built module from dist/ directly, typed by its source.
import { pathToFileURL } from 'node:url';
import type { SessionRecord } from '@gatehouse/bff';
import type { Redis } from 'ioredis';
import { ROOT_DIR } from '../lib/paths.js';
import { memoryUsage } from '../lib/redis.js';

/** packages/bff/src/session/redis-codec.ts, as built. */
export type SessionCodec = Pick<
  typeof import('../../packages/bff/src/session/redis-codec.js'),
  'encodeSession' | 'decodeSession'
>;

/** Imports the built codec (packages/bff/dist/session/redis-codec.js). */
export async function loadCodec(): Promise<SessionCodec> {
  const url = pathToFileURL(`${ROOT_DIR}packages/bff/dist/session/redis-codec.js`).href;
  return (await import(url)) as SessionCodec;
}

/** The parts of a session value of format version 1. */
export interface ValueParts {
  readonly total: number;
  /** format, lastSeenAt, createdAt, index hashes */
  readonly header: number;
  /** The DEFLATE part's length prefix. */
  readonly length: number;
  readonly deflated: number;
  /** Signature, token and id bytes. */
  readonly binary: number;
  /** The index hashes (base64url): the sub's, then the sid's when there is one. */
  readonly indexHashes: readonly string[];
}

/**
 * The parts of a session value of format version 1 (packages/bff/src/session/redis-codec.ts): header (format,
 * lastSeenAt, createdAt, index hashes), the DEFLATE part and the binary area (signature, token and id bytes).
 */
export function valueParts(value: Buffer): ValueParts {
  const hasSid = ((value[0] ?? 0) & 1) === 1;
  const header = hasSid ? 41 : 29;
  let deflated = 0;
  let at = header;
  for (let scale = 1; ; scale *= 128) {
    const byte = value[at++] ?? 0;
    deflated += (byte & 0x7f) * scale;
    if (byte < 0x80) break;
  }
  const indexHashes = [value.subarray(17, 29).toString('base64url')];
  if (hasSid) indexHashes.push(value.subarray(29, 41).toString('base64url'));
  return {
    total: value.length,
    header,
    length: at - header,
    deflated,
    binary: value.length - at - deflated,
    indexHashes,
  };
}

/**
 * µs per call of `fn`: the median of 10 batches of `n / 10` calls (after `n` warm-up calls), so a burst of other
 * work on the machine (or a GC) spoils one batch, not the figure.
 */
export function microseconds(fn: () => unknown, n: number): number {
  for (let i = 0; i < n; i++) fn();
  const batch = Math.max(1, Math.floor(n / 10));
  const perCall: number[] = [];
  for (let b = 0; b < 10; b++) {
    const at = performance.now();
    for (let i = 0; i < batch; i++) fn();
    perCall.push(((performance.now() - at) * 1000) / batch);
  }
  return perCall.sort((x, y) => x - y)[5] ?? Number.NaN;
}

/** Bytes of the signed-in session in the run's Redis. */
export interface SessionBytes {
  readonly total: number;
  readonly session: number;
  readonly indexes: readonly number[];
  readonly encoding: string;
  readonly indexEncoding: string;
  readonly value: ValueParts;
  /** The record as JSON. */
  readonly json: number;
  /** Characters. */
  readonly accessToken: number;
  readonly refreshToken: number;
  readonly prefix: string;
  readonly keyLengths: readonly number[];
}

/** `MEMORY USAGE` of the session and its index keys in the run's Redis, and what the value holds. */
export async function sessionBytes(
  client: Redis,
  prefix: string,
  sessionId: string,
  record: SessionRecord,
): Promise<SessionBytes> {
  const sessionKey = `${prefix}s:${sessionId}`;
  const value = await client.getBuffer(sessionKey);
  if (!value) throw new Error(`${sessionKey} is not in Redis`);
  const parts = valueParts(value);
  const indexKeys = parts.indexHashes.map((hash, n) => `${prefix}${n === 0 ? 'u:' : 'o:'}${hash}`);
  const session = await memoryUsage(client, sessionKey);
  const indexes = await Promise.all(indexKeys.map((key) => memoryUsage(client, key)));
  return {
    total: session + indexes.reduce((sum, bytes) => sum + bytes, 0),
    session,
    indexes,
    encoding: String(await client.object('ENCODING', sessionKey)),
    indexEncoding: String(await client.object('ENCODING', indexKeys[0] ?? sessionKey)),
    value: parts,
    json: Buffer.byteLength(JSON.stringify(record)),
    accessToken: record.tokens.accessToken.length,
    refreshToken: record.tokens.refreshToken?.length ?? 0,
    prefix,
    keyLengths: [sessionKey, ...indexKeys].map((key) => key.length),
  };
}
