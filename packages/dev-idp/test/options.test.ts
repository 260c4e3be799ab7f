import { freePort } from '@gatehouse/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  bffClient,
  createDevIdp,
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DevIdpError,
  type DevIdpOptions,
  demoUsers,
  TOKEN_EXCHANGE_GRANT,
} from '../src/index.js';
import { redeemCode, signIn, verifyJwt } from './helpers.js';

async function refusal(options: unknown): Promise<DevIdpError> {
  const error = await createDevIdp(options as DevIdpOptions).then(
    (idp) => {
      void idp.close();
      throw new Error('expected a refusal');
    },
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(DevIdpError);
  return error as DevIdpError;
}

describe('createDevIdp options', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('prints nothing while starting, signing in and stopping', async () => {
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((name) =>
      vi.spyOn(console, name).mockImplementation(() => {}),
    );
    const client = bffClient({ baseUrl: 'http://localhost:4996' });
    const idp = await createDevIdp({ port: 0, clients: [client] });
    const flow = await signIn(idp, { client });
    await redeemCode(idp, client, flow);
    await fetch(`${idp.issuer}/auth?client_id=nobody`);
    await idp.close();
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it('refuses to start with NODE_ENV=production', async () => {
    vi.stubEnv('NODE_ENV', 'production');
    const error = await refusal({ port: 0 });
    expect(error.code).toBe('GH_DEV_IDP_PRODUCTION');
    expect(error.message).toMatch(/development and tests only/);
  });

  it('refuses unknown options, listing every problem at once', async () => {
    const error = await refusal({
      prot: 4001,
      port: -1,
      issuer: 'http://localhost:4001/path',
      ttl: { Acces: 1 },
      rotateRefreshTokens: 'no',
    });
    expect(error.code).toBe('GH_DEV_IDP_OPTIONS_INVALID');
    expect(error.problems).toEqual([
      'prot: unknown option',
      'port: must be >= 0',
      'ttl.Acces: unknown option',
      'rotateRefreshTokens: must be boolean',
      'issuer: must be an http(s) origin without path or trailing slash, e.g. http://localhost:4001',
    ]);
  });

  it('refuses bad clients, audiences, users and lifetimes', async () => {
    const error = await refusal({
      clients: [
        { ...bffClient({ baseUrl: 'http://localhost:1' }), token_endpoint_auth_method: 'none', extra: true },
        {
          client_id: 'x',
          client_secret: 's',
          redirect_uris: ['http://localhost/cb#frag'],
          grant_types: ['implicit'],
        },
      ],
      audiences: [{ resource: 'not a uri' }],
      users: [{ ...demoUsers[0], roles: 'admin' }],
      ttl: { AuthorizationCode: 3600, AccessToken: 0, LogoutToken: 60 },
    });
    expect(error.problems).toEqual([
      'ttl.LogoutToken: fixed at 120 s by oidc-provider 9 (Back-Channel Logout: at most 2 min)',
      'clients[0].extra: unknown option',
      "clients[0].token_endpoint_auth_method: must be one of 'client_secret_basic', 'client_secret_post', 'private_key_jwt'",
      "clients[1].grant_types[0]: must be one of 'authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:token-exchange'",
      'ttl.AccessToken: must be >= 1',
      'users[0].roles: must be array',
      'clients[1].redirect_uris[0]: must be an absolute http(s) URL without fragment or credentials',
      "clients[1].grant_types: must hold 'authorization_code' (and may hold 'refresh_token' and 'urn:ietf:params:oauth:grant-type:token-exchange')",
      'ttl.AuthorizationCode: must be at most 600 s (ASVS 10.4.3)',
      'audiences[0].resource: must be an absolute URI without fragment, in normalised form',
    ]);
  });

  it('refuses control characters, bad scope tokens, empty claims and unknown tenant keys', async () => {
    const error = await refusal({
      host: 'a\nb',
      users: [{ ...demoUsers[0], tenants: [{ id: 'x', roles: [], extra: 1 }], email: '' }],
      audiences: [{ resource: 'urn:x', scope: 'a  b' }],
    });
    expect(error.problems).toEqual([
      'host: must not contain control characters',
      'audiences[0].scope: must be space-separated scope tokens',
      'users[0].email: must not have fewer than 1 characters',
      'users[0].tenants[0].extra: unknown option',
    ]);
  });

  it('refuses options that are not an object', async () => {
    for (const options of [null, 42, 'port=1', [1]]) {
      const error = await refusal(options);
      expect(error.code).toBe('GH_DEV_IDP_OPTIONS_INVALID');
      expect(error.problems).toEqual(['options: must be an object']);
    }
  });

  it('refuses duplicate client ids and user logins', async () => {
    const client = bffClient({ baseUrl: 'http://localhost:1' });
    const error = await refusal({ clients: [client, client], users: [demoUsers[0], demoUsers[0]] });
    expect(error.problems).toEqual([
      'clients: client_id gatehouse-bff appears more than once',
      'users: login alice appears more than once',
      'users: sub user_alice appears more than once',
    ]);
  });

  it('refuses a confidential client without secret', async () => {
    const { client_secret: _secret, ...publicClient } = bffClient({ baseUrl: 'http://localhost:1' });
    const error = await refusal({ clients: [publicClient] });
    expect(error.problems).toEqual([
      'clients[0].client_secret: required (only confidential clients are accepted)',
    ]);
  });

  it('reports a port already in use as GH_DEV_IDP_LISTEN_FAILED', async () => {
    const first = await createDevIdp({ port: 0 });
    try {
      const error = await refusal({ port: first.port });
      expect(error.code).toBe('GH_DEV_IDP_LISTEN_FAILED');
      expect((error.cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
    } finally {
      await first.close();
    }
  });

  it('uses an explicit issuer and port', async () => {
    const port = await freePort();
    const idp = await createDevIdp({ port, issuer: `http://127.0.0.1:${port}` });
    try {
      expect(idp.issuer).toBe(`http://127.0.0.1:${port}`);
      const metadata = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as {
        issuer: string;
      };
      expect(metadata.issuer).toBe(idp.issuer);
    } finally {
      await idp.close();
    }
  });

  it('signs in configured users instead of the demo users', async () => {
    const client = bffClient({ baseUrl: 'http://localhost:4995' });
    const idp = await createDevIdp({
      port: 0,
      clients: [client],
      users: [
        {
          login: 'zoe',
          password: 'correct horse',
          sub: 'user_zoe',
          name: 'Zoe',
          email: 'zoe@example.com',
          emailVerified: false,
          roles: ['auditor'],
          tenants: [{ id: 'initech', roles: ['member'] }],
          locale: 'nl-NL',
          currency: 'EUR',
        },
      ],
    });
    try {
      await expect(signIn(idp, { client, login: 'alice' })).rejects.toThrow();
      await expect(signIn(idp, { client, login: 'zoe', password: 'zoe' })).rejects.toThrow();
      const flow = await signIn(idp, { client, login: 'zoe', password: 'correct horse' });
      const { body } = await redeemCode(idp, client, flow);
      const id = await verifyJwt(idp, body.id_token, client.client_id);
      expect(id.payload).toMatchObject({
        sub: 'user_zoe',
        email_verified: false,
        roles: ['auditor'],
        tenants: [{ id: 'initech', roles: ['member'] }],
        locale: 'nl-NL',
      });
    } finally {
      await idp.close();
    }
  });
});

describe('bffClient', () => {
  it('builds the BFF client for a base URL', () => {
    expect(bffClient({ baseUrl: 'http://localhost:5123/' })).toEqual({
      client_id: DEFAULT_CLIENT_ID,
      client_secret: DEFAULT_CLIENT_SECRET,
      client_name: 'Gatehouse BFF',
      redirect_uris: ['http://localhost:5123/auth/callback'],
      post_logout_redirect_uris: ['http://localhost:5123/'],
      backchannel_logout_uri: 'http://localhost:5123/auth/backchannel-logout',
      backchannel_logout_session_required: true,
      grant_types: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE_GRANT],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    expect(DEFAULT_CLIENT_ID).toBe('gatehouse-bff');
    expect(DEFAULT_CLIENT_SECRET).toBe('gatehouse-dev-secret');
  });

  it('takes another id and secret', () => {
    const client = bffClient({ baseUrl: 'https://shop.example', clientId: 'shop', clientSecret: 's3cret' });
    expect(client).toMatchObject({
      client_id: 'shop',
      client_secret: 's3cret',
      redirect_uris: ['https://shop.example/auth/callback'],
    });
  });

  it('refuses a base URL that is not a plain http(s) URL', () => {
    for (const baseUrl of ['localhost:4000', 'ftp://x', 'http://x/?q=1', 'http://u:p@x']) {
      expect(() => bffClient({ baseUrl }), baseUrl).toThrow(DevIdpError);
    }
    expect(() => bffClient({ baseUrl: 'http://x', clientid: 'y' } as never)).toThrow(
      /clientid: unknown option/,
    );
  });
});

describe('demoUsers', () => {
  it('are the seven users of docs/http-contract.md#demo-users', () => {
    expect(
      demoUsers.map(({ login, sub, name, roles, tenants }) => ({ login, sub, name, roles, tenants })),
    ).toEqual([
      { login: 'alice', sub: 'user_alice', name: 'Alice', roles: ['customer'], tenants: [] },
      { login: 'bob', sub: 'user_bob', name: 'Bob', roles: ['customer'], tenants: [] },
      { login: 'carol', sub: 'user_carol', name: 'Carol', roles: ['support'], tenants: [] },
      { login: 'dave', sub: 'user_dave', name: 'Dave', roles: ['store_manager'], tenants: [] },
      {
        login: 'erin',
        sub: 'user_erin',
        name: 'Erin',
        roles: ['admin'],
        tenants: [{ id: 'acme', roles: ['org_admin'] }],
      },
      {
        login: 'frank',
        sub: 'user_frank',
        name: 'Frank',
        roles: ['customer'],
        tenants: [{ id: 'globex', roles: ['member'] }],
      },
      {
        login: 'grace',
        sub: 'user_grace',
        name: 'Grace',
        roles: ['customer'],
        tenants: [
          { id: 'acme', roles: ['member'] },
          { id: 'globex', roles: ['org_admin'] },
        ],
      },
    ]);
    expect(demoUsers[0]).toMatchObject({ locale: 'en-IN', currency: 'INR', email: 'alice@example.com' });
    for (const user of demoUsers) {
      expect(user).not.toHaveProperty('password');
      expect(Object.isFrozen(user)).toBe(true);
    }
  });

  it('sign in with their login name as password', async () => {
    const client = bffClient({ baseUrl: 'http://localhost:4994' });
    const idp = await createDevIdp({ port: 0, clients: [client] });
    try {
      expect(demoUsers).toHaveLength(7);
      for (const user of demoUsers) {
        const flow = await signIn(idp, { client, login: user.login });
        const { body } = await redeemCode(idp, client, flow);
        const id = await verifyJwt(idp, body.id_token, client.client_id);
        expect(id.payload).toMatchObject({ sub: user.sub, locale: user.locale, currency: user.currency });
      }
    } finally {
      await idp.close();
    }
  });
});
