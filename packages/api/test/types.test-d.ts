import type { FastifyContextConfig, FastifyInstance, FastifyRequest } from 'fastify';
import { describe, expectTypeOf, it } from 'vitest';
import type { ApiPrincipal, GatehouseApi, RouteAuth } from '../src/index.js';

// A type test: `tsc` checks it with this package's tsconfig (`npm run typecheck`); vitest does not run it.
describe('fastify type augmentation', () => {
  it('types the request decorators, the instance decorator and route config', () => {
    expectTypeOf<FastifyRequest['principal']>().toEqualTypeOf<ApiPrincipal | null>();
    expectTypeOf<FastifyRequest['tenant']>().toEqualTypeOf<string | null>();
    expectTypeOf<FastifyRequest['traceId']>().toEqualTypeOf<string | null>();
    expectTypeOf<FastifyInstance['gatehouse']>().toEqualTypeOf<GatehouseApi>();
    expectTypeOf<FastifyContextConfig['auth']>().toEqualTypeOf<RouteAuth | undefined>();
    expectTypeOf<FastifyContextConfig['audit']>().toEqualTypeOf<string | undefined>();
  });
});
