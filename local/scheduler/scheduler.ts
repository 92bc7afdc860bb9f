/**
 * The poller on the local stack's clock: what EventBridge Scheduler does on AWS (invoke the poller function every
 * POLL_PERIOD_SECONDS), with the period scaled by TIME_SCALE. Rounds never overlap: the next tick is armed when a
 * round ends, and `round()` (tests, the bench) waits for a running round before it starts its own.
 */
import type { RoundSummary } from '#lambdas/poller/round';
import { OTHER_FUNCTIONS } from '#domain/function-names';
import type { LambdaRuntime } from '../lambda/lambda-runtime';

/** Shortest local period: a tiny TIME_SCALE must not turn the poller into a busy loop. */
export const MIN_LOCAL_PERIOD_MS = 20;

/** What the poller function answers, as far as the local stack reads it. */
export type LocalRoundSummary = Pick<
  RoundSummary,
  'waiting' | 'strategy' | 'knoxCalls' | 'answered' | 'refused' | 'gone' | 'unfinished' | 'complete'
>;

export type LocalRound = { ok: true; summary: LocalRoundSummary } | { ok: false; error: string };

export class LocalPoller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<LocalRound> | undefined;
  private stopped = true;
  /** Rounds run so far, and the last one's outcome. */
  rounds = 0;
  last: LocalRound | undefined;
  private readonly listeners = new Set<(round: LocalRound) => void>();

  constructor(
    private readonly runtime: LambdaRuntime,
    readonly periodMs: number,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Starts ticking: the first round one period from now, as a schedule's first tick. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.arm();
  }

  /** Stops ticking and waits for a running round. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  get ticking(): boolean {
    return !this.stopped;
  }

  /** Runs one round now (after the running one, if any) and answers its outcome. */
  async round(): Promise<LocalRound> {
    while (this.running) await this.running;
    this.running = this.invoke();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
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

  private arm(): void {
    if (this.stopped) return;
    this.timer = setTimeout(
      () => {
        void this.round().finally(() => this.arm());
      },
      Math.max(MIN_LOCAL_PERIOD_MS, this.periodMs),
    );
    this.timer.unref();
  }

  private async invoke(): Promise<LocalRound> {
    let outcome: LocalRound;
    try {
      // The schedule's role must allow lambda:InvokeFunction on the poller (IAM, as EventBridge Scheduler assumes it).
      const target = this.runtime.functionArnOf(OTHER_FUNCTIONS.poller);
      if (target) this.runtime.gate?.authorizeScheduledInvoke(target);
      const summary = (await this.runtime.invoke(OTHER_FUNCTIONS.poller, {
        source: 'aws.scheduler',
        'detail-type': 'Scheduled Event',
      })) as LocalRoundSummary;
      outcome = { ok: true, summary };
    } catch (error) {
      outcome = { ok: false, error: (error as Error).name };
      this.log(`poll round failed: ${(error as Error).name}`);
    }
    this.rounds += 1;
    this.last = outcome;
    for (const listener of [...this.listeners]) listener(outcome);
    return outcome;
  }
}
