// The baseline: a bare Fastify 5 + @fastify/reply-from proxy, nothing else, in its own process.
// `/api/bench/<rest>` goes to `<upstream>/<rest>`, the same mapping the BFF uses.
import replyFrom from '@fastify/reply-from';
import Fastify from 'fastify';
import { readyOnIpc } from '../../lib/child.js';

const upstream = process.env.BENCH_UPSTREAM_URL;
if (!upstream) throw new Error('BENCH_UPSTREAM_URL is not set');

const app = Fastify({ logger: false });
await app.register(replyFrom, { base: upstream });
app.get('/api/bench/*', (request, reply) => reply.from(request.url.slice('/api/bench'.length)));
const address = await app.listen({ port: 0, host: '127.0.0.1' });
readyOnIpc(address, () => app.close());
