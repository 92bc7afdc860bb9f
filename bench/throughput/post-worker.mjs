/**
 * The throughput run's HTTP client, on a worker thread of its own: operators' clients are not part of the local
 * stack, so their side of each `POST` (fetch, sockets, JSON) should not take the stack's one busy core. Plain
 * JavaScript: a worker needs no TypeScript loader. Message in: {seq, url, body}; out: {seq, status, text} or
 * {seq, error}.
 */
import { parentPort } from 'node:worker_threads';

parentPort.on('message', async ({ seq, url, body }) => {
  try {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    parentPort.postMessage({ seq, status: response.status, text: await response.text() });
  } catch (error) {
    parentPort.postMessage({ seq, error: String(error) });
  }
});
