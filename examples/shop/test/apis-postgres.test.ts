import { describeWith } from '@gatehouse/testing';
import { openShopDatabase } from '../src/index.js';
import { shopApiSuite } from './support/api-suite.js';
import { createTestPostgresDatabase } from './support/postgres.js';

await describeWith(['postgres'], 'shop APIs through the BFF, on a Postgres server', () => {
  shopApiSuite(async () => {
    const database = await createTestPostgresDatabase();
    const db = await openShopDatabase({ url: database.url });
    return {
      db,
      async dispose() {
        await db.close();
        await database.drop();
      },
    };
  });
});
