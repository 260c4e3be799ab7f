// The floor: the leanest proxy that does the BFF's wire work without its checks — node:http and an undici
// pool, the client's headers forwarded without `host` and `cookie`, and a fixed bearer token as long as the
// dev IdP's access tokens (769 characters) attached. No session, no CSRF or Fetch Metadata check, no header
// filtering, no trace context, no metrics: what any authenticating proxy on Node costs at least. Its own process.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { readyOnIpc } from '../../lib/child.js';

const upstream = process.env.BENCH_UPSTREAM_URL;
if (!upstream) throw new Error('BENCH_UPSTREAM_URL is not set');
const pool = new Pool(upstream, { connections: 128, pipelining: 1 });
const BEARER = `Bearer ${'x'.repeat(769)}`;
const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding'];

const server = createServer({ keepAliveTimeout: 72_000 }, (req, res) => {
  const headers = { ...req.headers, authorization: BEARER };
  delete headers.host;
  delete headers.cookie;
  pool
    .request({
      path: (req.url ?? '/').slice('/api/bench'.length),
      method: (req.method ?? 'GET') as 'GET',
      headers,
    })
    .then(
      ({ statusCode, headers: answer, body }) => {
        for (const name of HOP_BY_HOP) delete answer[name];
        res.writeHead(statusCode, answer);
        body.pipe(res);
      },
      () => {
        res.writeHead(502).end();
      },
    );
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  readyOnIpc(`http://127.0.0.1:${port}`, async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await pool.close();
  });
});
