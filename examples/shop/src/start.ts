#!/usr/bin/env node
// `npm start`: the whole reference shop on the contract's ports, until Ctrl-C.
import { parseArgs } from 'node:util';
import { demoUsers } from '@gatehouse/dev-idp';
import { defaultShopDataDir } from './db/open-shop-database.js';
import { SHOP_SERVICE_ROLE } from './db/shop-service-role.js';
import { defaultStartPorts, type ShopStartPorts, startShop } from './start-shop.js';

const USAGE = `Usage: npm start [-- options]

  --bff-port N       the shop (BFF)                     default ${defaultStartPorts.bff}
  --idp-port N       the dev identity provider          default ${defaultStartPorts.idp}
  --remotes-port N   the remotes origin                 default ${defaultStartPorts.remotes}
  --api-port N       the first of the six domain APIs   default ${defaultStartPorts.catalog}
  --data-dir DIR     PGlite's folder                    default .data/shop (DATABASE_URL: a Postgres server)
  --memory           a throw-away database
`;

const ROLE_NOTES: Record<string, string> = {
  alice: 'customer; owns order_123',
  bob: 'customer; owns order_456',
  carol: 'support; sees any order',
  dave: 'store manager; edits the catalog',
  erin: 'admin; org admin of acme',
  frank: 'customer; member of globex',
};

function port(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65_535) {
    console.error(`${flag}: expected a port number, got "${value}"\n\n${USAGE}`);
    process.exit(2);
  }
  return Number(value);
}

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
  console.error(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const api = port(values['api-port'] as string | undefined, defaultStartPorts.catalog, '--api-port');
const ports: ShopStartPorts = {
  bff: port(values['bff-port'] as string | undefined, defaultStartPorts.bff, '--bff-port'),
  idp: port(values['idp-port'] as string | undefined, defaultStartPorts.idp, '--idp-port'),
  remotes: port(values['remotes-port'] as string | undefined, defaultStartPorts.remotes, '--remotes-port'),
  catalog: api,
  cart: api + 1,
  checkout: api + 2,
  orders: api + 3,
  profile: api + 4,
  org: api + 5,
};

const started = Date.now();
console.log('Starting the Gatehouse shop…');
const shop = await startShop({
  ports,
  ...(values['data-dir'] ? { dataDir: values['data-dir'] as string } : {}),
  ...(values.memory ? { memory: true } : {}),
}).catch((error: Error) => {
  console.error(`Could not start the shop: ${error.message}`);
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
    console.error('A port is taken: stop what uses it, or choose others (npm start -- --help).');
  process.exit(1);
});

const database =
  shop.db.kind === 'postgres'
    ? `Postgres (DATABASE_URL), the services as role ${SHOP_SERVICE_ROLE}`
    : values.memory
      ? 'PGlite in memory (nothing is kept)'
      : `PGlite in ${values['data-dir'] ?? defaultShopDataDir}`;
const users = demoUsers
  .map((user) => `    ${user.login.padEnd(6)} ${ROLE_NOTES[user.login] ?? user.roles.join(', ')}`)
  .join('\n');
const apis = Object.entries(shop.urls.apis)
  .map(([name, url]) => [name, Number(new URL(url).port)] as const)
  .sort((a, b) => a[1] - b[1])
  .map(([name, port]) => `${name} ${port}`)
  .join(', ');
console.log(`
Gatehouse shop is ready (${Date.now() - started} ms):
  Shop               ${shop.urls.shop}
  Identity provider  ${shop.urls.idp}   (its login page)
  Remotes origin     ${shop.urls.remotes}   (public remotes' code; admin and org come from the shop itself)
  Domain APIs        127.0.0.1: ${apis}   (bearer JWTs only)
  Database           ${database}
Demo users (password = user name):
${users}
Press Ctrl-C to stop.
`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping…');
  shop.close().then(
    () => {
      console.log('Stopped. Shop data is saved.');
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
