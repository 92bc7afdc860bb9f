/**
 * What the stack asks of the account it deploys into, without a CDK import, so that `npm run preflight`
 * (cli/preflight.ts) checks the same numbers the stack uses.
 */

/** The Knox secret's first clientId, until the operator puts the real credentials in. */
export const KNOX_SECRET_PLACEHOLDER_CLIENT_ID = 'set-me';

/** Concurrent executions the stack's functions reserve in all (the poller takes turns by a lease instead). */
export const STACK_RESERVED_CONCURRENCY = 0;

/**
 * Lambda keeps this many of an account's concurrent executions unreserved: a reservation that would leave fewer is
 * refused (AWS documentation: Lambda developer guide, "Configuring reserved concurrency for a function").
 */
export const LAMBDA_MIN_UNRESERVED_CONCURRENCY = 100;

/**
 * Concurrent executions below which the workflows throttle in normal use: the API, the poller and one step of each
 * of a few workflows at once. New accounts may start with 10 in all (a Service Quotas increase lifts it).
 */
export const STACK_COMFORTABLE_CONCURRENCY = 10;
