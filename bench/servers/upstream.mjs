// The upstream under every scenario: a small node:http server answering one JSON document, in its own process.
// It counts what it served and remembers whether the last request carried a bearer token or a cookie, so the
// bench can check that the BFF really forwarded an authenticated request (token attached, cookie stripped).
// With BENCH_UPSTREAM_TOKENS=1 (refresh storm, load test) it also counts the distinct bearer tokens it saw
// since the last `tokens` message.
import { createServer } from 'node:http';
import { readyOnIpc } from '../lib/child.mjs';

const BODY = Buffer.from(
  JSON.stringify({ id: 'item-1', name: 'Bench item', price: 1999, currency: 'EUR', stock: 42 }),
);
const HEADERS = { 'content-type': 'application/json', 'content-length': String(BODY.length) };

const seen = { count: 0, bearer: false, cookie: false };
const trackTokens = process.env.BENCH_UPSTREAM_TOKENS === '1';
const tokens = new Set();
const server = createServer({ keepAliveTimeout: 72_000 }, (req, res) => {
  seen.count++;
  seen.bearer =
    typeof req.headers.authorization === 'string' && req.headers.authorization.startsWith('Bearer ');
  seen.cookie = req.headers.cookie !== undefined;
  if (trackTokens) tokens.add(req.headers.authorization);
  // Drain any body, then answer.
  req.resume();
  res.writeHead(200, HEADERS);
  res.end(BODY);
});

process.on('message', (message) => {
  if (message?.type === 'stats') process.send?.({ type: 'stats', ...seen });
  if (message?.type === 'tokens') {
    process.send?.({ type: 'tokens', distinct: tokens.size });
    tokens.clear();
  }
});

server.listen(0, '127.0.0.1', () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  readyOnIpc(`http://127.0.0.1:${port}`, () => new Promise((resolve) => server.close(() => resolve())));
});
