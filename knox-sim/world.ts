/**
 * The fixed facts of the simulated Knox world: who the MSPs are, their regions and credentials, and the refusals
 * Knox makes from lists of its own that our API cannot know in full (unsupported countries, blocked e-mail domains).
 */
import { REFUSED_SERVICE, SERVICES } from '#domain/knox-schemas';

/** Production paths (docs/knox-contract.md, "Endpoints"). */
export const TOKEN_PATH = '/ams/v1/oauth2/token';
export const CUSTOMERS_PATH = '/msp/v1/managedCustomers';
/** The control surface lives apart from Knox's paths, needs no token, and is never logged or faulted. */
export const CONTROL_PREFIX = '/_sim/';

/** "Us": the MSP that owns the default credentials. */
export const SIM_OUR_MSP = 'msp-us';
/** Another MSP: fixtures belong to it, and its credentials let a test act as that MSP. */
export const SIM_OTHER_MSP = 'msp-other';
export const SIM_OUR_REGION = 'US-region';
export const SIM_OTHER_REGION = 'EU-region';

/** The credentials of our MSP (options `clientId` / `clientSecret` replace them). */
export const SIM_DEFAULT_CREDENTIALS = { clientId: 'sim-client', clientSecret: 'sim-secret' } as const;

/**
 * Further clients the simulator always knows. `unauthorized` gets a token but has no MSP rights (every MSP call answers
 * 403 AUTHORIZATION_FAIL); `otherMsp` is a second MSP in our region, to put a customer in another MSP's hands by the
 * real route (link, then approve).
 */
export const SIM_EXTRA_CREDENTIALS = {
  unauthorized: { clientId: 'sim-unauthorized', clientSecret: 'sim-secret' },
  otherMsp: { clientId: 'sim-other-msp', clientSecret: 'sim-secret' },
} as const;

/** ISO 3166-1 codes that Knox does not serve (4002108 although the code is valid ISO). */
export const SIM_UNSUPPORTED_COUNTRIES = ['CU', 'IR', 'KP', 'SY'] as const;

/**
 * Domains Knox refuses for jointly managed customers beyond lib/domain's FREE_MAIL_DOMAINS (4002114): Knox's own list
 * is longer than ours, and this one lets a test reach the refusal that only Knox can make.
 */
export const SIM_BLOCKED_EMAIL_DOMAINS = ['blocked.example'] as const;

/** Account services of a customer created through the API: everything but the one the API refuses. */
export const CREATED_ACCOUNT_SERVICES: readonly string[] = SERVICES.filter((s) => s !== REFUSED_SERVICE);
