/**
 * The local DynamoDB in a process of its own (forked by local/dynamodb/dynamodb.ts with the tsx loader), so that its
 * CPU (LevelDB, request parsing, and the proxy's guard, signature checks and IAM) runs on another core than the
 * handlers and the engine.
 *
 * dynalite listens on a Unix socket in a folder only this user can open, never on a TCP port: it answers CORS to any
 * origin and checks only the format of Authorization. The only way in is the proxy (dynamodb-proxy.ts: loopback
 * guard, IAM), which this process starts on the stack's DYNAMODB_PORT.
 *
 *   argv[2]: JSON {path, socket, delays?}; `delays` (LATENCY=aws, local/latency/aws-latency.ts): ms per operation
 *   (X-Amz-Target's operation, `*` for the others), waited before dynalite answers. Message in: {type: 'start', port, access?} (access: the AccessGate's snapshot).
 *   Messages out: {type: 'listening', port} | {type: 'error', message}.
 *   Message in: {type: 'stop'}: close (in-flight requests finish, LevelDB releases its lock), then exit.
 *   The parent gone (IPC disconnected): the same, so that no dynalite outlives its stack.
 */
import dynalite from 'dynalite';

const { path, socket, delays = {} } = JSON.parse(process.argv[2] ?? '{}');
// Table changes are immediate: the local stack creates its table at start and uses it at once.
const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
if (Object.keys(delays).length > 0) {
  const answer = server.listeners('request');
  server.removeAllListeners('request');
  server.on('request', (req, res) => {
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    const ms = delays[operation] ?? delays['*'] ?? 0;
    setTimeout(() => {
      for (const listener of answer) listener.call(server, req, res);
    }, ms);
  });
}
const listening = new Promise((resolve) => server.listen(socket, resolve));
let proxy;

let closing = false;
async function close() {
  if (closing) return;
  closing = true;
  await proxy?.stop().catch(() => undefined);
  server.close(() => process.exit(0));
  server.closeIdleConnections?.();
}

function fail(error) {
  process.send?.({ type: 'error', message: error.message });
  process.exit(1);
}

server.once('error', fail);
process.on('message', (message) => {
  if (message?.type === 'stop') void close();
  if (message?.type === 'start') void start(message).catch(fail);
});
process.on('disconnect', () => void close());

async function start({ port, access }) {
  await listening;
  const { startProxyFor } = await import('./dynamodb-proxy.ts');
  proxy = await startProxyFor({ port, socketPath: socket, access });
  process.send?.({ type: 'listening', port: proxy.port });
}
