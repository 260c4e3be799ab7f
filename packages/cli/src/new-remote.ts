import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { isPermission } from '@gatehouse/policy';
import { CliError } from './errors.js';
import { remoteTemplate } from './remote-template.js';

/** Where the reference shop keeps its remotes and its role map, relative to the repository. */
export const SHOP_LAYOUT = Object.freeze({
  remotes: 'examples/shop/web/remotes',
  roleMap: 'examples/shop/src/shop-roles.ts',
});

/** A remote's name: its folder, its manifest name (`[a-z][a-z0-9-]*`) and its route. */
const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const MAX_NAME = 30;
/** Names whose route the BFF or the shell already answers. */
const RESERVED = new Set(['api', 'auth', 'shell', 'remotes', 'assets', 'static']);
/** `/api/<upstream>/…`: plain segments, no `.` or `..` (the API client refuses those too). */
const API_PATH = /^\/api(\/(?!\.\.?(\/|$))[A-Za-z0-9._~-]+)+$/;

/** Options of {@link newRemote}. */
export interface NewRemoteOptions {
  /** The remote's name: lower-case words joined by `-` (`wishlist`, `gift-cards`). */
  readonly name: string;
  /** The folder to write; default `<repository>/examples/shop/web/remotes/<name>`. */
  readonly dir?: string;
  /** The API path its page reads; default `/api/<name>`. */
  readonly api?: string;
  /** The permission its gated button needs; default `<name>:edit` (`-` becomes `_`). */
  readonly permission?: string;
  /** Where to look for the repository and to resolve `dir` from; default `process.cwd()`. */
  readonly cwd?: string;
}

/** What {@link newRemote} wrote. */
export interface NewRemoteResult {
  /** The remote's folder (absolute). */
  readonly dir: string;
  /** The files written, relative to `dir`. */
  readonly files: readonly string[];
  readonly name: string;
  readonly route: string;
  readonly permission: string;
  readonly api: string;
  /** The repository the remote is in (the folder whose `package.json` has `workspaces`), if any. */
  readonly repository?: string | undefined;
  /** The app's role map (absolute), when the remote is the reference shop's. */
  readonly roleMap?: string | undefined;
  /** What to do next, as printed by `gatehouse new remote`. */
  readonly nextSteps: string;
}

/** The nearest folder at or above `from` whose `package.json` declares `workspaces`. */
function repositoryOf(from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        if ((JSON.parse(readFileSync(file, 'utf8')) as { workspaces?: unknown }).workspaces) return dir;
      } catch {
        // not a package.json we can read: look further up
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** The routes the remotes beside `dir` already declare (`"gatehouse": { "routes" }` of their package.json). */
function siblingRoutes(parent: string): Map<string, string> {
  const taken = new Map<string, string>();
  if (!existsSync(parent)) return taken;
  const walk = (route: unknown, base: string, owner: string) => {
    const r =
      typeof route === 'string' ? { path: route } : (route as { path?: string; children?: unknown[] });
    const path = r?.path?.startsWith('/') ? r.path : `${base}/${r?.path ?? ''}`.replace(/\/+$/, '');
    if (path) taken.set(path, owner);
    for (const child of r?.children ?? []) walk(child, path, owner);
  };
  for (const entry of readdirSync(parent)) {
    const file = join(parent, entry, 'package.json');
    if (!existsSync(file)) continue;
    try {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { gatehouse?: { routes?: unknown[] } };
      for (const route of pkg.gatehouse?.routes ?? []) walk(route, '', entry);
    } catch {
      // a sibling with a broken package.json fails its own build, not this command
    }
  }
  return taken;
}

const posix = (path: string) => path.split(sep).join('/');

/**
 * Writes a new React remote (see `remoteTemplate`): by default into the reference shop,
 * `examples/shop/web/remotes/<name>`, where the shop's build, manifest, BFF rules, typecheck and tests pick
 * it up with no other change. Refuses a bad name (`GH_CLI_BAD_REMOTE_NAME`), an existing folder
 * (`GH_CLI_REMOTE_EXISTS`), a route another remote declares (`GH_CLI_ROUTE_TAKEN`) and, without `dir`, a
 * place with no shop above it (`GH_CLI_NO_REMOTES_DIR`).
 *
 * @example
 * const made = newRemote({ name: 'wishlist' });
 * console.log(made.nextSteps);
 */
export function newRemote(options: NewRemoteOptions): NewRemoteResult {
  const { name } = options;
  const cwd = resolve(options.cwd ?? process.cwd());
  if (!NAME.test(name) || name.length > MAX_NAME)
    throw new CliError(
      `"${name.slice(0, 64)}" is not a remote name: lower-case letters and digits, words joined by "-", starting with a letter, at most ${MAX_NAME} characters (e.g. wishlist, gift-cards) [GH_CLI_BAD_REMOTE_NAME]`,
      { code: 'GH_CLI_BAD_REMOTE_NAME' },
    );
  if (RESERVED.has(name))
    throw new CliError(
      `"${name}" is taken: /${name} belongs to the BFF or the shell; pick another name [GH_CLI_BAD_REMOTE_NAME]`,
      { code: 'GH_CLI_BAD_REMOTE_NAME' },
    );
  const api = options.api ?? `/api/${name}`;
  if (!API_PATH.test(api))
    throw new CliError(`--api: expected a path under /api/ (e.g. /api/${name}), got "${api}"`);
  const permission = options.permission ?? `${name.replaceAll('-', '_')}:edit`;
  if (!isPermission(permission))
    throw new CliError(
      `--permission: expected <domain>:<action> in lower-case letters, digits and _ (e.g. ${name.replaceAll('-', '_')}:edit), got "${permission}"`,
    );

  let dir: string;
  let repository: string | undefined;
  if (options.dir !== undefined) {
    dir = isAbsolute(options.dir) ? options.dir : resolve(cwd, options.dir);
    repository = repositoryOf(dirname(dir));
  } else {
    repository = repositoryOf(cwd);
    const remotes = repository && join(repository, SHOP_LAYOUT.remotes);
    if (!remotes || !existsSync(remotes))
      throw new CliError(
        `no ${SHOP_LAYOUT.remotes} in a repository at or above ${cwd}: run this in the Gatehouse repository, or pass --dir [GH_CLI_NO_REMOTES_DIR]`,
        { code: 'GH_CLI_NO_REMOTES_DIR' },
      );
    dir = join(remotes, name);
  }
  const shown = repository ? posix(relative(repository, dir)) : dir;
  if (existsSync(dir))
    throw new CliError(
      `${shown} exists already: pick another name, or remove that folder first [GH_CLI_REMOTE_EXISTS]`,
      { code: 'GH_CLI_REMOTE_EXISTS' },
    );
  const route = `/${name}`;
  const owner = siblingRoutes(dirname(dir)).get(route);
  if (owner)
    throw new CliError(
      `the ${owner} remote already renders ${route}: pick another name [GH_CLI_ROUTE_TAKEN]`,
      { code: 'GH_CLI_ROUTE_TAKEN' },
    );

  const roleMapFile = repository && join(repository, SHOP_LAYOUT.roleMap);
  const inShop = repository !== undefined && resolve(dirname(dir)) === join(repository, SHOP_LAYOUT.remotes);
  const roleMap = inShop && roleMapFile && existsSync(roleMapFile) ? roleMapFile : undefined;
  const testScript = repository
    ? `vitest run --root ${posix(relative(dir, repository)) || '.'} ${shown}`
    : 'vitest run';
  const files = remoteTemplate({
    name,
    permission,
    api,
    route,
    testScript,
    roleMap: roleMap && repository ? posix(relative(repository, roleMap)) : undefined,
  });
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text, { flag: 'wx' });
  }
  const made = { dir, files: Object.keys(files), name, route, permission, api, repository, roleMap };
  return { ...made, nextSteps: nextSteps(made, shown) };
}

