#!/usr/bin/env node
// `npm start`: the whole reference shop on the contract's ports, until Ctrl-C. Run from the TypeScript sources
// (`node --import tsx --conditions gatehouse-source`, no compile step) or from dist/ after `npm run build`.
// It says what it waits for: the web build runs in a child process beside the server's start (loading the
// code, opening the database), so the two cores work at once; every step prints its time.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

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

A port of 0 picks a free one (for --api-port, six free ones); the ready message lists them.
`;

const ROLE_NOTES: Record<string, string> = {
  alice: 'customer; owns order_123',
  bob: 'customer; owns order_456',
  carol: 'support; sees any order',
  dave: 'store manager; edits the catalog',
  erin: 'admin; org admin of acme',
  frank: 'customer; member of globex',
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
 * The web build (incremental), in a child process started with this one's flags (tsx, the source
 * condition), so it runs beside the server's start; it prints its own lines (`  web: …`).
 */
function buildWeb(): Promise<void> {
  const command = fileURLToPath(
    new URL(`./web/build/build-command.${fromSource ? 'ts' : 'js'}`, import.meta.url),
  );
  const child = spawn(
    process.execPath,
    [...process.execArgv.filter((arg) => !arg.startsWith('--inspect')), command],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const orphan = () => child.kill();
  process.once('exit', orphan);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('exit', orphan);
      if (code === 0) resolve();
      else reject(new Error(`the web build failed (${signal ?? `exit code ${code}`})`));
    });
  });
}
const webBuilt = buildWeb();
// Ctrl-C during the start stops the child too (the terminal signals both); a failed build is reported below.
webBuilt.catch(() => {});

const [{ startShop, defaultStartPorts }, { openShopDatabase, defaultShopDataDir }, { demoUsers }] =
  await step(
    `loading the shop's code${fromSource ? ' (tsx compiles it on the first run, then reuses its cache)' : ''}`,
    'code loaded',
    () =>
      Promise.all([
        import('./start-shop.js'),
        import('./db/open-shop-database.js'),
        import('@gatehouse/dev-idp'),
      ]),
  );

const dataDir =
  (values['data-dir'] as string | undefined) || process.env.GATEHOUSE_SHOP_DATA_DIR || defaultShopDataDir;
const where =
  process.env.DATABASE_URL && !values['data-dir'] && !values.memory
    ? 'Postgres (DATABASE_URL)'
    : values.memory
      ? 'PGlite in memory'
      : `PGlite in ${relative(process.cwd(), dataDir) || '.'}`;
const creating = where.startsWith('PGlite') && !existsSync(join(dataDir, 'PG_VERSION'));
const db = await step(
  values.memory
    ? `creating the database: ${where} (set up anew on every start)`
    : creating
      ? `creating the database: ${where} (the first start sets it up; later starts open it in a second)`
      : `opening the database: ${where}`,
  'database ready',
  () =>
    openShopDatabase({
      ...(values['data-dir'] ? { dataDir: values['data-dir'] as string } : {}),
      ...(values.memory ? { memory: true } : {}),
    }),
).catch((error: Error) => {
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
