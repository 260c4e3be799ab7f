import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClientKey } from '../src/client-key.js';
import { ConfigError, resolveConfig } from '../src/config.js';
import { optionsFromEnv, parseRoleMap } from '../src/env.js';
import { chooseTokenEndpointAuthMethod } from '../src/oidc.js';

const secret = 'x'.repeat(32);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-client-key-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('chooseTokenEndpointAuthMethod', () => {
  const LEMONLDAP = { token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'] };
  const OIDC_PROVIDER = {
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
  };
  const key = { alg: 'ES256' };

  it('auto: private_key_jwt with a key the issuer accepts, else the first secret method the issuer lists', () => {
    expect(chooseTokenEndpointAuthMethod('auto', LEMONLDAP)).toBe('client_secret_post');
    expect(chooseTokenEndpointAuthMethod('auto', LEMONLDAP, key)).toBe('client_secret_post');
    expect(chooseTokenEndpointAuthMethod('auto', OIDC_PROVIDER)).toBe('client_secret_basic');
    expect(chooseTokenEndpointAuthMethod('auto', OIDC_PROVIDER, key)).toBe('private_key_jwt');
    // An issuer that signs-alg-restricts assertions and does not take ES256: a secret method instead.
    expect(
      chooseTokenEndpointAuthMethod(
        'auto',
        { ...OIDC_PROVIDER, token_endpoint_auth_signing_alg_values_supported: ['RS256'] },
        key,
      ),
    ).toBe('client_secret_basic');
    // Nothing listed: RFC 8414's default.
    expect(chooseTokenEndpointAuthMethod('auto', {})).toBe('client_secret_basic');
    expect(chooseTokenEndpointAuthMethod('auto', {}, key)).toBe('private_key_jwt');
  });

  it('never picks none or an unknown method, and says so when nothing fits', () => {
    expect(() =>
      chooseTokenEndpointAuthMethod('auto', {
        token_endpoint_auth_methods_supported: ['none', 'tls_client_auth'],
      }),
    ).toThrow(/none of the BFF's client authentication methods \(none, tls_client_auth\)/);
  });

  it('a configured method must be one the issuer lists, and private_key_jwt needs a usable key', () => {
    expect(chooseTokenEndpointAuthMethod('client_secret_basic', LEMONLDAP)).toBe('client_secret_basic');
    expect(() => chooseTokenEndpointAuthMethod('private_key_jwt', LEMONLDAP, key)).toThrow(
      /does not support private_key_jwt/,
    );
    expect(() => chooseTokenEndpointAuthMethod('private_key_jwt', OIDC_PROVIDER)).toThrow(
      /client assertions/,
    );
  });
});

describe('configuration of client authentication', () => {
  it('refuses none, a private_key_jwt without key, two key sources and a key file that is not there', () => {
    expect(
      problemsOf(() =>
        // @ts-expect-error none is refused: the BFF is a confidential client
        resolveConfig({ sessionSecrets: [secret], tokenEndpointAuthMethod: 'none' }),
      ).join('\n'),
    ).toMatch(/tokenEndpointAuthMethod/);
    expect(
      problemsOf(() =>
        resolveConfig({ sessionSecrets: [secret], tokenEndpointAuthMethod: 'private_key_jwt' }),
      ),
    ).toEqual(['tokenEndpointAuthMethod: private_key_jwt needs clientKey (GATEHOUSE_CLIENT_KEY_FILE)']);
    expect(
      problemsOf(() =>
        resolveConfig({ sessionSecrets: [secret], clientKey: { file: '/nowhere/key.pem', jwk: '{}' } }),
      ),
    ).toEqual([
      'clientKey: give exactly one of file and jwk',
      'clientKey.file: /nowhere/key.pem does not exist',
    ]);
    expect(
      problemsOf(() => optionsFromEnv({ GATEHOUSE_CLIENT_KEY_FILE: '/a', GATEHOUSE_CLIENT_KEY: '{}' })),
    ).toEqual(['GATEHOUSE_CLIENT_KEY_FILE, GATEHOUSE_CLIENT_KEY: give one of them']);
  });

  it('reads the method, the key and the role maps from the environment', () => {
    const options = optionsFromEnv({
      GATEHOUSE_TOKEN_AUTH_METHOD: 'client_secret_post',
      GATEHOUSE_CLIENT_KEY: '{"kty":"EC"}',
      GATEHOUSE_ROLES: 'customer=orders:view profile:edit; support = orders:view_any',
      GATEHOUSE_TENANT_ROLES: 'org_admin=users:view,billing:edit',
    });
    expect(options.tokenEndpointAuthMethod).toBe('client_secret_post');
    expect(options.clientKey).toEqual({ jwk: '{"kty":"EC"}' });
    expect(options.roles).toEqual({
      customer: ['orders:view', 'profile:edit'],
      support: ['orders:view_any'],
    });
    expect(options.tenantRoles).toEqual({ org_admin: ['users:view', 'billing:edit'] });
  });

  it('refuses a role map that is not role=permission …, with every problem named', () => {
    const problems: string[] = [];
    parseRoleMap(
      'GATEHOUSE_ROLES',
      'customer=orders:view; =x:y; admin=Admin Access; customer=a:b; noequals',
      problems,
    );
    expect(problems).toEqual([
      'GATEHOUSE_ROLES: "=x:y" is not role=permission …',
      'GATEHOUSE_ROLES: "Admin" of role admin is not <domain>:<action>',
      'GATEHOUSE_ROLES: role customer is listed twice',
      'GATEHOUSE_ROLES: "noequals" is not role=permission …',
    ]);
  });
});

describe('loadClientKey', () => {
  const configWith = (clientKey: { file?: string; jwk?: string }) =>
    resolveConfig({ sessionSecrets: [secret], clientKey });

  it('loads PEM keys of each type with the algorithm of the key, and publishes only the public half', async () => {
    const cases = [
      [generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, 'RS256', 'RSA'],
      [generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'ES256', 'EC'],
      [generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey, 'ES384', 'EC'],
      [generateKeyPairSync('ed25519').privateKey, 'EdDSA', 'OKP'],
    ] as const;
    for (const [privateKey, alg, kty] of cases) {
      const file = join(dir, `${alg}.pem`);
      await writeFile(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
      const key = await loadClientKey(configWith({ file }));
      expect(key?.alg, alg).toBe(alg);
      expect(key?.publicJwk).toMatchObject({ kty, alg, use: 'sig', kid: key?.kid });
      for (const part of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key?.publicJwk).not.toHaveProperty(part);
    }
  });

  it('loads a private JWK inline, keeping its kid and alg', async () => {
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const key = await loadClientKey(
      configWith({ jwk: JSON.stringify({ ...jwk, kid: 'bff-1', alg: 'ES256' }) }),
    );
    expect(key).toMatchObject({ kid: 'bff-1', alg: 'ES256' });
  });

  it('refuses a public key, a symmetric key, garbage and an unreadable file with GH_BFF_CONFIG_INVALID', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const publicFile = join(dir, 'public.pem');
    await writeFile(publicFile, publicKey.export({ type: 'spki', format: 'pem' }));
    const garbage = join(dir, 'garbage.txt');
    await writeFile(garbage, 'not a key');
    const refusals: Array<[string, { file?: string; jwk?: string }]> = [
      ['the PEM is not a private key', { file: publicFile }],
      ['the key is not a private key', { jwk: JSON.stringify(publicKey.export({ format: 'jwk' })) }],
      ['the key is not a private key', { jwk: '{"kty":"oct","k":"c2VjcmV0"}' }],
      ['neither a PEM private key nor a JWK', { file: garbage }],
      ['the JWK is not an object', { jwk: '42' }],
    ];
    for (const [message, source] of refusals) {
      await expect(loadClientKey(configWith(source)), message).rejects.toMatchObject({
        code: 'GH_BFF_CONFIG_INVALID',
        message: `clientKey: ${message}`,
      });
    }
  });
});
