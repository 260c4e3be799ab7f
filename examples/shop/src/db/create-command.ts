#!/usr/bin/env node
// `npm start`'s first-start step: makes the shop's PGlite folder (Postgres's initdb, the migrations and the seed
// data) in a child process, beside the server's own start, so both cores work at once. It is made under a
// temporary name and renamed when complete: a start stopped half-way leaves no half-made database behind.
//   node create-command.js DIR
import { existsSync, renameSync, rmSync } from 'node:fs';
import { openShopDatabase } from './open-shop-database.js';

const dataDir = process.argv[2];
if (!dataDir) {
  console.error('Usage: create-command DIR (the PGlite folder to make)');
  process.exit(2);
}
if (!existsSync(dataDir)) {
  const making = `${dataDir}.making-${process.pid}`;
  try {
    const db = await openShopDatabase({ dataDir: making });
    await db.close();
    renameSync(making, dataDir);
  } finally {
    rmSync(making, { recursive: true, force: true });
  }
}
