import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

// LemonLDAP::NG (Debian's `lemonldap-ng` package) as an independent OpenID Connect provider for interop tests:
// its portal runs under Plack (the PSGI server its own FastCGI wrapper uses), configured from files this
// module writes into a temporary directory, on a free loopback port. Its Demo backend signs in `dwho`,
// `rtyler` and `msmith` with the login as password.

/** Where Debian installs what the harness runs. */
const PORTAL_MODULE = '/usr/share/perl5/Lemonldap/NG/Portal/Main.pm';
const PLACKUP = '/usr/bin/plackup';
const STATIC_DIR = '/usr/share/lemonldap-ng/portal/htdocs/static';
const TEMPLATE_DIR = '/usr/share/lemonldap-ng/portal/templates';

/** Says why LemonLDAP::NG cannot run here, or `undefined` when it can. */
export function lemonLdapMissing(): string | undefined {
  if (!existsSync(PORTAL_MODULE)) return 'LemonLDAP::NG is not installed (apt-get install -y lemonldap-ng)';
  if (!existsSync(PLACKUP)) return 'plackup is not installed (apt-get install -y libplack-perl)';
  return undefined;
}

/** One relying party (client) registered at the LemonLDAP::NG provider. */
export interface LemonLdapClient {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Exact redirect URIs. */
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris?: readonly string[];
  /** Front-channel logout URL (LemonLDAP::NG 2.16 has no back-channel logout): `iss` and `sid` are added. */
  readonly frontchannelLogoutUri?: string;
  /** Access-token lifetime in seconds (LemonLDAP::NG's default: 3600). */
  readonly accessTokenTtl?: number;
  /**
   * Put the profile and roles claims in the ID token too. LemonLDAP::NG's default (false) sends them from
   * userinfo only, which is how most deployments run it.
   */
  readonly claimsInIdToken?: boolean;
}

/** Options of {@link startLemonLdap}. */
export interface LemonLdapOptions {
  readonly clients: readonly LemonLdapClient[];
  /**
   * The roles claim of each demo user (`dwho`, `rtyler`, `msmith`), sent as the `roles` claim (an array) in
   * the ID token and from userinfo. Default: dwho `admin` and `customer`, the others `customer`.
   */
  readonly roles?: Readonly<Record<string, readonly string[]>>;
  /**
   * The issuer's host name (`127.0.0.1` by default). `localhost` puts the provider on the same site as a BFF on
   * `localhost`, as a deployment on sibling subdomains is: the BFF's `SameSite=Lax` cookie then travels with
   * the provider's front-channel logout frames.
   */
  readonly hostname?: 'localhost' | '127.0.0.1';
}

/** A running LemonLDAP::NG provider. */
export interface LemonLdap {
  /** The issuer (`http://127.0.0.1:<port>`), as its discovery document names it. */
  readonly issuer: string;
  /** The portal's log lines so far (warnings and errors). */
  log(): string;
  close(): Promise<void>;
}

const DEFAULT_ROLES: Readonly<Record<string, readonly string[]>> = {
  dwho: ['admin', 'customer'],
  rtyler: ['customer'],
  msmith: ['customer'],
};

/** A Perl single-quoted string literal. */
const perlString = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function rolesMacro(roles: Readonly<Record<string, readonly string[]>>): string {
  // LemonLDAP::NG multi-valued attributes are joined by its multiValuesSeparator, `; ` by default.
  const branches = Object.entries(roles).map(
    ([user, list]) => `$uid eq ${perlString(user)} ? ${perlString(list.join('; '))} : `,
  );
  return `${branches.join('')}''`;
}

function relyingParty(client: LemonLdapClient): Record<string, unknown> {
  return {
    oidcRPMetaDataOptionsClientID: client.clientId,
    oidcRPMetaDataOptionsClientSecret: client.clientSecret,
    oidcRPMetaDataOptionsRedirectUris: client.redirectUris.join(' '),
    oidcRPMetaDataOptionsPostLogoutRedirectUris: (client.postLogoutRedirectUris ?? []).join(' '),
    oidcRPMetaDataOptionsIDTokenSignAlg: 'RS256',
    // JWT access tokens (RFC 9068 style), so a domain API can verify them with the issuer's keys.
    oidcRPMetaDataOptionsAccessTokenJWT: 1,
    oidcRPMetaDataOptionsRefreshToken: 1,
    oidcRPMetaDataOptionsAllowOffline: 1,
    oidcRPMetaDataOptionsBypassConsent: 1,
    oidcRPMetaDataOptionsRequirePKCE: 1,
    oidcRPMetaDataOptionsIDTokenForceClaims: client.claimsInIdToken ? 1 : 0,
    ...(client.accessTokenTtl ? { oidcRPMetaDataOptionsAccessTokenExpiration: client.accessTokenTtl } : {}),
    ...(client.frontchannelLogoutUri
      ? {
          oidcRPMetaDataOptionsLogoutUrl: client.frontchannelLogoutUri,
          oidcRPMetaDataOptionsLogoutType: 'front',
          oidcRPMetaDataOptionsLogoutSessionRequired: 1,
        }
      : {}),
    // What an operator sets for the BFF: a sign-out that names the user with id_token_hint is not asked again.
    oidcRPMetaDataOptionsLogoutBypassConfirm: 1,
  };
}