function nextSteps(made: Omit<NewRemoteResult, 'nextSteps'>, shown: string): string {
  const { name, route, permission, api, repository, roleMap } = made;
  const at = (file: string) => (repository ? posix(relative(repository, file)) : file);
  const grant = roleMap
    ? `Grant ${permission} to the roles that may use it: ${at(roleMap)} (the shop's role map; the\n     libraries grant nothing by default). Check it in the API that answers ${api} too.`
    : `Grant ${permission} to the roles that may use it in your app's role map (the BFF's and the APIs'\n     \`roles\` option), and check it in the API that answers ${api}.`;
  const test = repository ? `npx vitest run ${shown}` : 'npx vitest run';
  return `Created the ${name} remote in ${shown}:
  package.json: @gatehouse/shop-remote-${name}, its "gatehouse" rule: ${route} for signed-in users
  src/${name}-page.tsx: the page, "Remove" only with ${permission} (useCan)
  src/${name}-api.ts: GET ${api}, 401 sign in, 403 no access, 404 not found; cleared at logout
  test/${name}.test.tsx: the remote mounted in happy-dom: the effect, the permission, 403, logout

Next:
  1. ${grant}
  2. npm install   records the new workspace in package-lock.json (npm ci refuses a lockfile without it).
  3. ${test}   its test (npm run typecheck covers it too).
  4. npm start, then http://localhost:4000${route} (the BFF forwards /api/<upstream>/… to the upstreams
     of examples/shop/src/shop-upstreams.ts: point the page at one of them, or add yours).
`;
}

/**
 * `gatehouse new remote <name> [--dir DIR] [--api PATH] [--permission P]`: {@link newRemote}, then the
 * next steps on `out`.
 *
 * @example
 * process.exitCode = newCommand(['remote', 'wishlist'], { out: process.stdout });
 */
export function newCommand(args: string[], io: { out: NodeJS.WritableStream }): number {
  let parsed: ReturnType<typeof parse>;
  const parse = () =>
    parseArgs({
      args,
      options: { dir: { type: 'string' }, api: { type: 'string' }, permission: { type: 'string' } },
      strict: true,
      allowPositionals: true,
    });
  try {
    parsed = parse();
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  const [kind, name, ...extra] = parsed.positionals;
  if (kind !== 'remote' || !name || extra.length)
    throw new CliError('usage: gatehouse new remote <name> [--dir DIR] [--api PATH] [--permission P]');
  const made = newRemote({ name, ...parsed.values });
  io.out.write(made.nextSteps);
  return 0;
}
