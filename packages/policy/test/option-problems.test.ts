import { describe, expect, it } from 'vitest';
import { optionProblems } from '../src/index.js';

describe('optionProblems', () => {
  it('words each error by where it is, and unknown options once, by name', () => {
    // What TypeBox's Value.Errors gives for `{ a: 1, b: 1, c: 2 }` against `{ a: string }`, closed.
    const errors = [
      { keyword: 'type', instancePath: '/a', params: { type: 'string' }, message: 'must be string' },
      { keyword: 'boolean', instancePath: '/b', params: {}, message: 'schema is false' },
      { keyword: 'boolean', instancePath: '/c', params: {}, message: 'schema is false' },
      {
        keyword: 'additionalProperties',
        instancePath: '',
        params: { additionalProperties: ['b', 'c'] },
        message: 'must not have additional properties',
      },
      { keyword: 'pattern', instancePath: '/upstreams/orders/url', message: 'must match pattern' },
    ];
    expect(optionProblems(errors)).toEqual([
      'a: must be string',
      'options: unknown option(s) b, c',
      'upstreams.orders.url: must match pattern',
    ]);
  });
});