/** The whole `lmConf-1.json`: Demo authentication, file sessions under `dir`, the OpenID Connect provider. */
function configuration(dir: string, issuer: string, options: LemonLdapOptions): Record<string, unknown> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rps = Object.fromEntries(options.clients.map((client, i) => [`rp${i}`, client] as const));
  const storage = (name: string) => ({ Directory: join(dir, name), LockDirectory: join(dir, name, 'lock') });
  return {
    cfgNum: 1,
    cfgVersion: '2.16.1',
    cfgAuthor: 'gatehouse tests',
    cfgDate: '1700000000',
    authentication: 'Demo',
    userDB: 'Same',
    passwordDB: 'Demo',
    registerDB: 'Demo',
    demoExportedVars: { cn: 'cn', mail: 'mail', uid: 'uid' },
    exportedVars: {},
    exportedHeaders: {},
    locationRules: {},
    applicationList: {},
    groups: {},
    macros: { _whatToTrace: '$uid', roles: rolesMacro(options.roles ?? DEFAULT_ROLES) },
    domain: new URL(issuer).hostname,
    cookieName: 'lemonldap',
    securedCookie: 0,
    portal: `${issuer}/`,
    globalStorage: 'Apache::Session::File',
    globalStorageOptions: {
      ...storage('sessions'),
      generateModule: 'Lemonldap::NG::Common::Apache::Session::Generate::SHA256',
    },
    persistentStorage: 'Apache::Session::File',
    persistentStorageOptions: storage('psessions'),
    localSessionStorage: 'Cache::FileCache',
    localSessionStorageOptions: {
      cache_root: join(dir, 'cache'),
      cache_depth: 3,
      default_expires_in: 600,
      directory_umask: '007',
      namespace: 'lemonldap-ng-sessions',
    },
    notification: 0,
    loginHistoryEnabled: 0,
    whatToTrace: '_whatToTrace',
    timeout: 72000,
    issuerDBOpenIDConnectActivation: 1,
    oidcServiceMetaDataIssuer: issuer,
    oidcServicePrivateKeySig: privateKey.export({ type: 'pkcs1', format: 'pem' }),
    oidcServicePublicKeySig: publicKey.export({ type: 'spki', format: 'pem' }),
    oidcServiceKeyIdSig: 'gatehouse-test-key',
    oidcServiceAllowAuthorizationCodeFlow: 1,
    oidcServiceIgnoreScopeForClaims: 1,
    oidcRPMetaDataOptions: Object.fromEntries(
      Object.entries(rps).map(([key, client]) => [key, relyingParty(client)]),
    ),
    oidcRPMetaDataExportedVars: Object.fromEntries(
      Object.keys(rps).map((key) => [key, { name: 'cn', email: 'mail', roles: 'roles;string;always' }]),
    ),
  };
}

async function waitForDiscovery(issuer: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`LemonLDAP::NG exited (${child.exitCode}):\n${log()}`);
    try {
      const answer = await fetch(`${issuer}/.well-known/openid-configuration`);
      if (answer.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`LemonLDAP::NG did not answer discovery within 30 s:\n${log()}`);
}

/**
 * Starts LemonLDAP::NG's portal as an OpenID Connect provider with the given clients, on a free port of
 * 127.0.0.1. Its configuration and sessions live in a temporary directory that `close()` removes.
 *
 * @example
 * const llng = await startLemonLdap({ clients: [{ clientId: 'bff', clientSecret: 's3-+/=%', redirectUris: [cb] }] });
 */
export async function startLemonLdap(options: LemonLdapOptions): Promise<LemonLdap> {
  const missing = lemonLdapMissing();
  if (missing) throw new Error(missing);
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-lemonldap-'));
  for (const sub of ['conf', 'sessions/lock', 'psessions/lock', 'cache'])
    await mkdir(join(dir, sub), { recursive: true });
  const port = await freePort();
  const issuer = `http://${options.hostname ?? '127.0.0.1'}:${port}`;
  await writeFile(join(dir, 'conf', 'lmConf-1.json'), JSON.stringify(configuration(dir, issuer, options)));
  await writeFile(
    join(dir, 'lemonldap-ng.ini'),
    [
      '[all]',
      'logLevel = warn',
      'checkTime = 1',
      '[configuration]',
      'type = File',
      `dirName = ${join(dir, 'conf')}`,
      '[portal]',
      'staticPrefix = /static',
      `templateDir = ${TEMPLATE_DIR}`,
      'languages = en',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'portal.psgi'),
    [
      'use Plack::Builder;',
      'use Plack::App::File;',
      'use Lemonldap::NG::Portal::Main;',
      'my $portal = Lemonldap::NG::Portal::Main->run({});',
      'builder {',
      `  mount '/static' => Plack::App::File->new(root => ${perlString(STATIC_DIR)})->to_app;`,
      "  mount '/' => $portal;",
      '};',
      '',
    ].join('\n'),
  );
  let output = '';
  const child = spawn(
    PLACKUP,
    ['-s', 'HTTP::Server::PSGI', '--host', '127.0.0.1', '--port', String(port), join(dir, 'portal.psgi')],
    {
      cwd: dir,
      env: {
        ...process.env,
        LLNG_DEFAULTCONFFILE: join(dir, 'lemonldap-ng.ini'),
        LLNG_DEFAULTLOGGER: 'Lemonldap::NG::Common::Logger::Std',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-64_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const log = () => output;
  const close = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForDiscovery(issuer, child, log);
  } catch (error) {
    await close();
    throw error;
  }
  return { issuer, log, close };
}
