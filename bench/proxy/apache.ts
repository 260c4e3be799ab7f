// Apache httpd + mod_auth_openidc, the reference of issues 2 and 7, measured in the same run as the BFF: finding
// the binary and the module (the scenario is skipped with the reason when either is missing), the dev IdP
// client Apache signs in with, and the self-contained configuration `proxy/servers/apache.ts` runs.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DevIdpClient } from '@gatehouse/dev-idp';

/** Where mod_auth_openidc receives the authorization response (its `OIDCRedirectURI`), under its own location. */
export const APACHE_CALLBACK_PATH = '/oidc/callback';
/** The dev IdP client id of the Apache relying party. */
export const APACHE_CLIENT_ID = 'bench-mod-auth-openidc';
/** mod_auth_openidc's session cookie (`OIDCSessionCookieName`'s default). */
export const APACHE_SESSION_COOKIE = 'mod_auth_openidc_session';
/**
 * mpm_event sizing: processes × threads per process. 2 × 32 threads serve the bench's 32 connections even if
 * every one of them lands on one process; Debian's default is 2 processes at start, 25 threads each.
 */
export const APACHE_PROCESSES = 2;
/** Threads per mpm_event process (see {@link APACHE_PROCESSES}). */
export const APACHE_THREADS = 32;

const BINARIES = ['/usr/sbin/apache2', '/usr/sbin/httpd', '/usr/local/apache2/bin/httpd'];
const MODULE_DIRS = ['/usr/lib/apache2/modules', '/usr/lib64/httpd/modules', '/usr/lib/httpd/modules'];
/** Modules loaded, in order (mod_unixd is compiled into Debian's and most builds; loaded when it is not). */
export const APACHE_MODULES = [
  'mpm_event',
  'unixd',
  'authn_core',
  'authz_core',
  'authz_user',
  'auth_openidc',
  'headers',
  'proxy',
  'proxy_http',
];

/** Apache and mod_auth_openidc, found. */
export interface ApacheInstall {
  readonly ok: true;
  /** e.g. `/usr/sbin/apache2` */
  readonly binary: string;
  /** e.g. `/usr/lib/apache2/modules` */
  readonly modulesDir: string;
  /** Modules compiled into the binary (`-l`), e.g. `mod_unixd.c`. */
  readonly builtIn: readonly string[];
  /** e.g. `Apache/2.4.71 (Debian), mod_auth_openidc 2.4.12.3` */
  readonly version: string;
}

/** Why Apache cannot run, when it cannot. */
export interface ApacheMissing {
  readonly ok: false;
  readonly reason: string;
}

/**
 * Finds Apache and mod_auth_openidc (`BENCH_APACHE` and `BENCH_APACHE_MODULES` override the binary and the
 * modules folder), or answers why the scenario cannot run.
 */
export function findApache(env: NodeJS.ProcessEnv = process.env): ApacheInstall | ApacheMissing {
  const install = 'apt-get install -y apache2 libapache2-mod-auth-openidc';
  const binary = env.BENCH_APACHE || BINARIES.find((path) => existsSync(path));
  if (!binary || !existsSync(binary)) return { ok: false, reason: `Apache httpd not found (${install})` };
  const modulesDir = env.BENCH_APACHE_MODULES || MODULE_DIRS.find((dir) => existsSync(dir));
  const missing = APACHE_MODULES.filter(
    (name) => name !== 'unixd' && !(modulesDir && existsSync(join(modulesDir, `mod_${name}.so`))),
  );
  if (!modulesDir || missing.length > 0) {
    return {
      ok: false,
      reason: `Apache module(s) ${missing.map((name) => `mod_${name}`).join(', ')} not found in ${modulesDir ?? MODULE_DIRS.join(' or ')} (${install})`,
    };
  }
  const probe = spawnSync(binary, ['-v'], { encoding: 'utf8' });
  const version = /Server version:\s*(.+)/.exec(probe.stdout ?? '')?.[1]?.trim();
  if (!version) return { ok: false, reason: `${binary} -v failed: ${probe.error?.message ?? probe.stderr}` };
  const builtIn = (spawnSync(binary, ['-l'], { encoding: 'utf8' }).stdout ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.endsWith('.c'));
  // The module's version, from its package (dpkg or rpm); the binary does not print it without a request.
  const packageVersion = (command: string, args: string[]) => {
    const answer = spawnSync(command, args, { encoding: 'utf8' });
    return answer.status === 0 ? answer.stdout.trim() : '';
  };
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
  const dpkgFormat = '-f=${Version}';
  const moduleVersion = (
    packageVersion('dpkg-query', ['-W', dpkgFormat, 'libapache2-mod-auth-openidc']) ||
    packageVersion('rpm', ['-q', '--qf', '%{VERSION}', 'mod_auth_openidc'])
  ).split(/[-+]/)[0];
  return {
    ok: true,
    binary,
    modulesDir,
    builtIn,
    version: `${version}, mod_auth_openidc ${moduleVersion || '(version unknown)'}`,
  };
}

/**
 * The dev IdP client of the Apache relying party at `baseUrl`, in the shape of `bffClient()`: confidential,
 * exact redirect URI, authorization code (+ refresh token, as a deployment would register it),
 * `client_secret_basic`. PKCE S256 is required by the dev IdP; mod_auth_openidc sends it (`OIDCPKCEMethod`).
 */
