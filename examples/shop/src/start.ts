#!/usr/bin/env node
// `npm start`: the whole reference shop on the contract's ports, until Ctrl-C. Run from the TypeScript sources
// (`node --import tsx --conditions gatehouse-source`, no compile step) or from dist/ after `npm run build`.
// It says what it waits for, and times every step. The web build and, on the first start, the database's
// creation run in child processes beside the server's own start (loading its code), so both cores work at once.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { shopDataDir } from './db/shop-data-dir.js';
import { SHOP_SERVICE_ROLE } from './db/shop-service-role.js';

const USAGE = (ports: {
  bff: number;
  idp: number;
  remotes: number;
  catalog: number;
}) => `Usage: npm start [-- options]

  --bff-port N       the shop (BFF)                     default ${ports.bff}
  --idp-port N       the dev identity provider          default ${ports.idp}
  --remotes-port N   the remotes origin                 default ${ports.remotes}
  --api-port N       the first of the six domain APIs   default ${ports.catalog}
  --data-dir DIR     PGlite's folder                    default .data/shop (DATABASE_URL: a Postgres server)
  --memory           a throw-away database
  --origin-per-remote  each public remote on its own origin, http://<name>.localhost:<remotes port>

A port of 0 picks a free one (for --api-port, six free ones); the ready message lists them.
`;

const ROLE_NOTES: Record<string, string> = {
  alice: 'customer; owns order_123',
  bob: 'customer; owns order_456',
  carol: 'support; sees any order',
  dave: 'store manager; edits the catalog',
  erin: 'admin; org admin of acme',
  frank: 'customer; member of globex',
  grace: 'customer; member of acme, org admin of globex (switches between them)',
};

/** The ports' defaults, for the usage text (loads the shop's code: only for --help and bad options). */
const usage = async () => USAGE((await import('./start-shop.js')).defaultStartPorts);

