import type { Permission, Resource } from '@gatehouse/policy';
import type { RemoteContext, RemoteLifecycle } from '@gatehouse/remote';
import type { AuthState, Shell } from '@gatehouse/shell';
import type { ReactNode } from 'react';
import { describe, expectTypeOf, it } from 'vitest';
import { defineReactRemote, type GatehouseProviderProps, useAuthState, useCan } from '../src/index.js';

// A type test: `tsc` checks it with this package's tsconfig (`npm run typecheck`); vitest does not run it.
describe('types', () => {
  it('hooks and components are typed over the runtime’s types', () => {
    expectTypeOf(useCan).parameters.toEqualTypeOf<[permission: Permission, resource?: Resource]>();
    expectTypeOf(useCan).returns.toEqualTypeOf<boolean>();
    expectTypeOf(useAuthState).returns.toEqualTypeOf<AuthState>();
    expectTypeOf(defineReactRemote(() => null)).toEqualTypeOf<Readonly<RemoteLifecycle>>();
    expectTypeOf<{ shell: Shell }>().toExtend<GatehouseProviderProps>();
    expectTypeOf<{ context: RemoteContext; children: ReactNode }>().toExtend<GatehouseProviderProps>();
    // A provider takes a shell or a context, not both, nor neither.
    expectTypeOf<{ shell: Shell; context: RemoteContext }>().not.toExtend<GatehouseProviderProps>();
    expectTypeOf<{ children: ReactNode }>().not.toExtend<GatehouseProviderProps>();
    // @ts-expect-error a permission is <domain>:<action>
    useCan('orders');
  });
});