export function apacheClient({
  baseUrl,
  clientSecret,
}: {
  baseUrl: string;
  clientSecret: string;
}): DevIdpClient {
  const root = baseUrl.replace(/\/+$/, '');
  return {
    client_id: APACHE_CLIENT_ID,
    client_secret: clientSecret,
    client_name: 'Apache mod_auth_openidc (bench)',
    redirect_uris: [`${root}${APACHE_CALLBACK_PATH}`],
    post_logout_redirect_uris: [`${root}/`],
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: 'client_secret_basic',
  };
}

/** A value for a double-quoted Apache directive argument. */
const quoted = (value: string | number) =>
  `"${String(value).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

/** Where the Apache relying party of one run listens and what it talks to (BENCH_APACHE_OPTIONS). */
export interface ApacheRp {
  /** Listens on 127.0.0.1:<port>. */
  readonly port: number;
  /** e.g. `http://127.0.0.1:<port>` (the redirect URI's origin). */
  readonly publicUrl: string;
  /** The dev IdP's issuer (discovery at `<issuer>/.well-known/openid-configuration`). */
  readonly issuer: string;
  readonly clientSecret: string;
  /** e.g. `http://127.0.0.1:<port>` */
  readonly upstream: string;
}

/** What {@link apacheConfig} writes the configuration for. */
export interface ApacheConfigOptions extends ApacheRp {
  /** The temporary ServerRoot (PidFile, ErrorLog, runtime files). */
  readonly dir: string;
  readonly install: ApacheInstall;
  /** Encrypts mod_auth_openidc's state and session cache entries. */
  readonly cryptoPassphrase: string;
  /** `User`/`Group` (when running as root). */
  readonly user?: string | undefined;
}

/**
 * The whole httpd.conf: nothing from /etc/apache2 is read. Runs as `www-data` only when started as root.
 * One template, so the configuration can be read in one piece beside bench/README.md's description of it.
 */
export function apacheConfig(options: ApacheConfigOptions): string {
  const { dir, install, port, publicUrl, issuer, clientSecret, cryptoPassphrase, upstream, user } = options;
  const load = APACHE_MODULES.filter((name) => !install.builtIn.includes(`mod_${name}.c`)).map(
    (name) => `LoadModule ${name}_module ${quoted(join(install.modulesDir, `mod_${name}.so`))}`,
  );
  const threads = APACHE_THREADS;
  return `# Written by bench/proxy/servers/apache.ts for one bench run; see bench/README.md.
ServerRoot ${quoted(dir)}
DefaultRuntimeDir ${quoted(dir)}
PidFile ${quoted(join(dir, 'httpd.pid'))}
ErrorLog ${quoted(join(dir, 'error.log'))}
LogLevel warn
# No access log: the BFF and reply-from write none either.
# Mutexes: the platform's default mechanism; any lock files go to DefaultRuntimeDir, the folder above.
Mutex default
ServerName localhost
Listen 127.0.0.1:${port}
${user ? `User ${user}\nGroup ${user}\n` : ''}
${load.join('\n')}

# mpm_event: ${APACHE_PROCESSES} processes × ${threads} threads, all started at once and never recycled.
StartServers ${APACHE_PROCESSES}
ServerLimit ${APACHE_PROCESSES}
ThreadLimit ${threads}
ThreadsPerChild ${threads}
MaxRequestWorkers ${APACHE_PROCESSES * threads}
MinSpareThreads ${threads}
MaxSpareThreads ${APACHE_PROCESSES * threads}
MaxConnectionsPerChild 0
# Client keep-alive without a request limit (Node's servers have none).
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 60
Timeout 30

# mod_auth_openidc, the relying party of the bench's dev IdP.
OIDCProviderMetadataURL ${quoted(`${issuer}/.well-known/openid-configuration`)}
OIDCClientID ${quoted(APACHE_CLIENT_ID)}
OIDCClientSecret ${quoted(clientSecret)}
OIDCProviderTokenEndpointAuth client_secret_basic
OIDCRedirectURI ${quoted(`${publicUrl}${APACHE_CALLBACK_PATH}`)}
OIDCCryptoPassphrase ${quoted(cryptoPassphrase)}
OIDCPKCEMethod S256
OIDCScope "openid profile offline_access"
# Sessions in the server-side cache (the default), which is shared memory (the default).
OIDCSessionType server-cache
OIDCCacheType shm
# Claims and the access token as environment variables only (the default adds OIDC_CLAIM_* request headers
# for the upstream, which the BFF does not send).
OIDCPassClaimsAs environment

<Location /oidc/>
  AuthType openid-connect
  Require valid-user
</Location>

# The API: session cookie checked, its access token attached as a bearer token, the cookie header dropped
# (as the BFF does), proxied over the worker's pool of keep-alive connections.
<Location /api/bench/>
  AuthType openid-connect
  Require valid-user
  RequestHeader set Authorization "Bearer %{OIDC_access_token}e"
  RequestHeader unset Cookie
</Location>
ProxyPass /api/bench/ ${quoted(`${upstream}/`)} ttl=60
ProxyTimeout 30
`;
}
