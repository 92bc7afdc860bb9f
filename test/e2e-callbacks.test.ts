/**
 * Callbacks, end to end: the customer's answers arrive by callback from one poller. Through the HTTP API, the local
 * Step Functions API (with the SDK's own SFNClient and the AWS CLI), the simulator's control surface and the table:
 * transitions of a long wait, rounds whose Knox listing fails or drops (nothing changes; the next round recovers),
 * forty customers
 * answering at once (one round notices all of them, with list pages instead of forty GETs), and tokens the local
 * Step Functions answers as AWS does (InvalidToken, TaskDoesNotExist, TaskTimedOut). A restart in the middle of a
 * wait: test/local-stack.test.ts.
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
} from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, waitForStatus } from '#testkit/test-stack';
import {
  CALLS,
  PATHS,
  expectClosedRecord,
  finish,
  knoxCalls,
  linkRequest,
  newCustomer,
  rawRecord,
  reach,
  start,
  startE2e,
  stopE2e,
  type E2e,
  type Started,
} from './support/e2e-scenarios';
import { awsSfn } from './support/sfn-walls-support';

function sfnClient(e2e: E2e): SFNClient {
  return new SFNClient({
    endpoint: `http://127.0.0.1:${e2e.stack.ports.sfn}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** The AWS CLI's `stepfunctions` commands against the stack's Step Functions API: its JSON answer, or its error text. */
function awsCli(e2e: E2e, args: string[]): ReturnType<typeof awsSfn> {
  return awsSfn(e2e.stack.ports.sfn, args);
}

