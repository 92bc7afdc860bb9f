/**
 * dynalite in a process of its own (forked by local/dynamodb/dynamodb.ts), so that the local DynamoDB's CPU (LevelDB,
 * request parsing) runs on another core than the handlers and the engine. Plain JavaScript: it needs no TypeScript
 * loader, so it starts in about 100 ms.
 *
 * It listens on a Unix socket in a folder only this user can open, never on a TCP port: dynalite answers CORS to any
 * origin and checks only the format of Authorization, so the only way in is the local stack's DynamoDB proxy
 * (local/dynamodb/dynamodb-proxy.ts: loopback guard, IAM), which listens on DYNAMODB_PORT.
 *
 *   argv[2]: JSON {path, socket}. Messages out: {type: 'listening'} | {type: 'error', message}.
 *   Message in: {type: 'stop'}: close (in-flight requests finish, LevelDB releases its lock), then exit.
 *   The parent gone (IPC disconnected): the same, so that no dynalite outlives its stack.
 */
import dynalite from 'dynalite';

const { path, socket } = JSON.parse(process.argv[2] ?? '{}');
// Table changes are immediate: the local stack creates its table at start and uses it at once.
const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });

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
server.listen(socket, () => {
  process.send?.({ type: 'listening' });
});
process.on('message', (message) => {
  if (message?.type === 'stop') close();
});
process.on('disconnect', close);