let values: Record<string, string | boolean | undefined>;
try {
  values = parseArgs({
    options: {
      'bff-port': { type: 'string' },
      'idp-port': { type: 'string' },
      'remotes-port': { type: 'string' },
      'api-port': { type: 'string' },
      'data-dir': { type: 'string' },
      memory: { type: 'boolean' },
      'origin-per-remote': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (error) {
  console.error(`${(error as Error).message}\n\n${await usage()}`);
  process.exit(2);
}
if (values.help) {
  console.log(await usage());
  process.exit(0);
}
for (const flag of ['bff-port', 'idp-port', 'remotes-port', 'api-port']) {
  const value = values[flag] as string | undefined;
  if (value !== undefined && (!/^\d{1,5}$/.test(value) || Number(value) > 65_535)) {
    console.error(`--${flag}: expected a port number, got "${value}"\n\n${await usage()}`);
    process.exit(2);
  }
}
const port = (flag: string, fallback: number) =>
  values[flag] === undefined ? fallback : Number(values[flag] as string);

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Prints what is about to take time, then `done` with how long it took. */
async function step<T>(label: string, done: string, work: () => Promise<T>): Promise<T> {
  console.log(`  ${label}…`);
  const started = performance.now();
  const result = await work();
  console.log(`  ${done} (${seconds(performance.now() - started)})`);
  return result;
}

const fromSource = import.meta.url.endsWith('.ts');
console.log(
  fromSource
    ? 'Starting the Gatehouse shop from its TypeScript sources (no compile step; Ctrl-C stops it)'
    : 'Starting the Gatehouse shop (Ctrl-C stops it)',
);

/**
 * Runs one of the shop's commands in a child process started with this one's flags (tsx and the source
 * condition, when run from the sources), beside the server's start; it prints its own lines.
 */
function runBeside(command: string, args: string[], what: string): Promise<void> {
  const file = fileURLToPath(new URL(`./${command}.${fromSource ? 'ts' : 'js'}`, import.meta.url));
  const flags = process.execArgv.filter((arg) => !arg.startsWith('--inspect'));
  const child = spawn(process.execPath, [...flags, file, ...args], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const orphan = () => child.kill();
  process.once('exit', orphan);
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('exit', orphan);
      if (code === 0) resolve();
      else reject(new Error(`${what} failed (${signal ?? `exit code ${code}`})`));
    });
  });
  // Ctrl-C during the start stops the children too (the terminal signals them all); failures are reported
  // where the start waits for them.
  done.catch(() => {});
  return done;
}

// The web build: incremental, it prints `  web: …` lines.
const webBuilt = runBeside('web/build/build-command', [], 'the web build');

// The database: PGlite in a folder made on the first start (Postgres's initdb takes seconds: beside the
// rest, in its own process), in memory, or the Postgres server of DATABASE_URL.
const dataDir = (values['data-dir'] as string | undefined) || shopDataDir();
/** A folder as the user would write it: relative when inside the current one. */
const shown = (dir: string) => {
  const path = relative(process.cwd(), dir);
  return path.startsWith('..') || isAbsolute(path) ? dir : path || '.';
};
const where =
  process.env.DATABASE_URL && !values['data-dir'] && !values.memory
    ? `Postgres (DATABASE_URL), the services as role ${SHOP_SERVICE_ROLE}`
    : values.memory
      ? 'PGlite in memory'
      : `PGlite in ${shown(dataDir)}`;
let dbMade: Promise<void> | undefined;
if (where.startsWith('PGlite in ') && !values.memory && !existsSync(dataDir)) {
  console.log(`  creating the database: ${where} (the first start only; later starts open it in a second)…`);
  const started = performance.now();
  dbMade = runBeside('db/create-command', [dataDir], 'creating the database').then(() =>
    console.log(`  database created (${seconds(performance.now() - started)})`),
  );
}

const [{ startShop, defaultStartPorts }, { openShopDatabase }, { demoUsers }] = await step(
  `loading the shop's code${fromSource ? ' (tsx compiles it on the first run, then reuses its cache)' : ''}`,
  'code loaded',
  () =>
    Promise.all([
      import('./start-shop.js'),
      import('./db/open-shop-database.js'),
      import('@gatehouse/dev-idp'),
    ]),
);

const db = await (async () => {
  await dbMade;
  return step(
    values.memory
      ? `creating the database: ${where} (anew on every start)`
      : `opening the database: ${where}`,
    'database ready',
    () =>
      openShopDatabase({
        ...(values['data-dir'] ? { dataDir: values['data-dir'] as string } : {}),
        ...(values.memory ? { memory: true } : {}),
      }),
  );
})().catch((error: Error) => {
  console.error(`Could not open the database: ${error.message}`);
  process.exit(1);
});

try {
  await webBuilt;
} catch (error) {
  console.error(`Could not start the shop: ${(error as Error).message}`);
  await db.close();
  process.exit(1);
}

const api = port('api-port', defaultStartPorts.catalog);
const shop = await step(
  'starting the dev IdP, the six domain APIs, the remotes origin and the BFF',
  'all listening',
  () =>
    startShop({
      db,
      ports: {
        bff: port('bff-port', defaultStartPorts.bff),
        idp: port('idp-port', defaultStartPorts.idp),
        remotes: port('remotes-port', defaultStartPorts.remotes),
        catalog: api,
        cart: api && api + 1,
        checkout: api && api + 2,
        orders: api && api + 3,
        profile: api && api + 4,
        org: api && api + 5,
      },
      originPerRemote: Boolean(values['origin-per-remote']),
    }),
).catch(async (error: Error) => {
  console.error(`Could not start the shop: ${error.message}`);
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
    console.error('A port is taken: stop what uses it, or choose others (npm start -- --help).');
  await db.close();
  process.exit(1);
});

const users = demoUsers
  .map((user) => `    ${user.login.padEnd(6)} ${ROLE_NOTES[user.login] ?? user.roles.join(', ')}`)
  .join('\n');
const apis = Object.entries(shop.urls.apis)
  .map(([name, url]) => [name, Number(new URL(url).port)] as const)
  .sort((a, b) => a[1] - b[1])
  .map(([name, port]) => `${name} ${port}`)
  .join(', ');
console.log(`
Gatehouse shop is ready (${seconds(process.uptime() * 1000)} after the start):
  Shop               ${shop.urls.shop}
  Identity provider  ${shop.urls.idp}   (its login page)
  Remotes origin     ${shop.urls.remotes}   (public remotes' code; admin and org come from the shop itself)
  Domain APIs        127.0.0.1: ${apis}   (bearer JWTs only)
  Database           ${where}${values.memory ? ' (nothing is kept)' : ''}
Demo users (password = user name):
${users}
Press Ctrl-C to stop.
`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping…');
  // The shop leaves the database it was given open: close it last (PGlite flushes its folder).
  shop
    .close()
    .then(() => db.close())
    .then(
      () => {
        console.log(values.memory ? 'Stopped.' : 'Stopped. Shop data is saved.');
        process.exit(0);
      },
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
