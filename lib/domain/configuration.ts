/** Configuration: the environment variables the Lambdas read and the defaults the CDK context can override. */
/** Environment variables the Lambdas read (the CDK stack sets them; the local stack reads them from the template). */
export const ENV = {
  tableName: 'TABLE_NAME',
  knoxBaseUrl: 'KNOX_BASE_URL',
  knoxSecretArn: 'KNOX_SECRET_ARN',
  knoxTimeoutMs: 'KNOX_TIMEOUT_MS',
  knoxRequestsPerSecond: 'KNOX_REQUESTS_PER_SECOND',
  /** Optional: ask Knox for tokens that live this many minutes (at most 60); unset, Knox's default (10). */
  knoxTokenLifetimeMinutes: 'KNOX_TOKEN_LIFETIME_MINUTES',
  waitDeadlineSeconds: 'WAIT_DEADLINE_SECONDS',
  retryWindowSeconds: 'RETRY_WINDOW_SECONDS',
  pollPeriodSeconds: 'POLL_PERIOD_SECONDS',
  onboardingStateMachineArn: 'ONBOARDING_STATE_MACHINE_ARN',
  offboardingStateMachineArn: 'OFFBOARDING_STATE_MACHINE_ARN',
  changeStateMachineArn: 'CHANGE_STATE_MACHINE_ARN',
  batchStateMachineArn: 'BATCH_STATE_MACHINE_ARN',
} as const;

/** Defaults for everything `cdk.json` context can override (see README). */
export const DEFAULTS = {
  knoxBaseUrl: 'https://api.samsungknox.com',
  knoxTimeoutMs: 10_000,
  /** The low end of sibling Knox APIs' published limits. */
  knoxRequestsPerSecond: 10,
  /** Waits on Knox itself (4002101, 4002102, 4002115, 4002116, 4002119): first retry, then doubling. */
  pollFirstSeconds: 60,
  /** Retries of a wait on Knox never further apart than this. */
  pollMaxSeconds: 3600,
  /** The poller's period: how late a customer's answer is noticed at worst. */
  pollPeriodSeconds: 300,
  /** How long a customer may take to answer before the workflow aborts (the invitation lives 7 days). */
  waitDeadlineSeconds: 14 * 24 * 3600,
  /**
   * Transient failures: first retry interval, growth and cap (full jitter draws each gap in [0, delay], so gaps at
   * the cap average half of it), retried for at least retryWindowSeconds (a Knox outage of that long is ridden out).
   */
  retryIntervalSeconds: 2,
  retryBackoffRate: 2,
  retryMaxDelaySeconds: 600,
  retryWindowSeconds: 3600,
} as const;
