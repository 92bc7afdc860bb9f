/**
 * The local stack end to end, through real HTTP only: the synthesized state machines run on the local engine with the
 * real handler modules, dynalite and the Knox simulator. Covers a link onboarding approved by the customer, a create,
 * a cancel, the local Step Functions API as the AWS SDK sees it, and a restart that resumes a waiting onboarding.
 */
import {
  ListExecutionsCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STATES } from '#domain/state-names';
import { STEP_ERROR_NAMES } from '#domain/dispositions';
import { KnoxSimControl } from '#knox-sim/control';
import { FIXTURES } from '#knox-sim/server';
import type { LocalStack } from '#local/stack/local-stack';
import {
  api,
  eventually,
  getExecution,
  listExecutions,
  startRecord,
  statePath,
  stateErrors,
  waitForExecution,
  waitForStatus,
} from '#testkit/test-stack';
import { startBanner } from '#local/stack/banner';
import { PATHS, useE2e } from './support/e2e-scenarios';
import { useRestartableStack } from './support/restart-support';
import { createRequest, linkRequest } from './support/requests';

function sfnClient(stack: LocalStack): SFNClient {
  return new SFNClient({
    endpoint: `http://127.0.0.1:${stack.ports.sfn}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

describe('the local stack', () => {
  const e2e = useE2e();

  it('names every address in its start banner: the API, the console, Knox and both AWS endpoints with a CLI example', () => {
    const { stack } = e2e;
    const banner = startBanner(stack, { defaultPort: false, knoxCredentialsSet: false, autoApproveMs: 5000 });
    const lines = banner.split('\n');
    expect(lines).toContain(`  HTTP API        ${stack.apiUrl}`);
    expect(lines.some((l) => l.startsWith(`  Console         ${stack.apiUrl}/ `))).toBe(true);
    expect(banner).toContain(`built-in simulator at ${stack.knoxUrl}`);
    expect(banner).toContain(`aws stepfunctions list-executions --endpoint-url http://127.0.0.1:${stack.ports.sfn} `);
    expect(banner).toContain(
      `aws dynamodb scan --endpoint-url http://127.0.0.1:${stack.ports.dynamo} --table-name ${stack.model.table.name}`,
    );
    expect(banner).toContain(`PORT=${stack.ports.api} npm run executions`);
  });

  it('links a customer, waits for its approval, and succeeds', async () => {
    const started = await startRecord(e2e.stack.apiUrl, 'onboarding', linkRequest(FIXTURES.unmanaged));
    expect(started.status).toBe(202);
    const id = String(started.body['onboardingId']);
    const executionName = String(started.body['executionName']);

    // The customer has not answered: the execution waits on a callback; the poller asks Knox every (scaled) period.
    await waitForStatus(e2e.stack.apiUrl, 'onboarding', id, 'WAITING');
    await e2e.stack.poller!.afterRounds(1);
    await e2e.control.approveLink(FIXTURES.unmanaged);
    const record = await waitForStatus(e2e.stack.apiUrl, 'onboarding', id, ['SUCCEEDED', 'FAILED', 'ABORTED']);
    expect(record.status).toBe('SUCCEEDED');
    expect(record['customerId']).toBe(FIXTURES.unmanaged);
    const statuses = (record.history ?? []).map((h) => h.status).filter((s) => s !== undefined);
    expect(statuses[0]).toBe('REQUESTED');
    expect(statuses).toContain('WAITING');
    expect(statuses.at(-1)).toBe('SUCCEEDED');

    const execution = await waitForExecution(e2e.stack.apiUrl, executionName, 'SUCCEEDED');
    expect(execution.recordId).toBe(id);
    expect(statePath(execution)).toEqual(PATHS.linked);
    // The wait was one callback Task: no failed attempt, no retry, whatever the number of rounds before the answer.
    const wait = execution.path.find((s) => s.state === STATES.waitForAnswer)!;
    expect(stateErrors(execution, STATES.waitForAnswer)).toEqual([]);
    expect(wait.retries).toBe(0);

    const listed = await listExecutions(e2e.stack.apiUrl);
    expect(listed).toContainEqual(
      expect.objectContaining({ name: executionName, workflow: 'onboarding', status: 'SUCCEEDED', recordId: id }),
    );
  });

  it('creates a new customer and succeeds', async () => {
    const email = `ada.${Date.now().toString(36)}@acme.example`;
    const started = await startRecord(e2e.stack.apiUrl, 'onboarding', createRequest(email));
    expect(started.status).toBe(202);
    const record = await waitForStatus(e2e.stack.apiUrl, 'onboarding', String(started.body['onboardingId']), [
      'SUCCEEDED',
      'FAILED',
      'ABORTED',
    ]);
    expect(record.status).toBe('SUCCEEDED');
    expect(record['customerId']).toMatch(/^\d+$/);
    const execution = await waitForExecution(e2e.stack.apiUrl, String(started.body['executionName']), 'SUCCEEDED');
    expect(statePath(execution)).toEqual(PATHS.created);
  });

  it('serves the Step Functions API the SDK expects: idempotent StartExecution, history, listings', async () => {
    const sfn = sfnClient(e2e.stack);
    // Samsung has not approved this customer's account: the link waits (4002101) until we cancel.
    const started = await startRecord(e2e.stack.apiUrl, 'onboarding', linkRequest(FIXTURES.samsungApprovalPending));
    const id = String(started.body['onboardingId']);
    const executionName = String(started.body['executionName']);
    await waitForStatus(e2e.stack.apiUrl, 'onboarding', id, 'WAITING');

    const arn = (await getExecution(e2e.stack.apiUrl, executionName))!.executionArn;
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    expect(described.status).toBe('RUNNING');
    expect(JSON.parse(described.input!)).toEqual({ id, path: 'link' });
    expect(described.startDate).toBeInstanceOf(Date);

    // The same name and input while running: the same execution. Another input: ExecutionAlreadyExists.
    const again = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: described.stateMachineArn,
        name: executionName,
        input: described.input,
      }),
    );
    expect(again.executionArn).toBe(arn);
    expect(again.startDate?.getTime()).toBe(described.startDate?.getTime());
    await expect(
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn: described.stateMachineArn,
          name: executionName,
          input: '{"id":"other"}',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });

    // Cancel: the API stops the execution; the status change marks the record CANCELLED.
    const cancelled = await api(e2e.stack.apiUrl, 'DELETE', `/onboardings/${id}`);
    expect(cancelled.status).toBeLessThan(300);
    const record = await waitForStatus(e2e.stack.apiUrl, 'onboarding', id, [
      'CANCELLED',
      'FAILED',
      'ABORTED',
      'SUCCEEDED',
    ]);
    expect(record.status).toBe('CANCELLED');
    const execution = await waitForExecution(e2e.stack.apiUrl, executionName, ['ABORTED', 'FAILED', 'SUCCEEDED']);
    expect(execution.status).toBe('ABORTED');
    expect(stateErrors(execution, STATES.linkCustomer).every((e) => e === STEP_ERROR_NAMES.wait)).toBe(true);

    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn }));
    const types = (history.events ?? []).map((e) => e.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types).toContain('TaskStateEntered');
    expect(types).toContain('TaskFailed');
    expect(types.at(-1)).toBe('ExecutionAborted');
    const listed = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: described.stateMachineArn, statusFilter: 'ABORTED' }),
    );
    expect(listed.executions?.map((e) => e.name)).toContain(executionName);

    // A closed execution's name is taken.
    await expect(
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn: described.stateMachineArn,
          name: executionName,
          input: described.input,
        }),
      ),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it('answers like API Gateway for unknown routes, oversized bodies and bodies that are not JSON objects', async () => {
    const unknown = await api(e2e.stack.apiUrl, 'GET', '/nowhere');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ message: expect.any(String) });

    const tooLarge = await api(
      e2e.stack.apiUrl,
      'POST',
      '/onboardings',
      JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 10) }),
    );
    expect(tooLarge.status).toBe(413);

    const notAnObject = await api(e2e.stack.apiUrl, 'POST', '/onboardings', '[1, 2]');
    expect(notAnObject.status).toBe(400);
    expect(notAnObject.body).toMatchObject({ message: expect.any(String), issues: expect.any(Array) });

    expect((await api(e2e.stack.apiUrl, 'GET', '/executions/no-such-execution')).status).toBe(404);
  });
});

