import { describe, expectTypeOf, it } from 'vitest';
import { defineRemote, NotFoundError, problemError, type RemoteLifecycle } from '../src/index.js';

// A type test: `tsc` checks it with this package's tsconfig (`npm run typecheck`); vitest does not run it.
describe('defineRemote', () => {
  it('returns the lifecycle it was given, read-only, and takes only a lifecycle', () => {
    const remote = defineRemote({ mount() {}, unmount() {} });
    expectTypeOf(remote).toExtend<RemoteLifecycle>();
    expectTypeOf(remote).toEqualTypeOf<Readonly<{ mount(): void; unmount(): void }>>();
    // @ts-expect-error unmount is required
    defineRemote({ mount() {} });
  });
});

describe('errors', () => {
  it('narrow with instanceof for TypeScript too (their Symbol.hasInstance keeps the narrowing)', () => {
    const error: unknown = problemError(404, {});
    if (error instanceof NotFoundError) expectTypeOf(error).toEqualTypeOf<NotFoundError>();
  });
});
