import { createServer, type Server } from 'node:http';
import { freePort } from '@gatehouse/testing';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';

/**
 * A deliberately configurable OpenID provider for negative tests (docs/security-requirements.md#b14, #f35): it signs ID and
 * logout tokens with its own RSA key, and a test can make it answer with a chosen defect. Real HTTP,
 * real signatures; only the defects are staged.
 */
export interface MockOp {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Claims to override in the next ID tokens (`undefined` removes a claim). */
  idTokenOverrides: Record<string, unknown>;
  /** The `sid` the next login gets. */
  nextSid: string;
  /** Signs any JWT with the provider's key (and header), e.g. a logout token. */
  sign(payload: JWTPayload, header?: Record<string, unknown>): Promise<string>;
  /** A valid back-channel logout token for `sid`/`sub`, with overrides. */
  logoutToken(
    claims: { sid?: string; sub?: string } & Record<string, unknown>,
    header?: Record<string, unknown>,
  ): Promise<string>;
  close(): Promise<void>;
}

export async function startMockOp(clientId = 'gatehouse-bff', clientSecret = 'mock-secret'): Promise<MockOp> {
  const port = await freePort();
  const issuer = `http://localhost:${port}`;
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'mock-1', alg: 'RS256', use: 'sig' };
  const codes = new Map<string, { nonce: string; sub: string }>();
  let counter = 0;

  const sign = (payload: JWTPayload, header: Record<string, unknown> = {}) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: 'mock-1', ...header }).sign(privateKey);

  const op: MockOp = {
    issuer,
    clientId,
    clientSecret,
    idTokenOverrides: {},
    nextSid: 'sid-1',
    sign,
    logoutToken: (claims, header = {}) => {
      const now = Math.floor(Date.now() / 1000);
      const payload: Record<string, unknown> = {
        iss: issuer,
        aud: clientId,
        iat: now,
        exp: now + 120,
        jti: `jti-${++counter}-${Math.random()}`,
        events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
        ...claims,
      };
      for (const [key, value] of Object.entries(payload)) if (value === undefined) delete payload[key];
      return sign(payload as JWTPayload, { typ: 'logout+jwt', ...header });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        end_session_endpoint: `${issuer}/logout`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
        authorization_response_iss_parameter_supported: true,
        backchannel_logout_supported: true,
        backchannel_logout_session_supported: true,
      });
    }
    if (url.pathname === '/jwks') return json(200, { keys: [jwk] });
    if (url.pathname === '/authorize') {
      const code = `code-${++counter}`;
      codes.set(code, {
        nonce: url.searchParams.get('nonce') ?? '',
        sub: url.searchParams.get('login_hint') ?? 'user_mock',
      });
      const target = new URL(url.searchParams.get('redirect_uri') ?? '');
      target.searchParams.set('code', code);
      target.searchParams.set('state', url.searchParams.get('state') ?? '');
      target.searchParams.set('iss', issuer);
      res.writeHead(302, { location: target.href });
      return res.end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        // RFC 6749 §2.3.1: id and secret are form-urlencoded before base64.
        const basic = Buffer.from(
          (req.headers.authorization ?? '').replace(/^Basic /, ''),
          'base64',
        ).toString();
        const [id, secret] = basic.split(':').map((part) => decodeURIComponent(part.replaceAll('+', ' ')));
        if (id !== clientId || secret !== clientSecret) return json(401, { error: 'invalid_client' });
        if (form.get('grant_type') === 'refresh_token') {
          return json(200, {
            access_token: `at-${++counter}`,
            token_type: 'Bearer',
            expires_in: 300,
            refresh_token: `rt-${counter}`,
          });
        }
        const grant = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        if (!grant) return json(400, { error: 'invalid_grant' });
        const now = Math.floor(Date.now() / 1000);
        const claims: Record<string, unknown> = {
          iss: issuer,
          aud: clientId,
          sub: grant.sub,
          nonce: grant.nonce,
          sid: op.nextSid,
          iat: now,
          exp: now + 300,
          name: 'Mock User',
          roles: ['customer'],
          ...op.idTokenOverrides,
        };
        for (const [key, value] of Object.entries(claims)) if (value === undefined) delete claims[key];
        return json(200, {
          access_token: `at-${++counter}`,
          token_type: 'Bearer',
          expires_in: 300,
          refresh_token: `rt-${counter}`,
          id_token: await sign(claims as JWTPayload),
        });
      });
      return;
    }
    json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return op;
}

/** A BFF in front of a {@link MockOp}, on a free port. */
export interface MockOpStack {
  readonly op: MockOp;
  readonly bffUrl: string;
  close(): Promise<void>;
}

/** Starts a mock OP and a BFF configured for it (the negative tests' stand). */
export async function startMockOpStack(): Promise<MockOpStack> {
  const { createBffServer, createLogger, resolveConfig } = await import('../../src/index.js');
  const { LogCapture, SECRET } = await import('./stack.js');
  const op = await startMockOp();
  const port = await freePort();
  const bffUrl = `http://localhost:${port}`;
  const config = resolveConfig({
    publicUrl: bffUrl,
    port,
    issuer: op.issuer,
    clientSecret: op.clientSecret,
    sessionSecrets: [SECRET],
  });
  const bff = await (
    await createBffServer({ config, logger: createLogger('debug', new LogCapture()) })
  ).listen();
  return {
    op,
    bffUrl,
    close: async () => {
      await bff.close();
      await op.close();
    },
  };
}
