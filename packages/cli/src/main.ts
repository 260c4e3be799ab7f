import { parseArgs } from 'node:util';
import {
  type BffServer,
  ConfigError,
  createLogger,
  optionsFromEnv,
  resolveConfig,
  startBff,
} from '@gatehouse/bff';
import { bffClient, createDevIdp, DevIdpError, demoUsers } from '@gatehouse/dev-idp';
import { demoPage } from './demo-page.js';
import { doctor, formatReport } from './doctor.js';
import { CliError } from './errors.js';
import { loadConfigFile } from './load-config.js';
import { keygen, signManifest, verifyManifest } from './manifest-commands.js';
import { newCommand } from './new-remote.js';
import { runOffline } from './offline.js';
import { createSampleApi, sampleRoleMaps } from './sample-api.js';

const USAGE = `Usage: gatehouse <command> [options]

Commands:
  serve [--config FILE]     Run the BFF in front of any OpenID Connect issuer. Reads the GATEHOUSE_*
                            environment variables (they override the file); see the @gatehouse/bff README.
  dev-idp [--port N] [--bff-url URL]
                            Run the development identity provider (never in production).
  demo [--bff-port N] [--idp-port N] [--api-port N]
                            Run the dev IdP (:4001), a sample API (:4101) and the BFF (:4000) together.
  manifest keygen --out DIR Make an Ed25519 key pair for signing remote manifests.
  manifest sign --key KEY FILE
                            Sign a manifest's bytes; writes FILE.sig (the BFF checks it with the public key).
  manifest verify --public-key KEY FILE
                            Check a manifest's signature as the BFF does.
  doctor --manifest FILE --allowed-origin ORIGIN… [--root URL=DIR…] [--base ORIGIN] [--public-key KEY]
         [--production] [--json] [--strict] [--audit] [--audit-file [REMOTE=]FILE…] [--registry URL]
                            Check a manifest and the built remotes: hashes recomputed, every module listed,
                            origins allowed, auth rules present, shared singletons compatible, https in
                            production. Exit code 1 when anything is wrong. The remotes' dependency records
                            are compared: one library at several versions (and the version to converge on),
                            singletons that cannot be shared, versions with advisories (\`npm audit --json\`
                            files, or --audit: the registry's advisory service); --strict fails on them.
  build-offline --name REMOTE -- COMMAND [ARG…]
                            Run a remote's build with no network (a Linux network namespace: \`unshare -n\`
                            as root, \`unshare -rn\` otherwise; a loud warning when neither works), after its
                            dependencies are installed. A build that tries to reach any host fails, naming it.
  new remote <name> [--dir DIR] [--api PATH] [--permission P]
                            Write a React remote into the reference shop (examples/shop/web/remotes/<name>):
                            its route rule, a page with a permission-gated button, an API call with
                            401/403/404 handled, logout clearing and a mounted unit test; then the next steps.
  help                      Show this text.
`;

/** Something that can be stopped on Ctrl-C. */
type Stoppable = { close(): Promise<void> };

function onShutdown(parts: Stoppable[], out: NodeJS.WritableStream): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    out.write('\nStopping…\n');
    Promise.allSettled([...parts].reverse().map((part) => part.close())).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/**
 * Runs the `gatehouse` command. Answers the exit code for commands that finish, and resolves once the
 * servers are up for commands that keep running.
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2));
 */
export async function main(
  argv: string[],
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream } = {
    out: process.stdout,
    err: process.stderr,
  },
): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve': {
        const server = await serve(rest, process.env);
        if (server)
          io.out.write(
            `Gatehouse BFF for ${server.runtime.config.issuer} at ${server.runtime.config.publicUrl} (listening on ${server.address})\n`,
          );
        return 0;
      }
      case 'dev-idp':
        return await devIdp(rest, io);
      case 'demo':
        return await demo(rest, io);
      case 'manifest':
        return manifestCommand(rest, io);
      case 'doctor':
        return await doctorCommand(rest, io);
      case 'new':
        return newCommand(rest, io);
      case 'build-offline':
        return await buildOfflineCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out.write(USAGE);
        return 0;
      default:
        throw new CliError(`Unknown command "${command}".`);
    }
  } catch (error) {
    if (error instanceof CliError || error instanceof ConfigError || error instanceof DevIdpError) {
      io.err.write(`gatehouse: ${error.message}\n`);
      if (error instanceof CliError && error.message.startsWith('Unknown')) io.err.write(`\n${USAGE}`);
      // A build that failed is not a bad call.
      return error instanceof CliError && error.code.startsWith('GH_CLI_BUILD_') ? 1 : 2;
    }
    io.err.write(`gatehouse: ${(error as Error).message ?? String(error)}\n`);
    return 1;
  }
}

