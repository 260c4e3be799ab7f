import { createTestContext, defineRemote, type RemoteContext } from '@gatehouse/remote';
import { describe, expect, it } from 'vitest';
import type { RemoteLoader } from '../src/index.js';
import { declareUpstreams, UndeclaredUpstreamError } from '../src/upstreams.js';

const manifest = (name: string, extra: object = {}) => ({
  name,
  version: '1.0.0',
  entry: `https://cdn.example/${name}.js`,
  integrity: `sha384-${'a'.repeat(64)}`,
  ...extra,
});

/** A remote that keeps the context it was mounted with, loaded by a loader that hands it out. */
function remoteAndLoader() {
  let seen: RemoteContext | undefined;
  const lifecycle = defineRemote({
    mount: (_element, context) => {
      seen = context;
    },
    unmount: () => {},
    update: (context) => {
      seen = context;
    },
  });
  const own: RemoteLoader = { load: async () => lifecycle };
  return { own, context: () => seen! };
}

describe('@gatehouse/shell/upstreams', () => {
  it('takes `upstreams` off the manifests it can read, and leaves the others as they were', () => {
    const declared = declareUpstreams([
      manifest('orders', { upstreams: ['orders', 'catalog'] }),
      manifest('home'),
      manifest('bad', { upstreams: ['Orders!'] }),
      manifest('worse', { upstreams: 'orders' }),
    ]);
    expect(declared.remotes[0]).toEqual(manifest('orders'));
    expect(declared.remotes[1]).toEqual(manifest('home'));
    // Kept: the shell refuses a manifest with a key it does not know, so a declaration never silently drops.
    expect(declared.remotes[2]).toHaveProperty('upstreams');
    expect(declared.remotes[3]).toHaveProperty('upstreams');
    expect([...declared.declared.keys()]).toEqual(['orders']);
  });

  it('refuses a call to an undeclared upstream before any request, however the path is written', async () => {
    const events: unknown[] = [];
    const declared = declareUpstreams([manifest('orders', { upstreams: ['orders'] })], {
      track: (event) => events.push(event),
    });
    const { own, context } = remoteAndLoader();
    const lifecycle = await declared.loader(own, []).load('orders');
    const test = createTestContext({
      api: { 'GET /api/orders/:id': ({ params }) => ({ id: params.id }), 'GET /api/billing': () => ({}) },
    });
    await lifecycle.mount({} as HTMLElement, { ...test, name: 'orders' });
    const { api } = context();
    expect(await api.get('/api/orders/o1')).toEqual({ id: 'o1' });
    for (const path of [
      '/api/billing',
      '/api/orders/../billing',
      '/api/ORDERS/o1',
      '/api/',
      '/api/orders-x/1',
    ]) {
      const refused = await api.get(path).catch((error: unknown) => error);
      expect(refused, path).toBeInstanceOf(UndeclaredUpstreamError);
      expect((refused as UndeclaredUpstreamError).status).toBe(403);
    }
    await expect(api.post('/api/billing', { plan: 'pro' })).rejects.toMatchObject({
      remote: 'orders',
      upstream: 'billing',
      code: 'forbidden',
    });
    expect(test.requests.map((request) => request.path)).toEqual(['/api/orders/o1']);
    expect(events).toHaveLength(6);
    expect(events[0]).toEqual({
      type: 'upstream_refused',
      remoteName: 'orders',
      errorType: 'undeclared_upstream',
    });
    // An update's context is held too.
    await lifecycle.update?.({ ...test, name: 'orders' }, {} as HTMLElement);
    await expect(context().api.get('/api/billing')).rejects.toBeInstanceOf(UndeclaredUpstreamError);
  });

  it('leaves a remote that declared nothing as it was', async () => {
    const declared = declareUpstreams([manifest('home')]);
    const { own } = remoteAndLoader();
    expect(await declared.loader(own, []).load('home')).toBe(await own.load('home'));
  });
});
