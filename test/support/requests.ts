/**
 * Sample API request bodies, valid per lib/domain/api-schemas.ts: every suite builds its requests from these. They
 * live with the demo's and the bench's (testkit/samples.ts), so that one company and one set of settings serve all.
 */
export { createRequest, linkRequest } from '#testkit/samples';