function flags<T extends Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>>(
  args: string[],
  options: T,
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

function manifestCommand(args: string[], io: { out: NodeJS.WritableStream }): number {
  const [action, ...rest] = args;
  const parsed = (() => {
    try {
      return parseArgs({
        args: rest,
        options: { out: { type: 'string' }, key: { type: 'string' }, 'public-key': { type: 'string' } },
        strict: true,
        allowPositionals: true,
      });
    } catch (error) {
      throw new CliError((error as Error).message);
    }
  })();
  const file = parsed.positionals[0];
  switch (action) {
    case 'keygen': {
      const [privatePath, publicPath] = keygen(parsed.values.out ?? '.');
      io.out.write(
        `Wrote ${privatePath} (private: keep it with the build) and ${publicPath} (give it to the BFF).\n`,
      );
      return 0;
    }
    case 'sign': {
      if (!file || !parsed.values.key) throw new CliError('usage: gatehouse manifest sign --key KEY FILE');
      io.out.write(`Wrote ${signManifest(file, parsed.values.key)}\n`);
      return 0;
    }
    case 'verify': {
      if (!file || !parsed.values['public-key'])
        throw new CliError('usage: gatehouse manifest verify --public-key KEY FILE');
      verifyManifest(file, parsed.values['public-key']);
      io.out.write(`${file}: signature verified\n`);
      return 0;
    }
    default:
      throw new CliError('usage: gatehouse manifest keygen|sign|verify …');
  }
}

/** `--audit-file REMOTE=FILE` (one remote) or `--audit-file FILE` (every remote) → remote (or `*`) → file. */
function auditFiles(entries: readonly string[]): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf('=');
    if (at === 0) throw new CliError(`--audit-file: expected [REMOTE=]FILE, got "${entry}"`);
    if (at < 0) files['*'] = entry;
    else files[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return files;
}

async function doctorCommand(args: string[], io: { out: NodeJS.WritableStream }): Promise<number> {
  const values = flags(args, {
    manifest: { type: 'string' },
    'allowed-origin': { type: 'string', multiple: true },
    root: { type: 'string', multiple: true },
    'public-key': { type: 'string' },
    production: { type: 'boolean' },
    json: { type: 'boolean' },
    base: { type: 'string' },
    strict: { type: 'boolean' },
    audit: { type: 'boolean' },
    'audit-file': { type: 'string', multiple: true },
    registry: { type: 'string' },
  });
  if (!values.manifest)
    throw new CliError('usage: gatehouse doctor --manifest FILE --allowed-origin ORIGIN …');
  const roots: Record<string, string> = {};
  for (const entry of (values.root as string[] | undefined) ?? []) {
    const at = entry.indexOf('=');
    if (at < 1) throw new CliError(`--root: expected URL=DIR, got "${entry}"`);
    roots[entry.slice(0, at)] = entry.slice(at + 1);
  }
  const report = await doctor({
    manifest: values.manifest as string,
    allowedOrigins: (values['allowed-origin'] as string[] | undefined) ?? [],
    roots,
    production: Boolean(values.production) || process.env.NODE_ENV === 'production',
    ...(values['public-key'] ? { publicKey: values['public-key'] as string } : {}),
    ...(values.base ? { base: values.base as string } : {}),
    strict: Boolean(values.strict),
    audit: {
      files: auditFiles((values['audit-file'] as string[] | undefined) ?? []),
      live: Boolean(values.audit),
      ...(values.registry ? { registry: values.registry as string } : {}),
    },
  });
  io.out.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return report.ok ? 0 : 1;
}

async function buildOfflineCommand(args: string[], io: { err: NodeJS.WritableStream }): Promise<number> {
  const split = args.indexOf('--');
  const values = flags(split < 0 ? args : args.slice(0, split), { name: { type: 'string' } });
  const command = split < 0 ? [] : args.slice(split + 1);
  if (!values.name || command.length === 0)
    throw new CliError('usage: gatehouse build-offline --name REMOTE -- COMMAND [ARG…]');
  const result = await runOffline({
    name: values.name as string,
    command: command as [string, ...string[]],
    log: (line) => io.err.write(`${line}\n`),
  });
  io.err.write(`gatehouse: ${values.name} built without network (${result.sandbox})\n`);
  return 0;
}

/**
 * `gatehouse serve`: the BFF alone, configured by an optional file and the environment (which wins).
 * Answers the running server (`undefined` in the primary process of a multi-worker start).
 *
 * @example
 * const server = await serve(['--config', 'gatehouse.config.json'], process.env);
 */
export async function serve(args: string[], env: NodeJS.ProcessEnv): Promise<BffServer | undefined> {
  const values = flags(args, { config: { type: 'string' } });
  const file = values.config ? await loadConfigFile(values.config) : {};
  const config = resolveConfig(optionsFromEnv(env, file));
  return startBff(config);
}

function port(value: string | undefined, fallback: number, flag = '--port'): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65_535)
    throw new CliError(`${flag}: expected a port number, got "${value}"`);
  return Number(value);
}

