// One cold import, in a fresh `node` process (plain JavaScript: no tsx loader in the way). Usage:
//   node bench/bundles/import-probe.mjs <bundle.mjs>
// Prints one JSON line: {importMs, cpuMs, network, exportsHandler}: wall time and CPU time (user + system) of the
// import. CPU time is what a cold start spends on a vCPU of its own; wall time here also holds whatever else the
// machine runs meanwhile. `network` lists every connection, DNS lookup or fetch the
// module started while loading (and during the next 50 ms, for work it kicked off without awaiting): a handler must do
// none of that at module load. Nothing is actually sent: connections are refused here.
import dns from 'node:dns';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const network = [];
const refuse = (what) => {
  network.push(what);
  throw new Error(`bench: ${what} at module load`);
};
net.Socket.prototype.connect = function connect() {
  network.push('socket connect');
  this.destroy(new Error('bench: no connections at module load'));
  return this;
};
dns.lookup = (host) => refuse(`dns lookup ${String(host)}`);
globalThis.fetch = async (input) => refuse(`fetch ${String(input).slice(0, 80)}`);

const cpu = process.cpuUsage();
const started = performance.now();
const mod = await import(pathToFileURL(process.argv[2]).href);
const importMs = performance.now() - started;
const used = process.cpuUsage(cpu);
const cpuMs = (used.user + used.system) / 1000;
await new Promise((resolve) => setTimeout(resolve, 50));
process.stdout.write(
  `${JSON.stringify({ importMs, cpuMs, network, exportsHandler: typeof mod.handler === 'function' })}\n`,
);
