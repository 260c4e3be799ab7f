import { randomBytes } from 'node:crypto';
import { postgresUrl } from '@gatehouse/testing';
import { openPostgresDatabase } from '../../src/index.js';

/** A database of its own on the test Postgres server, dropped by `drop()`: parallel runs never collide. */
export interface TestPostgresDatabase {
  readonly name: string;
  /** The database's URL, as the server URL's user or, with `ownedByRole`, as the database's own owner. */
  readonly url: string;
  drop(): Promise<void>;
}

/** Options of {@link createTestPostgresDatabase}. */
export interface TestPostgresDatabaseOptions {
  /**
   * Make the database's owner a login role of its own (`gh_test_<random>`, `CREATEROLE`, not a superuser)
   * and connect as it, as a production shop would migrate; `drop()` drops the role too.
   */
  readonly ownedByRole?: boolean;
}

/**
 * Creates `gh_test_<random>` on the server of `postgresUrl` (`DATABASE_URL` or the local default), touching
 * nothing else there but, with `ownedByRole`, a login role of the same name.
 */
export async function createTestPostgresDatabase(
  options: TestPostgresDatabaseOptions = {},
): Promise<TestPostgresDatabase> {
  const name = `gh_test_${randomBytes(6).toString('hex')}`;
  const admin = await openPostgresDatabase({ url: postgresUrl, maxConnections: 1 });
  try {
    if (options.ownedByRole) {
      await admin.query(`CREATE ROLE ${name} LOGIN CREATEROLE`);
      await admin.query(`CREATE DATABASE ${name} OWNER ${name}`);
    } else {
      await admin.query(`CREATE DATABASE ${name}`);
    }
  } finally {
    await admin.close();
  }
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  if (options.ownedByRole) {
    url.username = name;
    url.password = '';
  }
  return {
    name,
    url: url.href,
    async drop() {
      const admin = await openPostgresDatabase({ url: postgresUrl, maxConnections: 1 });
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        if (options.ownedByRole) await admin.query(`DROP ROLE IF EXISTS ${name}`);
      } finally {
        await admin.close();
      }
    },
  };
}
