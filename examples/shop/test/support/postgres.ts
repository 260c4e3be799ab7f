import { randomBytes } from 'node:crypto';
import { postgresUrl } from '@gatehouse/testing';
import { openPostgresDatabase } from '../../src/index.js';

/** A database of its own on the test Postgres server, dropped by `drop()`: parallel runs never collide. */
export interface TestPostgresDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * Creates `gh_test_<random>` on the server of `postgresUrl` (`DATABASE_URL` or the local default), touching
 * nothing else there.
 */
export async function createTestPostgresDatabase(): Promise<TestPostgresDatabase> {
  const name = `gh_test_${randomBytes(6).toString('hex')}`;
  const admin = await openPostgresDatabase({ url: postgresUrl, maxConnections: 1 });
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.close();
  }
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.href,
    async drop() {
      const admin = await openPostgresDatabase({ url: postgresUrl, maxConnections: 1 });
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.close();
      }
    },
  };
}
