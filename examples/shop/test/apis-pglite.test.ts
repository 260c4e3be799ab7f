import { describe } from 'vitest';
import { openShopDatabase } from '../src/index.js';
import { shopApiSuite } from './support/api-suite.js';

describe('shop APIs through the BFF, on PGlite (in memory)', () => {
  shopApiSuite(async () => {
    const db = await openShopDatabase({ memory: true });
    return { db, dispose: () => db.close() };
  });
});
