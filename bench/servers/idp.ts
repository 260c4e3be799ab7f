// The real dev IdP (oidc-provider) in its own process, for the refresh storm, the session store, the Chromium
// figures and the load test: it counts the grants it answers (by grant type) and its back-channel logout
// deliveries, and tells the bench over IPC (`stats`). Options come as JSON in BENCH_IDP_OPTIONS (IdpOptions).
import { bffClient, createDevIdp, type DevIdpTtl, type DevIdpUser, demoUsers } from '@gatehouse/dev-idp';
import { ssfEventTypes } from '@gatehouse/policy';
import { answerOnIpc, answerOnIpcWith, optionsFromEnv, readyOnIpc } from '../lib/child.js';
import { loadUser } from '../lib/load-users.js';

/** BENCH_IDP_OPTIONS. */
export interface IdpOptions {
  /** The BFF's public URL (its client's redirect and post-logout URIs). */
  readonly bffBaseUrl: string;
  /** Sends the logout tokens elsewhere (another instance). */
  readonly backchannelUrl?: string;
  readonly ttl?: DevIdpTtl;
  /** Adds users load0001…loadN (password = login). */
  readonly extraUsers?: number;
}

/** The answer to `stats`. */
export interface IdpStats {
  /** Grants answered, by grant type (`authorization_code`, `refresh_token`). */
  readonly grants: Record<string, number>;
  /** Grants refused, by `<grant type>:<error>`. */
  readonly grantErrors: Record<string, number>;
  readonly backchannel: { readonly success: number; readonly error: number };
}

/** The answer to `ssf`: the receiver's status, and when the push left (epoch ms). */
export interface SsfPushAnswer {
  readonly status: number;
  readonly sentAt: number;
}

const options = optionsFromEnv<IdpOptions>('BENCH_IDP_OPTIONS');
const client = bffClient({ baseUrl: options.bffBaseUrl });
const extra = Array.from({ length: options.extraUsers ?? 0 }, (_, i): DevIdpUser => {
  const login = loadUser(i + 1);
  return {
    login,
    sub: `user_${login}`,
    name: `Load ${i + 1}`,
    email: `${login}@example.com`,
    roles: ['customer'],
    tenants: [],
    locale: 'en-US',
    currency: 'USD',
  };
});

const idp = await createDevIdp({
  port: 0,
  clients: [options.backchannelUrl ? { ...client, backchannel_logout_uri: options.backchannelUrl } : client],
  users: [...demoUsers, ...extra],
  ...(options.ttl ? { ttl: options.ttl } : {}),
});

const stats = {
  grants: {} as Record<string, number>,
  grantErrors: {} as Record<string, number>,
  backchannel: { success: 0, error: 0 },
};
/** The grant type of a token request, from oidc-provider's context. */
const grantType = (ctx: { oidc?: { params?: { grant_type?: unknown } } }) =>
  String(ctx.oidc?.params?.grant_type ?? 'unknown');
idp.provider.on('grant.success', (ctx) => {
  const type = grantType(ctx);
  stats.grants[type] = (stats.grants[type] ?? 0) + 1;
});
idp.provider.on('grant.error', (ctx, error: { error?: string; name?: string } | undefined) => {
  const key = `${grantType(ctx)}:${error?.error ?? error?.name ?? 'error'}`;
  stats.grantErrors[key] = (stats.grantErrors[key] ?? 0) + 1;
});
idp.provider.on('backchannel.success', () => {
  stats.backchannel.success++;
});
idp.provider.on('backchannel.error', () => {
  stats.backchannel.error++;
});

answerOnIpc('stats', (): IdpStats => structuredClone(stats));
// A CAEP `session-revoked` SET about user `sub`, signed and pushed to a receiver (the BFF's `sharedSignals`).
answerOnIpcWith('ssf', async (question: { endpoint: string; sub: string }): Promise<SsfPushAnswer> => {
  const sentAt = Date.now();
  const pushed = await idp.transmitter.push(
    { endpoint: question.endpoint, audience: client.client_id },
    { type: ssfEventTypes.sessionRevoked, subject: idp.transmitter.subject(question.sub) },
  );
  return { status: pushed.status, sentAt };
});
readyOnIpc(idp.issuer, () => idp.close());
