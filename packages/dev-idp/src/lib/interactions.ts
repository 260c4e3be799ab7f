import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Interaction, Provider } from 'oidc-provider';
import { DEFAULT_SECURITY_CODE, type DevIdpUser, devIdpAcr } from '../users.js';
import { errorPage, loginPage, sendPage } from './pages.js';

const MAX_FORM_BYTES = 16 * 1024;
const ROUTE = /^\/interaction\/([A-Za-z0-9_-]{1,128})(\/login|\/abort)?$/;

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

/** Reads an `application/x-www-form-urlencoded` body of at most 16 KiB. */
async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new HttpProblem(
      415,
      'invalid_request',
      'the form must be sent as application/x-www-form-urlencoded',
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) throw new HttpProblem(413, 'invalid_request', 'the form is too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function samePassword(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The error page for what went wrong: oidc-provider's own errors keep their status and code. */
function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof HttpProblem) {
    sendPage(res, error.status, errorPage(error.error, error.description));
    return;
  }
  const oidc = error as { status?: unknown; error?: unknown; error_description?: unknown };
  if (typeof oidc.status === 'number' && oidc.status < 500 && typeof oidc.error === 'string') {
    const description = typeof oidc.error_description === 'string' ? oidc.error_description : undefined;
    sendPage(res, oidc.status, errorPage(oidc.error, description));
    return;
  }
  sendPage(res, 500, errorPage('server_error', 'the dev identity provider failed to handle this request'));
}

/** What the interaction routes share: the provider and the users who may sign in. */
interface Interactions {
  readonly provider: Provider;
  readonly byLogin: ReadonlyMap<string, DevIdpUser>;
  readonly logins: readonly string[];
}

async function clientName(provider: Provider, clientId: unknown): Promise<string> {
  if (typeof clientId !== 'string') return 'the application';
  const client = await provider.Client.find(clientId);
  return client?.clientName ?? clientId;
}

/** The interaction in progress for this browser, which must be the one the page's uid names. */
async function details(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
): Promise<Interaction> {
  const interaction = await provider.interactionDetails(req, res);
  if (interaction.uid !== uid) {
    throw new HttpProblem(400, 'invalid_request', 'this sign-in page does not belong to the current sign-in');
  }
  return interaction;
}

/** Every registered client is first party: grant what the consent prompt found missing, then go on. */
async function grantConsent(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  interaction: Interaction,
): Promise<void> {
  const { prompt, params, session, grantId: existing } = interaction;
  const accountId = session?.accountId;
  if (!accountId || typeof params.client_id !== 'string') {
    throw new HttpProblem(400, 'invalid_request', 'no signed-in user for this consent');
  }
  const grant =
    (existing ? await provider.Grant.find(existing) : undefined) ??
    new provider.Grant({ accountId, clientId: params.client_id });
  const missing = prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(resource, scopes.join(' '));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: existing === grantId ? {} : { grantId } });
}

/** `GET /interaction/:uid`: the login form (the `login_hint` user chosen), or consent granted on the spot. */
async function showInteraction(
  routes: Interactions,
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw new HttpProblem(405, 'invalid_request', 'method not allowed');
  }
  const interaction = await details(routes.provider, req, res, uid);
  if (interaction.prompt.name === 'consent') {
    await grantConsent(routes.provider, req, res, interaction);
    return;
  }
  if (interaction.prompt.name !== 'login') {
    throw new HttpProblem(400, 'invalid_request', `unsupported prompt ${interaction.prompt.name}`);
  }
  const hint = typeof interaction.params.login_hint === 'string' ? interaction.params.login_hint : '';
  const login = routes.byLogin.has(hint) ? hint : '';
  const name = await clientName(routes.provider, interaction.params.client_id);
  sendPage(res, 200, loginPage({ uid, clientName: name, logins: routes.logins, login }));
}

/** `POST /interaction/:uid/abort`: the request ends with `access_denied` at the client's redirect URI. */
async function abort(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<void> {
  await provider.interactionFinished(
    req,
    res,
    { error: 'access_denied', error_description: 'the user cancelled the sign-in' },
    { mergeWithLastSubmission: false },
  );
}

/**
 * `POST /interaction/:uid/login`: the login finished for the right login, password (and security code, when
 * one is typed: `acr` loa:2), or the form again with an error.
 */
async function submitLogin(
  routes: Interactions,
  req: IncomingMessage,
  res: ServerResponse,
  form: URLSearchParams,
  interaction: Interaction,
): Promise<void> {
  if (interaction.prompt.name !== 'login') {
    throw new HttpProblem(400, 'invalid_request', 'this sign-in is not waiting for a login');
  }
  const login = form.get('login')?.trim() ?? '';
  const password = form.get('password') ?? '';
  const code = form.get('code')?.trim() ?? '';
  const user = routes.byLogin.get(login);
  // With a security code the sign-in is the stronger class; a wrong code fails like a wrong password.
  const codeOk = code === '' || (user && samePassword(code, user.securityCode ?? DEFAULT_SECURITY_CODE));
  if (!user || !samePassword(password, user.password ?? user.login) || !codeOk) {
    sendPage(
      res,
      200,
      loginPage({
        uid: interaction.uid,
        clientName: await clientName(routes.provider, interaction.params.client_id),
        logins: routes.logins,
        login,
        error: 'Wrong user name, password or security code.',
      }),
    );
    return;
  }
  await routes.provider.interactionFinished(
    req,
    res,
    code === ''
      ? { login: { accountId: user.sub, acr: devIdpAcr.password, amr: ['pwd'] } }
      : { login: { accountId: user.sub, acr: devIdpAcr.securityCode, amr: ['pwd', 'otp'] } },
    { mergeWithLastSubmission: false },
  );
}

/**
 * The login interaction, mounted at `/interaction/:uid` (oidc-provider's `interactions.url`):
 * - `GET` shows the login form, or grants consent on the spot (every registered client is first party);
 * - `POST …/login` checks `login`/`password` (and the security code when one is typed: `acr` loa:2) and
 *   finishes the login, or shows the form again with an error;
 * - `POST …/abort` ends the request with `access_denied` at the client's redirect URI.
 * The interaction cookie that oidc-provider sets (path-bound to the uid, `SameSite=Lax`) ties the form to the
 * browser that started the request; a uid that does not match that cookie is refused.
 */
export function createInteractionHandler(
  provider: Provider,
  users: readonly DevIdpUser[],
  onError: (error: unknown) => void,
): (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<void> {
  const routes: Interactions = {
    provider,
    byLogin: new Map(users.map((user) => [user.login, user])),
    logins: users.map((user) => user.login),
  };

  return async function handleInteraction(req, res, pathname) {
    try {
      const match = ROUTE.exec(pathname);
      const uid = match?.[1];
      if (!uid) throw new HttpProblem(404, 'not_found', 'no such page');
      const action = match[2];
      if (!action) {
        await showInteraction(routes, req, res, uid);
        return;
      }
      if (req.method !== 'POST') throw new HttpProblem(405, 'invalid_request', 'method not allowed');
      const form = await readForm(req);
      const interaction = await details(provider, req, res, uid);
      if (action === '/abort') await abort(provider, req, res);
      else await submitLogin(routes, req, res, form, interaction);
    } catch (error) {
      if (!(error instanceof HttpProblem)) onError(error);
      sendError(res, error);
    }
  };
}
