// Types for the two `pg` entry points postgres-database.ts imports directly (see the comment there).
declare module 'pg-pool' {
  import type { Pool } from 'pg';

  const PoolClass: typeof Pool;
  // biome-ignore lint/style/noDefaultExport: this describes the package's own default export
  export default PoolClass;
}

declare module 'pg/lib/client.js' {
  import type { Client } from 'pg';

  const ClientClass: typeof Client;
  // biome-ignore lint/style/noDefaultExport: this describes the module's own default export
  export default ClientClass;
}
