/**
 * `npm run knox-sim`: the Knox simulator on its own, for demos and for pointing any Knox client at it.
 * Port from KNOX_SIM_PORT (default 4010); KNOX_SIM_LATENCY=aws answers with Knox's typical latency (latency.ts). The credentials printed are the simulator's fixed test credentials.
 */
import { SIM_DEFAULT_CREDENTIALS, startKnoxSimulator } from './server';

const DEFAULT_PORT = 4010;

function portFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`KNOX_SIM_PORT must be a port number, got "${value}"`);
  }
  return port;
}

const sim = await startKnoxSimulator({
  port: portFromEnv(process.env.KNOX_SIM_PORT),
  latency: process.env.KNOX_SIM_LATENCY === 'aws' ? 'aws' : 'none',
});
const { clientId, clientSecret } = SIM_DEFAULT_CREDENTIALS;
console.log(`Knox simulator listening on ${sim.url}`);
console.log(
  `Credentials: client_id=${clientId} client_secret=${clientSecret} (scope msp); control surface: ${sim.url}/_sim/`,
);
console.log(
  `Try: curl -s -X POST ${sim.url}/ams/v1/oauth2/token -d grant_type=client_credentials ` +
    `-d client_id=${clientId} -d client_secret=${clientSecret} -d scope=msp`,
);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`Knox simulator stopping (${signal})`);
  await sim.stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
