/**
 * The poller on the local stack's clock: what EventBridge Scheduler does on AWS. Every POLL_PERIOD_SECONDS (scaled by
 * TIME_SCALE) a tick invokes the poller function asynchronously, as the schedule's Lambda target does, whether or not
 * a round is still running: the function's reserved concurrency (1) throttles a tick that meets a running round, and
 * Lambda's async queue retries or drops it by the function's own async-invoke settings (lambda/async-invoke.ts;
 * the template gives the poller no retry after an error and an event age of one period). `round()` (tests, the
 * bench) runs one round synchronously once no round is running.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RoundSummary } from '#lambdas/poller/round';
import { OTHER_FUNCTIONS } from '#domain/function-names';
import type { AsyncOutcome } from '../lambda/async-invoke';
import { isThrottle } from '../lambda/lambda-limits';
import type { LambdaRuntime } from '../lambda/lambda-runtime';

/** Shortest local period: a tiny TIME_SCALE must not turn the poller into a busy loop. */
export const MIN_LOCAL_PERIOD_MS = 20;

/** How often a waiting `round()` or `stop()` looks whether the running round has ended. */
const ROUND_CHECK_MS = 5;

/** What the poller function answers, as far as the local stack reads it. */
export type LocalRoundSummary = Pick<
  RoundSummary,
  'waiting' | 'strategy' | 'knoxCalls' | 'answered' | 'refused' | 'gone' | 'unfinished' | 'complete'
>;

export type LocalRound = { ok: true; summary: LocalRoundSummary } | { ok: false; error: string };

/** The event EventBridge Scheduler sends (the schedule has no input of its own). */
const SCHEDULED_EVENT = { source: 'aws.scheduler', 'detail-type': 'Scheduled Event' };

export class LocalPoller {
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  /** Rounds run so far (scheduled and `round()`), and the last one's outcome. */
  rounds = 0;
  last: LocalRound | undefined;
  /** Ticks of the schedule, and how their events ended in Lambda's async queue. */
  readonly ticks = { sent: 0, dropped: 0 };
  /** How each tick's event ended in the queue (succeeded, dropped, cancelled), in order. */
  readonly tickOutcomes: AsyncOutcome[] = [];
  private readonly listeners = new Set<(round: LocalRound) => void>();
  private readonly runtime: LambdaRuntime;

  constructor(
    runtime: LambdaRuntime,
    readonly periodMs: number,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.runtime = runtime;
  }

  /** Starts ticking: the first tick one period from now, as a schedule's first. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.timer = setInterval(() => this.tick(), Math.max(MIN_LOCAL_PERIOD_MS, this.periodMs));
    this.timer.unref();
  }

  /** Stops ticking and waits for a running round. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.noRoundRunning();
  }

  get ticking(): boolean {
    return !this.stopped;
  }

  /** One tick of the schedule now: an asynchronous invocation (tests: a tick while a round runs). */
  tick(): void {
    this.ticks.sent += 1;
    // The schedule's role must allow lambda:InvokeFunction on the poller (IAM, as EventBridge Scheduler assumes it).
    const target = this.runtime.functionArnOf(OTHER_FUNCTIONS.poller);
    try {
      if (target) this.runtime.gate?.authorizeScheduledInvoke(target);
    } catch (error) {
      this.log(`poll round failed: ${(error as Error).name}`);
      this.ended({ ok: false, error: (error as Error).name });
      return;
    }
    this.runtime.invokeAsync(OTHER_FUNCTIONS.poller, SCHEDULED_EVENT, (outcome) => this.onAsync(outcome));
  }

  /** Runs one round now (after the running one, if any) and answers its outcome. */
  async round(): Promise<LocalRound> {
    for (;;) {
      await this.noRoundRunning();
      try {
        const summary = (await this.runtime.invoke(OTHER_FUNCTIONS.poller, SCHEDULED_EVENT)) as LocalRoundSummary;
        return this.ended({ ok: true, summary });
      } catch (error) {
        // A tick's retry took the one slot first: wait for its round.
        if (isThrottle(error)) continue;
        this.log(`poll round failed: ${(error as Error).name}`);
        return this.ended({ ok: false, error: (error as Error).name });
      }
    }
  }

  /** Resolves after `count` more rounds have ended (tests: "this many periods passed"). */
  afterRounds(count: number): Promise<LocalRound> {
    const target = this.rounds + count;
    return new Promise((resolve) => {
      const listener = (round: LocalRound): void => {
        if (this.rounds < target) return;
        this.listeners.delete(listener);
        resolve(round);
      };
      this.listeners.add(listener);
    });
  }

  private async noRoundRunning(): Promise<void> {
    while (this.runtime.concurrency(OTHER_FUNCTIONS.poller) > 0) await sleep(ROUND_CHECK_MS);
  }

  private onAsync(outcome: AsyncOutcome): void {
    if (outcome.kind !== 'failed') this.tickOutcomes.push(outcome);
    if (outcome.kind === 'succeeded') this.ended({ ok: true, summary: outcome.result as LocalRoundSummary });
    else if (outcome.kind === 'failed') {
      this.log(`poll round failed: ${outcome.error}`);
      this.ended({ ok: false, error: outcome.error });
    } else if (outcome.kind === 'dropped' && outcome.reason === 'maximum event age') this.ticks.dropped += 1;
  }

  private ended(round: LocalRound): LocalRound {
    this.rounds += 1;
    this.last = round;
    for (const listener of [...this.listeners]) listener(round);
    return round;
  }
}
