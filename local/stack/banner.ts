/** The banner `npm start` prints: where the API, the console, Knox and the local AWS endpoints listen. */
import { relative } from 'node:path';
import { FIXTURES } from '#knox-sim/fixtures';
import { DEFAULTS, ENV } from '#domain/configuration';
import type { LocalStack } from './local-stack';
import { templatePath } from '../template/synth';

export interface BannerOptions {
  /** PORT is the default one (the CLI hints need no PORT=). */
  defaultPort: boolean;
  /** KNOX_CLIENT_ID / KNOX_CLIENT_SECRET were given for a Knox of the user's own. */
  knoxCredentialsSet: boolean;
  /** Built-in simulator: customers answer this long after a request (undefined: by hand). */
  autoApproveMs: number | undefined;
}

/** "the poller's 300 s period takes 300 ms": what TIME_SCALE means for the poller. */
function describeScale(scale: number, periodSeconds: number): string {
  const period = periodSeconds * scale;
  const shown = period >= 1 ? `${Number(period.toFixed(1))} s` : `${Number((period * 1000).toFixed(1))} ms`;
  return `${scale} (every Wait and Retry interval, the deadline and the poller's period × ${scale}: a poll round every ${shown})`;
}

/** What `npm start` prints once the stack runs: every address, and a first request to try. */
export function startBanner(stack: LocalStack, options: BannerOptions): string {
  const { autoApproveMs } = options;
  const customerId = stack.simulator ? FIXTURES.unmanaged : '<a Knox customerId>';
  const body = JSON.stringify({
    customerId,
    managementType: 'JointlyManaged',
    accessType: 'FullAccess',
    services: [{ service: 'KnoxMobileEnrollment' }],
  });
  const portPrefix = options.defaultPort ? '' : `PORT=${stack.ports.api} `;
  const knox = stack.simulator
    ? `built-in simulator at ${stack.knoxUrl} (fixtures reload at every start; control surface ${stack.knoxUrl}/_sim/)` +
      (autoApproveMs !== undefined
        ? `\n                  customers approve links and accept delinks ${autoApproveMs / 1000} s after the request (KNOX_SIM_AUTO_APPROVE_MS)`
        : `\n                  customers do not answer on their own: POST ${stack.knoxUrl}/_sim/customers/<id>/approve-link`)
    : `${stack.knoxUrl} (credentials ${options.knoxCredentialsSet ? 'from KNOX_CLIENT_ID / KNOX_CLIENT_SECRET' : 'NOT SET: the simulator defaults are served, set KNOX_CLIENT_ID / KNOX_CLIENT_SECRET'})`;
  const recovered = stack.recovery.filter((r) => r.action !== 'running');
  const sfnUrl = `http://127.0.0.1:${stack.ports.sfn}`;
  const dynamoUrl = `http://127.0.0.1:${stack.ports.dynamo}`;
  const onboardingArn = stack.model.stateMachines.find((m) => m.workflow === 'onboarding')?.arn ?? '<arn>';
  const lines = [
    '',
    'knox-onboarding local stack',
    `  HTTP API        ${stack.apiUrl}`,
    `  Console         ${stack.apiUrl}/ (every record, its execution drawn, answers for simulated customers)`,
    `  Knox            ${knox}`,
    `  DynamoDB        dynalite, data in ${stack.dataDir} (kept across restarts)`,
    `  Step Functions  ${stack.model.stateMachines.map((m) => m.workflow).join(', ')} from ${relative(process.cwd(), templatePath()) || templatePath()}`,
    `  Time scale      ${describeScale(stack.timeScale, pollPeriodOf(stack))}`,
    `  Step Functions  API on ${sfnUrl} (AWS JSON 1.0, as Step Functions Local)`,
    `  DynamoDB        API on ${dynamoUrl} (a proxy in front of dynalite: IAM as the template's roles say)`,
    `  Listeners       loopback only: Host 127.0.0.1/localhost with the port, no other browser origin`,
    ...(recovered.length > 0
      ? [
          `  Recovered       ${recovered.length} open record(s): ${recovered.map((r) => `${r.recordId} ${r.action}`).join(', ')}`,
        ]
      : []),
    '',
    stack.simulator ? `Onboard a fixture customer (it will approve the link):` : 'Onboard a customer:',
    `  curl -s -X POST ${stack.apiUrl}/onboardings -H 'content-type: application/json' -d '${body}'`,
    'Watch it (use the onboardingId and executionName from the answer):',
    `  curl -s ${stack.apiUrl}/onboardings/<onboardingId>`,
    `  ${portPrefix}npm run executions                  # every execution`,
    `  ${portPrefix}npm run executions <executionName>  # its path through the diagram`,
    'With the AWS CLI (any dummy credentials and region, e.g. AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_REGION=us-east-1):',
    `  aws stepfunctions list-executions --endpoint-url ${sfnUrl} --state-machine-arn ${onboardingArn}`,
    `  aws dynamodb scan --endpoint-url ${dynamoUrl} --table-name ${stack.model.table.name}`,
    '',
    'Ctrl-C stops; open onboardings continue at the next start.',
    '',
  ];
  return lines.join('\n');
}

/** The poller's period as the template sets it (unscaled seconds). */
function pollPeriodOf(stack: LocalStack): number {
  const poller = stack.model.functions.find((f) => f.environment[ENV.pollPeriodSeconds] !== undefined);
  return Number(poller?.environment[ENV.pollPeriodSeconds] ?? DEFAULTS.pollPeriodSeconds);
}
