import { randomBytes } from 'node:crypto';
import { freePort, redisUrl } from '@gatehouse/testing';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import type { BffOptions } from '../../src/index.js';
import { type Stack, type StackOptions, startStack } from './stack.js';

/** Two BFF instances over one Redis, as a multi-instance deployment runs them. */
export interface TwoInstances {
  /** Instance A, whose URL is the public one both answer to. */
  readonly a: Stack;
  readonly b: Stack;
  /** Instance B's own address: a request sent here reaches B with A's public origin. */
  readonly bUrl: string;
}

/**
 * For a suite that needs the same session on two instances (Redis store and pub/sub): each call starts A and B
 * in front of one dev IdP (the caller's, with A on the port its client names: `at`; else one of their own),
 * with `bff` options on both and a Redis key prefix of the suite's own. After the suite, every instance is closed and the prefix's keys
 * deleted.
 *
 * @example
 * const twoInstances = useTwoInstances();
 * it('…', async () => { const { a, bUrl } = await twoInstances({ roles }); … });
 */
export function useTwoInstances(): (
  bff?: Partial<BffOptions>,
  at?: Pick<StackOptions, 'idp' | 'bffPort'>,
) => Promise<TwoInstances> {
  const prefix = `gh-test-${randomBytes(4).toString('hex')}:`;
  const stacks: Stack[] = [];
  afterAll(async () => {
    for (const each of stacks.reverse()) await each.close();
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });
  return async (bff = {}, at = {}) => {
    const shared: Partial<BffOptions> = { ...bff, redisUrl, redisKeyPrefix: prefix };
    const a = await startStack({ ...at, bff: shared });
    stacks.push(a);
    const portB = await freePort();
    const b = await startStack({ idp: a.idp, bffPort: portB, bff: { ...shared, publicUrl: a.bffUrl } });
    stacks.push(b);
    return { a, b, bUrl: `http://localhost:${portB}` };
  };
}
