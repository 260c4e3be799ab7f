// The Gatehouse BFF serving a shell page, for the bench's Chromium figures: `createBffServer` from the built
// package with a `renderPage` that inlines the identity (`identityScript`) and the shell's configuration, and
// loads the bundled runtime from the BFF's own assets. Paths under /noinline/ leave the identity out, so the
// runtime must ask `GET /auth/session` (the baseline). Options: BENCH_BFF_OPTIONS (the BFF's, JSON) and
// BENCH_PAGE_CONFIG (the shell's remotes, routes and allowed origins, JSON). IPC `push` answers the number of
// open push streams.
import {
  type BffOptions,
  createBffServer,
  createLogger,
  identityScript,
  type PageRenderer,
  resolveConfig,
} from '@gatehouse/bff';
import { answerOnIpc, optionsFromEnv, readyOnIpc } from '../lib/child.js';

const config = resolveConfig(optionsFromEnv<BffOptions>('BENCH_BFF_OPTIONS'));
const pageConfig = JSON.stringify(optionsFromEnv<unknown>('BENCH_PAGE_CONFIG')).replaceAll('<', '\\u003c');

const renderPage: PageRenderer = ({ path, identity, nonce }) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Gatehouse bench</title>
${path.startsWith('/noinline/') ? '' : identityScript(identity)}
<script type="application/json" id="bench-config">${pageConfig}</script>
</head><body><main id="outlet"></main>
<script type="module" nonce="${nonce}" src="/assets/app.js"></script></body></html>`;

const server = await createBffServer({ config, logger: createLogger(config.logLevel), renderPage });
const bff = await server.listen();
answerOnIpc('push', () => ({ size: bff.runtime.push.size }));
readyOnIpc(`http://127.0.0.1:${config.port}`, () => bff.close());
