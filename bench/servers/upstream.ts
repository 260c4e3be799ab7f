// The upstream under every scenario: a small node:http server answering one JSON document, in its own process.
// It counts what it served and remembers whether the last request carried a bearer token or a cookie, so the
// bench can check that the BFF really forwarded an authenticated request (token attached, cookie stripped).
// With BENCH_UPSTREAM_TOKENS=1 (refresh storm, load test) it also counts the distinct bearer tokens it saw
// since the last `tokens` message.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerOnIpc, readyOnIpc } from '../lib/child.js';

/** The answer to `stats`. */
export interface UpstreamStats {
  /** Requests served so far. */
  readonly count: number;
  /** Whether the last request carried a bearer token. */
  readonly bearer: boolean;
  /** Whether the last request carried a cookie. */
  readonly cookie: boolean;
}

/** The answer to `tokens`: distinct bearer tokens since the last `tokens` (with BENCH_UPSTREAM_TOKENS=1). */
export interface UpstreamTokens {
  readonly distinct: number;
}

const BODY = Buffer.from(
  JSON.stringify({ id: 'item-1', name: 'Bench item', price: 1999, currency: 'EUR', stock: 42 }),
);
const HEADERS = { 'content-type': 'application/json', 'content-length': String(BODY.length) };

const seen = { count: 0, bearer: false, cookie: false };
const trackTokens = process.env.BENCH_UPSTREAM_TOKENS === '1';
const tokens = new Set<string | undefined>();
const server = createServer({ keepAliveTimeout: 72_000 }, (req, res) => {
  seen.count++;
  // A bearer token, or (DPoP, RFC 9449) a bound token with its proof.
  const authorization = req.headers.authorization ?? '';
  seen.bearer =
    authorization.startsWith('Bearer ') ||
    (authorization.startsWith('DPoP ') && typeof req.headers.dpop === 'string');
  seen.cookie = req.headers.cookie !== undefined;
  if (trackTokens) tokens.add(req.headers.authorization);
  // Drain any body, then answer.
  req.resume();
  res.writeHead(200, HEADERS);
  res.end(BODY);
});

answerOnIpc('stats', (): UpstreamStats => ({ ...seen }));
answerOnIpc('tokens', (): UpstreamTokens => {
  const distinct = tokens.size;
  tokens.clear();
  return { distinct };
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  readyOnIpc(`http://127.0.0.1:${port}`, () => new Promise<void>((resolve) => server.close(() => resolve())));
});
