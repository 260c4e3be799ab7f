// A WebSocket upstream for the long-lived suite, in its own process (the `ws` library): it accepts every
// connection and answers each message with the same text; it never speaks first, so an open one stays idle.
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { readyOnIpc } from '../lib/child.js';

const server = createServer((_req, res) => res.writeHead(426).end());
const wss = new WebSocketServer({ server, perMessageDeflate: false });
wss.on('connection', (socket) => socket.on('message', (data) => socket.send(data.toString())));
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  readyOnIpc(`http://127.0.0.1:${port}`, () => {
    for (const client of wss.clients) client.terminate();
    return new Promise((resolve) => server.close(resolve));
  });
});
