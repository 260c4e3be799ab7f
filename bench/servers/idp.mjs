// The real dev IdP (oidc-provider) in its own process, for the refresh storm, the Chromium figures and the load
// test: it counts the grants it answers (by grant type) and its back-channel logout deliveries, and tells the
// bench over IPC (`stats`). Options come as JSON in BENCH_IDP_OPTIONS:
//   { bffBaseUrl, backchannelUrl?, ttl?, extraUsers? }
// `bffBaseUrl` is the BFF's public URL (its client's redirect and post-logout URIs); `backchannelUrl` sends the
// logout tokens elsewhere (another instance); `extraUsers: N` adds users load0001…loadN (password = login).
import { bffClient, createDevIdp, demoUsers } from '@gatehouse/dev-idp';
import { readyOnIpc } from '../lib/child.mjs';

const options = JSON.parse(process.env.BENCH_IDP_OPTIONS ?? '{}');
const client = bffClient({ baseUrl: options.bffBaseUrl });
const extra = Array.from({ length: options.extraUsers ?? 0 }, (_, i) => {
  const login = `load${String(i + 1).padStart(4, '0')}`;
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

const stats = { grants: {}, grantErrors: {}, backchannel: { success: 0, error: 0 } };
idp.provider.on('grant.success', (ctx) => {
  const type = String(ctx.oidc?.params?.grant_type ?? 'unknown');
  stats.grants[type] = (stats.grants[type] ?? 0) + 1;
});
idp.provider.on('grant.error', (ctx, error) => {
  const type = String(ctx.oidc?.params?.grant_type ?? 'unknown');
  const key = `${type}:${error?.error ?? error?.name ?? 'error'}`;
  stats.grantErrors[key] = (stats.grantErrors[key] ?? 0) + 1;
});
idp.provider.on('backchannel.success', () => {
  stats.backchannel.success++;
});
idp.provider.on('backchannel.error', () => {
  stats.backchannel.error++;
});

process.on('message', (message) => {
  if (message?.type === 'stats') process.send?.({ type: 'stats', ...structuredClone(stats) });
});

readyOnIpc(idp.issuer, () => idp.close());
