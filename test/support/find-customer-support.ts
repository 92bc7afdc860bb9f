/**
 * What the customer-lookup suites (find-customer, find-customer-resume) share: a small page size, no real sleeps
 * between passes, and the ids and e-mails of a suite's numbered customers.
 */
import type { FindCustomerOptions } from '#knox/find-customer';

export const PAGE = 5;

/** The lookup's options with pages of PAGE and sleeps that return at once. */
export const fast: FindCustomerOptions = { pageSize: PAGE, sleep: async () => undefined };

/** Customer n's id (`idStart + n`) and e-mail (`admin@c<n>.<domain>`). */
export function numberedCustomers(
  idStart: number,
  domain: string,
): { idOf: (n: number) => string; emailOf: (n: number) => string } {
  return { idOf: (n) => String(idStart + n), emailOf: (n) => `admin@c${n}.${domain}` };
}
