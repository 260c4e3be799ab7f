import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { freePort } from '@gatehouse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../src/errors.js';
import { discoverIssuer } from '../src/lib/discovery.js';

// A real issuer over HTTP whose answer each test chooses: discovery's rules hold whatever the issuer says.
type Answer = (req: IncomingMessage, res: ServerResponse) => void;
let answer: Answer = (_req, res) => res.writeHead(404).end();
const seen: string[] = [];
let base = '';
const server = createServer((req, res) => {
  seen.push(req.url ?? '');
  answer(req, res);
});

beforeAll(async () => {
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const json =
  (body: unknown, status = 200): Answer =>
  (_req, res) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

async function refusal(issuer: string, timeoutMs = 2000): Promise<ApiError> {
  const error = await discoverIssuer(issuer, timeoutMs).then(
    () => new Error('expected a refusal'),
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(ApiError);
  expect((error as ApiError).code).toBe('GH_API_ISSUER_UNAVAILABLE');
  return error as ApiError;
}

describe('discoverIssuer', () => {
  it('reads jwks_uri from <issuer>/.well-known/openid-configuration, with or without a path', async () => {
    answer = (req, res) => {
      const issuer = req.url?.startsWith('/realms/shop/') ? `${base}/realms/shop` : base;
      json({ issuer, jwks_uri: `${issuer}/jwks` })(req, res);
    };
    expect(await discoverIssuer(base, 2000)).toEqual({ issuer: base, jwksUri: `${base}/jwks` });
    expect(await discoverIssuer(`${base}/realms/shop`, 2000)).toEqual({
      issuer: `${base}/realms/shop`,
      jwksUri: `${base}/realms/shop/jwks`,
    });
    expect(seen.slice(-2)).toEqual([
      '/.well-known/openid-configuration',
      '/realms/shop/.well-known/openid-configuration',
    ]);
  });

  it('refuses a document whose issuer differs at all, even by a trailing slash (mix-up)', async () => {
    answer = json({ issuer: `${base}/`, jwks_uri: `${base}/jwks` });
    expect((await refusal(base)).message).toMatch(/names another issuer/);
    answer = json({ issuer: 'http://127.0.0.1:1', jwks_uri: `${base}/jwks` });
    expect((await refusal(base)).cause).toBeDefined();
  });

  it('does not follow redirects', async () => {
    answer = (req, res) => {
      if (req.url === '/elsewhere') json({ issuer: base, jwks_uri: `${base}/jwks` })(req, res);
      else res.writeHead(302, { location: `${base}/elsewhere` }).end();
    };
    const before = seen.length;
    expect((await refusal(base)).message).toMatch(/answered 302/);
    expect(seen.slice(before)).toEqual(['/.well-known/openid-configuration']);
  });

  it('gives up after the timeout, keeping the cause', async () => {
    answer = () => {}; // never answers
    const error = await refusal(base, 200);
    expect(error.message).toMatch(/request failed/);
    expect((error.cause as Error).name).toBe('TimeoutError');
  });

  it('refuses a jwks_uri that is missing, not a URL, or on another scheme than the issuer', async () => {
    answer = json({ issuer: base });
    expect((await refusal(base)).message).toMatch(/no jwks_uri/);
    answer = json({ issuer: base, jwks_uri: 'not a url' });
    expect((await refusal(base)).message).toMatch(/jwks_uri is not a URL/);
    answer = json({ issuer: base, jwks_uri: 'https://127.0.0.1/jwks' });
    expect((await refusal(base)).message).toMatch(/another scheme/);
    answer = json({ issuer: base, jwks_uri: 'file:///etc/passwd' });
    expect((await refusal(base)).message).toMatch(/another scheme/);
  });

  it('refuses an error status, a body that is not JSON, and an unreachable issuer', async () => {
    answer = json({ error: 'down' }, 500);
    expect((await refusal(base)).message).toMatch(/answered 500/);
    answer = (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>');
    expect((await refusal(base)).message).toMatch(/unusable document/);
    const closed = await freePort();
    const error = await refusal(`http://127.0.0.1:${closed}`);
    expect(error.message).toMatch(/request failed/);
    expect(error.cause).toBeDefined();
  });
});
