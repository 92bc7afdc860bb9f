/**
 * API Gateway's own answers, with its status codes and bodies, for the walls the local API enforces:
 * - the stage's throttle (the template's MethodSettings ThrottlingRateLimit / ThrottlingBurstLimit, a token bucket
 *   of `burst` tokens refilled at `rate` per second, as API Gateway's "Throttle requests to your REST APIs"
 *   describes it): 429 `{"message":"Too Many Requests"}` (the THROTTLED gateway response);
 * - the 10 MB payload quota (10,485,760 bytes, "Amazon API Gateway quotas"): 413 with the text API Gateway sends;
 * - the integration timeout (29 s unless the method's Integration sets TimeoutInMillis): 504
 *   `{"message": "Endpoint request timed out"}` (INTEGRATION_TIMEOUT);
 * - a Lambda proxy integration whose function fails (an error, its timeout, a response over Lambda's 6 MB or not in
 *   the proxy shape): 502 `{"message": "Internal server error"}`;
 * - Lambda refusing the invocation: a request event over Lambda's 6 MB (after JSON escaping) is 413
 *   `{"message": "Request Too Long"}` (as observed from API Gateway in front of Lambda); a throttled function is
 *   500 `{"message": "Internal server error"}` (API Gateway maps Lambda's 429 to a 500).
 */
import type { LambdaServiceError } from '../lambda/lambda-limits';

export const MAX_API_PAYLOAD_BYTES = 10 * 1024 * 1024;
export const DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000;

export interface GatewayAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const json = (status: number, body: string, errorType?: string): GatewayAnswer => ({
  status,
  headers: { 'content-type': 'application/json', ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}) },
  body,
});

export const GATEWAY_ANSWERS = {
  throttled: json(429, '{"message":"Too Many Requests"}', 'TooManyRequestsException'),
  payloadTooLarge: {
    status: 413,
    headers: { 'content-type': 'text; charset=utf-8' },
    body: `HTTP content length exceeded ${MAX_API_PAYLOAD_BYTES} bytes.`,
  },
  integrationTimeout: json(504, '{"message": "Endpoint request timed out"}'),
  functionFailed: json(502, '{"message": "Internal server error"}'),
  lambdaRequestTooLarge: json(413, '{"message": "Request Too Long"}', 'BadRequestException'),
  lambdaRefused: json(500, '{"message": "Internal server error"}'),
} as const satisfies Record<string, GatewayAnswer>;

/** What API Gateway answers when the Lambda service refused the invocation (the function did not run). */
export function answerForLambdaRefusal(error: LambdaServiceError): GatewayAnswer {
  return error.statusCode === 413 ? GATEWAY_ANSWERS.lambdaRequestTooLarge : GATEWAY_ANSWERS.lambdaRefused;
}

export interface StageThrottle {
  /** Steady-state requests per second. */
  rateLimit: number;
  /** Bucket size: requests that may arrive at once. */
  burstLimit: number;
}

/** The stage's token bucket: `take()` is false when a request must be throttled. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly throttle: StageThrottle,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = throttle.burstLimit;
    this.last = this.now();
  }

  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(
      this.throttle.burstLimit,
      this.tokens + ((now - this.last) / 1000) * this.throttle.rateLimit,
    );
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
