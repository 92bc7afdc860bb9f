/**
 * dynalite in a process of its own (forked by local/dynamodb.ts), so that the local DynamoDB's CPU (LevelDB, request
 * parsing) runs on another core than the handlers and the engine. Plain JavaScript: it needs no TypeScript loader, so
 * it starts in about 100 ms.
 *
 *   argv[2]: JSON {path, port, delays?}. `delays` (LATENCY=aws, local/latency/aws-latency.ts): ms per operation
 *   (X-Amz-Target's operation, `*` for the others), waited before dynalite answers. Messages out: {type: 'listening', port} | {type: 'error', message}.
 *   Message in: {type: 'stop'}: close (in-flight requests finish, LevelDB releases its lock), then exit.
 *   The parent gone (IPC disconnected): the same, so that no dynalite outlives its stack.
 */
import dynalite from 'dynalite';

const { path, port, delays = {} } = JSON.parse(process.argv[2] ?? '{}');
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

let closing = false;
function close() {
  if (closing) return;
  closing = true;
  server.close(() => process.exit(0));
  server.closeIdleConnections?.();
}

server.once('error', (error) => {
  process.send?.({ type: 'error', message: error.message });
  process.exit(1);
});
server.listen(port ?? 0, '127.0.0.1', () => {
  process.send?.({ type: 'listening', port: server.address().port });
});
process.on('message', (message) => {
  if (message?.type === 'stop') close();
});
process.on('disconnect', close);
