/**
 * The bench's local target: a keep-alive HTTP server on 127.0.0.1 in a worker
 * thread (so it does not share the event loop of the load it measures), answering
 * every request with 200 and a small body at once. Posts its port to the parent.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort } from 'node:worker_threads';

const body = Buffer.from('{"ok":true}\n');
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => parentPort?.postMessage((server.address() as AddressInfo).port));