describe('callbacks and the poller', () => {
  let e2e: E2e;
  beforeAll(async () => {
    // Rounds only when a test asks for one: what each round saw is then the test's to assert.
    e2e = await startE2e({ pollerAutoStart: false });
  });
  afterAll(async () => {
    await stopE2e(e2e);
  });

  /**
   * The task token of an onboarding that waits on its customer. WAITING comes with the link's answer; the token a
   * moment later, from the wait's own task: a round, or a test that writes the token, must wait for the token.
   */
  async function waitingToken(started: Started): Promise<string> {
    await reach(e2e, started, 'WAITING');
    return eventually(
      async () => {
        const token = (await rawRecord(e2e, started.id))['taskToken'];
        return typeof token === 'string' ? token : undefined;
      },
      { what: `${started.id} is WAITING but holds no task token` },
    );
  }

  it('a link approved after many poll periods costs one transition per state, read with GetExecutionHistory', async () => {
    const customerId = await newCustomer(e2e);
    const started = await start(e2e, 'onboarding', linkRequest(customerId));
    await waitingToken(started);
    for (let i = 0; i < 10; i++) {
      const round = await e2e.stack.poller!.round();
      expect(round).toMatchObject({ ok: true, summary: { waiting: 1, answered: 0, complete: true } });
    }
    await e2e.control.approveLink(customerId);
    expect(await e2e.stack.poller!.round()).toMatchObject({ ok: true, summary: { answered: 1 } });
    const finished = await finish(e2e, started);
    await expectClosedRecord(e2e, finished, 'SUCCEEDED');

    const sfn = sfnClient(e2e);
    const executionArn = e2e.stack.executions.findByName(started.executionName)!.executionArn;
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    const entered = (history.events ?? []).filter((e) => e.type?.endsWith('StateEntered'));
    expect(entered.map((e) => e.stateEnteredEventDetails?.name)).toEqual(PATHS.linked);
    expect(entered.length).toBeLessThanOrEqual(15);
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('SUCCEEDED');
    const listed = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: e2e.stack.executions.machineOf('onboarding').arn }),
    );
    expect(listed.executions?.map((x) => x.name)).toContain(started.executionName);
  });

  it('the AWS CLI: send-task-success with a bad token is InvalidToken, an unknown one TaskDoesNotExist, a spent one TaskTimedOut', async () => {
    const bad = await awsCli(e2e, ['send-task-success', '--task-token', 'not-a-token', '--task-output', '{}']);
    expect(bad).toMatchObject({ ok: false, stderr: expect.stringContaining('InvalidToken') });
    const unknown = await awsCli(e2e, [
      'send-task-success',
      '--task-token',
      `AQ${'A'.repeat(86)}`,
      '--task-output',
      '{}',
    ]);
    expect(unknown).toMatchObject({ ok: false, stderr: expect.stringContaining('TaskDoesNotExist') });

    // A waiting onboarding's token: a heartbeat is fine; cancel it, and the token is over.
    const customerId = await newCustomer(e2e);
    const started = await start(e2e, 'onboarding', linkRequest(customerId));
    const token = await waitingToken(started);
    await sfnClient(e2e).send(new SendTaskHeartbeatCommand({ taskToken: token }));
    const notJson = await awsCli(e2e, ['send-task-success', '--task-token', token, '--task-output', 'not json']);
    expect(notJson).toMatchObject({ ok: false, stderr: expect.stringContaining('InvalidOutput') });
    expect((await fetch(`${e2e.stack.apiUrl}/onboardings/${started.id}`, { method: 'DELETE' })).status).toBe(200);
    await finish(e2e, started);
    const spent = await awsCli(e2e, ['send-task-success', '--task-token', token, '--task-output', '{}']);
    expect(spent).toMatchObject({ ok: false, stderr: expect.stringContaining('TaskTimedOut') });
    await expect(
      sfnClient(e2e).send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toMatchObject({ name: 'TaskTimedOut' });

    // list-executions and describe-execution through the CLI, as for Step Functions Local.
    const arn = e2e.stack.executions.machineOf('onboarding').arn;
    const list = await awsCli(e2e, ['list-executions', '--state-machine-arn', arn]);
    expect(list.ok && (list.json as { executions: { name: string }[] }).executions.map((x) => x.name)).toContain(
      started.executionName,
    );
    const executionArn = e2e.stack.executions.findByName(started.executionName)!.executionArn;
    const described = await awsCli(e2e, ['describe-execution', '--execution-arn', executionArn]);
    expect(described).toMatchObject({ ok: true, json: { status: 'ABORTED', name: started.executionName } });
  });

  it('a token the execution no longer waits for is recorded and forgotten, never asked about again', async () => {
    // A token Step Functions has closed: the wait of an onboarding that was cancelled.
    const spentFor = await start(e2e, 'onboarding', linkRequest(await newCustomer(e2e)));
    const spent = await waitingToken(spentFor);
    expect((await fetch(`${e2e.stack.apiUrl}/onboardings/${spentFor.id}`, { method: 'DELETE' })).status).toBe(200);

    // A waiting record holding it (the hook: the table written directly), as one whose execution timed out or was
    // stopped before execution-events closed the record would.
    const customerId = await newCustomer(e2e);
    const started = await start(e2e, 'onboarding', linkRequest(customerId));
    await waitingToken(started);
    await e2e.db.send(
      new UpdateCommand({
        TableName: e2e.tableName,
        Key: { pk: started.id },
        UpdateExpression: 'SET taskToken = :t',
        ExpressionAttributeValues: { ':t': spent },
      }),
    );
    await e2e.control.approveLink(customerId);
    expect(await e2e.stack.poller!.round()).toMatchObject({ ok: true, summary: { gone: 1, answered: 0 } });
    const raw = await rawRecord(e2e, started.id);
    expect(raw['taskToken']).toBeUndefined();
    expect((raw['history'] as { event: string; detail?: string }[]).at(-1)).toMatchObject({
      event: 'callback-gone',
      detail: expect.stringContaining('TaskTimedOut'),
    });

    // Forgotten: later rounds neither ask Knox about it nor try the token again.
    const before = (await e2e.control.requests()).at(-1)?.seq ?? 0;
    expect(await e2e.stack.poller!.round()).toMatchObject({ ok: true, summary: { gone: 0 } });
    expect((await e2e.control.requests()).filter((r) => r.seq > before).filter(CALLS.get(customerId))).toEqual([]);
    expect((await fetch(`${e2e.stack.apiUrl}/onboardings/${started.id}`, { method: 'DELETE' })).status).toBe(200);
  });

  it('a round whose listing fails changes nothing; the next round notices all forty customers that answered at once', async () => {
    const customers = await Promise.all(Array.from({ length: 40 }, () => newCustomer(e2e)));
    const started = await Promise.all(customers.map((c) => start(e2e, 'onboarding', linkRequest(c))));
    await Promise.all(started.map((s) => waitingToken(s)));
    // One round to learn Knox's list (and see everyone Pending), then all forty approve together.
    expect(await e2e.stack.poller!.round()).toMatchObject({ ok: true, summary: { answered: 0, strategy: 'list' } });
    await Promise.all(customers.map((c) => e2e.control.approveLink(c)));

    // Knox fails every list page (after the client's own in-place retries): the round fails, nothing is delivered.
    await e2e.control.fault({
      match: { method: 'GET', path: '/managedCustomers?' },
      fault: { type: 'error500' },
      count: 20,
    });
    const failed = await e2e.stack.poller!.round();
    expect(failed).toMatchObject({ ok: false });
    for (const s of started.slice(0, 3))
      expect(await rawRecord(e2e, s.id)).toMatchObject({ status: 'WAITING', taskToken: expect.any(String) });

    // A listing that drops the connection fails the round the same way.
    await e2e.control.clearFaults();
    await e2e.control.fault({
      match: { method: 'GET', path: '/managedCustomers?' },
      fault: { type: 'drop' },
      count: 20,
    });
    expect(await e2e.stack.poller!.round()).toMatchObject({ ok: false });

    await e2e.control.clearFaults();
    await e2e.control.clearRequests();
    const recovered = await e2e.stack.poller!.round();
    expect(recovered).toMatchObject({ ok: true, summary: { answered: 40, strategy: 'list', complete: true } });
    if (!recovered.ok) throw new Error('unreachable');
    // List pages, not forty GETs: min(waiting, pages).
    const calls = knoxCalls(await e2e.control.requests());
    expect(calls.filter(CALLS.list).length).toBe(recovered.summary.knoxCalls);
    expect(recovered.summary.knoxCalls).toBeLessThan(40);
    for (const s of started)
      await waitForStatus(e2e.stack.apiUrl, 'onboarding', s.id, 'SUCCEEDED', { timeoutMs: 40_000 });
  });
});
