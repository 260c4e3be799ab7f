import { resolveConfig } from '@gatehouse/bff';
import { describe, expect, it } from 'vitest';
import {
  type Database,
  defaultShopDataDir,
  defaultShopPorts,
  openShopDatabase,
  ShopError,
  shopUpstreams,
  startShopApis,
} from '../src/index.js';

describe('shopUpstreams', () => {
  it('is a valid upstreams option for the BFF, with the documented map', () => {
    const config = resolveConfig({ sessionSecrets: ['x'.repeat(32)], upstreams: shopUpstreams() });
    expect(
      Object.fromEntries(Object.entries(config.upstreams).map(([name, up]) => [name, [up.url, up.access]])),
    ).toEqual({
      catalog: ['http://127.0.0.1:4101', 'public'],
      cart: ['http://127.0.0.1:4102', 'required'],
      checkout: ['http://127.0.0.1:4103', 'required'],
      orders: ['http://127.0.0.1:4104', 'required'],
      profile: ['http://127.0.0.1:4105', 'required'],
      admin: ['http://127.0.0.1:4106/admin', 'required'],
      org: ['http://127.0.0.1:4106/org', 'required'],
    });
  });

  it('forwards no method an internal route needs: orders and catalog take no POST through the BFF', () => {
    const upstreams = shopUpstreams();
    expect(upstreams.orders.methods).not.toContain('POST');
    expect(upstreams.catalog.methods).not.toContain('POST');
    expect(upstreams.admin.methods).toEqual(['GET', 'HEAD']);
  });

  it('takes the ports the services really listen on', () => {
    expect(shopUpstreams({ orders: 5104, org: 5106 }).orders.url).toBe('http://127.0.0.1:5104');
    expect(shopUpstreams({ org: 5106 }).org.url).toBe('http://127.0.0.1:5106/org');
    expect(defaultShopPorts).toEqual({
      catalog: 4101,
      cart: 4102,
      checkout: 4103,
      orders: 4104,
      profile: 4105,
      org: 4106,
    });
  });
});

describe('options', () => {
  const db = { query: async () => [] } as unknown as Database;

  it('refuses bad startShopApis options, every problem in one coded error', async () => {
    const error = await startShopApis({
      db,
      issuer: 'not a url',
      ports: { orders: 70_000, nope: 1 } as never,
      serviceKey: 'short',
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ShopError);
    expect(error).toMatchObject({ code: 'GH_SHOP_OPTIONS_INVALID' });
    expect((error as ShopError).problems).toEqual([
      'issuer: not an http(s) URL',
      'ports.orders: not a port (0-65535)',
      'ports.nope: no such service',
      'serviceKey: at least 32 characters',
    ]);
  });

  it('refuses a database URL that is not postgres://', async () => {
    await expect(openShopDatabase({ url: 'mysql://root@127.0.0.1/shop' })).rejects.toMatchObject({
      code: 'GH_SHOP_OPTIONS_INVALID',
    });
  });

  it('refuses a migration URL that is not postgres://, or one without a database URL', async () => {
    await expect(
      openShopDatabase({ url: 'mysql://root@127.0.0.1/shop', migrationUrl: 'shop' }),
    ).rejects.toMatchObject({
      problems: ['url: not a postgres:// URL', 'migrationUrl: not a postgres:// URL'],
    });
    await expect(
      openShopDatabase({ memory: true, migrationUrl: 'postgres://owner@127.0.0.1/shop' }),
    ).rejects.toMatchObject({
      code: 'GH_SHOP_OPTIONS_INVALID',
      problems: ['migrationUrl: only with a url (or DATABASE_URL)'],
    });
    // DATABASE_MIGRATION_URL goes with DATABASE_URL only, never with a url given in code.
    await expect(
      openShopDatabase({ url: 'mysql://root@127.0.0.1/shop', env: { DATABASE_MIGRATION_URL: 'nope' } }),
    ).rejects.toMatchObject({ problems: ['url: not a postgres:// URL'] });
  });

  it('keeps PGlite data under .data/shop at the repository root by default', () => {
    expect(defaultShopDataDir.replaceAll('\\', '/')).toMatch(/\/\.data\/shop$/);
    expect(defaultShopDataDir).not.toContain('examples');
  });
});