describe('a restart on the same DATA_DIR', () => {
  const restartable = useRestartableStack();

  it('resumes an onboarding that was waiting for the customer', async () => {
    const first = await restartable.start();
    const started = await startRecord(first.apiUrl, 'onboarding', linkRequest(FIXTURES.unmanaged));
    const id = String(started.body['onboardingId']);
    const executionName = String(started.body['executionName']);
    // Waiting on a callback: the token is on the record (the API shows when it began to wait).
    const before = await waitForWaitingSince(first.apiUrl, id);

    const ports = first.ports;
    const second = await restartable.restart(() => {
      // The execution is still RUNNING on disk: it was interrupted, not ended.
      const { dataDir } = restartable;
      const files = readdirSync(join(dataDir, 'executions')).filter((f) => f.includes(executionName));
      expect(files).toHaveLength(1);
      const saved = JSON.parse(readFileSync(join(dataDir, 'executions', files[0]!), 'utf8')) as { status: string };
      expect(saved.status).toBe('RUNNING');
      expect(existsSync(join(dataDir, 'dynamodb'))).toBe(true);
    });
    expect(second.apiUrl).toBe(`http://127.0.0.1:${ports.api}`);
    expect(second.recovery).toContainEqual(expect.objectContaining({ recordId: id, action: 'resumed', executionName }));
    // The resumed wait stored a new token (the old one died with the first process); the next round completes it.
    await waitForWaitingSince(second.apiUrl, id, before);

    await new KnoxSimControl(restartable.knox.url).approveLink(FIXTURES.unmanaged);
    const record = await waitForStatus(second.apiUrl, 'onboarding', id, ['SUCCEEDED', 'FAILED', 'ABORTED']);
    expect(record.status, JSON.stringify(record.history)).toBe('SUCCEEDED');

    const execution = await waitForExecution(second.apiUrl, executionName, 'SUCCEEDED');
    expect(execution.runs).toBe(2);
    const types = execution.events.map((e) => e.type);
    expect(types.indexOf('ExecutionInterrupted')).toBeGreaterThan(0);
    expect(types.indexOf('ExecutionResumed')).toBeGreaterThan(types.indexOf('ExecutionInterrupted'));
    // The resumed run continues where the execution was (waiting for the answer): the link is not sent again, which
    // after an approval during the downtime would answer 4002103 and abort.
    const resumedAt = execution.events.find((e) => e.type === 'ExecutionResumed')?.state;
    expect(resumedAt).toBe(STATES.waitForAnswer);
    const path = statePath(execution);
    expect(path.filter((s) => s === STATES.linkCustomer)).toHaveLength(1);
    expect(path.slice(-4)).toEqual([
      STATES.waitForAnswer,
      STATES.needsChange,
      STATES.recordSucceeded,
      STATES.onboardingSucceeded,
    ]);
  });
});

/** Waits until the record waits on a callback whose token was stored after `after` (its waitingSince). */
async function waitForWaitingSince(apiUrl: string, id: string, after = ''): Promise<string> {
  return eventually(
    async () => {
      const answer = await api<Record<string, unknown>>(apiUrl, 'GET', `/onboardings/${id}`);
      const since = answer.body['waitingSince'];
      return typeof since === 'string' && since > after ? since : undefined;
    },
    { what: `onboarding ${id} waiting on a new callback` },
  );
}
