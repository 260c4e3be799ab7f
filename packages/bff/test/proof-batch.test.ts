import { describe, expect, it } from 'vitest';
import { ProofBatch } from '../src/proxy/proof-batch.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('ProofBatch: the proofs of one event-loop turn are signed together, then sent', () => {
  it('signs every proof added in a turn before sending any, in the order they came', async () => {
    const batch = new ProofBatch();
    const events: string[] = [];
    for (const name of ['a', 'b', 'c'])
      batch.add({
        sign: () => {
          events.push(`sign ${name}`);
          return [name];
        },
        send: (headers) => events.push(`send ${headers.join()}`),
        fail: () => events.push(`fail ${name}`),
      });
    expect(events).toEqual([]);
    await turn();
    expect(events).toEqual(['sign a', 'sign b', 'sign c', 'send a', 'send b', 'send c']);
  });

  it('a proof that cannot be signed, or a request that cannot be sent, fails that request only', async () => {
    const batch = new ProofBatch();
    const sent: string[] = [];
    const failed: unknown[] = [];
    const [unsigned, unsent] = [new Error('no key'), new Error('pool closed')];
    for (const name of ['a', 'b', 'c'])
      batch.add({
        sign: () => {
          if (name === 'a') throw unsigned;
          return [name];
        },
        send: (headers) => {
          if (name === 'b') throw unsent;
          sent.push(...headers);
        },
        fail: (error) => failed.push(error),
      });
    await turn();
    expect(failed).toEqual([unsigned, unsent]);
    expect(sent).toEqual(['c']);
  });

  it('a proof added while a batch is sent goes in the next turn', async () => {
    const batch = new ProofBatch();
    const events: string[] = [];
    batch.add({
      sign: () => ['first'],
      send: () => {
        events.push('send first');
        batch.add({ sign: () => ['late'], send: () => events.push('send late'), fail: () => {} });
      },
      fail: () => {},
    });
    await turn();
    expect(events).toEqual(['send first']);
    await turn();
    expect(events).toEqual(['send first', 'send late']);
  });
});