async function devIdp(args: string[], io: { out: NodeJS.WritableStream }): Promise<number> {
  const values = flags(args, { port: { type: 'string' }, 'bff-url': { type: 'string' } });
  const idp = await createDevIdp({
    port: port(values.port, 4001),
    clients: [bffClient({ baseUrl: values['bff-url'] ?? 'http://localhost:4000' })],
  });
  onShutdown([idp], io.out);
  io.out.write(
    `Dev identity provider: ${idp.issuer}\nUsers (password = user name): ${demoUsers.map((user) => user.login).join(', ')}\n`,
  );
  return 0;
}

async function demo(args: string[], io: { out: NodeJS.WritableStream }): Promise<number> {
  const values = flags(args, {
    'bff-port': { type: 'string' },
    'idp-port': { type: 'string' },
    'api-port': { type: 'string' },
  });
  const ports = {
    bff: port(values['bff-port'], 4000, '--bff-port'),
    idp: port(values['idp-port'], 4001, '--idp-port'),
    api: port(values['api-port'], 4101, '--api-port'),
  };
  const started = Date.now();
  const bffUrl = `http://localhost:${ports.bff}`;
  const idp = await createDevIdp({ port: ports.idp, clients: [bffClient({ baseUrl: bffUrl })] });
  const parts: Stoppable[] = [idp];
  onShutdown(parts, io.out);
  const api = await createSampleApi({ issuer: idp.issuer });
  await api.listen({ port: ports.api, host: '127.0.0.1' });
  parts.push(api);
  const config = resolveConfig(
    optionsFromEnv(process.env, {
      publicUrl: bffUrl,
      issuer: idp.issuer,
      resource: 'urn:gatehouse:shop',
      ...sampleRoleMaps,
      upstreams: { sample: { url: `http://127.0.0.1:${ports.api}` } },
      routes: [{ path: '/account', auth: 'required' }],
      logLevel: 'warn',
    }),
  );
  const bff = await startBff(config, { logger: createLogger(config.logLevel), renderPage: demoPage });
  if (bff) parts.push(bff);
  const users = demoUsers.map((user) => `    ${user.login.padEnd(6)} ${user.roles.join(', ')}`).join('\n');
  io.out.write(`
Gatehouse demo is ready (${Date.now() - started} ms):
  BFF and page       ${bffUrl}   (sign in: ${bffUrl}/auth/login?returnTo=/)
  Identity provider  ${idp.issuer}
  Sample API         http://127.0.0.1:${ports.api}   (bearer JWTs only; through the BFF at /api/sample/*)
  Session JSON       ${bffUrl}/auth/session
Demo users (password = user name):
${users}
Press Ctrl-C to stop.
`);
  return 0;
}
