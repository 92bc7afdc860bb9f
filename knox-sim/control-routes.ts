/**
 * The control surface under `/_sim/`: JSON in and out, no authentication, never logged or faulted. Tests and demos
 * use it to play the customer's part (approve, reject, accept, refuse), to add customers, to inject faults and chaos,
 * and to read what the simulator saw.
 */
import * as z from 'zod';
import { jsonAnswer, type SimAnswer } from './answers';
import { LifecycleError, acceptDelink, approveLink, rejectDelink, rejectLink } from './lifecycle';
import {
  autoSchema,
  chaosSchema,
  faultRuleSchema,
  listChangeSchema,
  pagingSchema,
  outageSchema,
  scriptSchema,
  tokenRefusalSchema,
  simCustomerInputSchema,
  type SimCustomer,
} from './model';
import { rateLimitSchema } from './rate-limit';
import type { SimState } from './state';
import { buildCustomer } from './store';
import { SIM_OUR_MSP } from './world';

export interface ControlRequest {
  method: string;
  /** Path below `/_sim`, without a trailing slash, e.g. `/customers/1000000001/approve-link`. */
  path: string;
  bodyText: string;
}

const resetSchema = z.strictObject({ fixtures: z.boolean().optional() });
const authorizationSchema = z.strictObject({ clientId: z.string().min(1), authorized: z.boolean() });
const knoxGuardSchema = z.strictObject({ msp: z.string().min(1).default(SIM_OUR_MSP), approved: z.boolean() });

const ok = (value: unknown = { ok: true }) => jsonAnswer(200, value);
const notFound = (message: string) => jsonAnswer(404, { message });

function badBody(error: z.ZodError): SimAnswer {
  return jsonAnswer(400, {
    message: 'The control request body is not valid',
    issues: error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
  });
}

/** Parses a control body (empty means `{}`) with a schema, or answers 400. */
function read<S extends z.ZodType>(schema: S, bodyText: string): { data: z.infer<S> } | { answer: SimAnswer } {
  let value: unknown = {};
  if (bodyText.trim() !== '') {
    try {
      value = JSON.parse(bodyText);
    } catch {
      return { answer: jsonAnswer(400, { message: 'The control request body is not JSON', issues: [] }) };
    }
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? { data: parsed.data } : { answer: badBody(parsed.error) };
}

const ANSWERS: Record<string, (c: SimCustomer, now: Date) => void> = {
  'approve-link': approveLink,
  'reject-link': rejectLink,
  'accept-delink': acceptDelink,
  'reject-delink': rejectDelink,
};

function customerAction(state: SimState, id: string, action: string, req: ControlRequest, now: Date): SimAnswer {
  const customer = state.store.get(id);
  if (!customer) return notFound(`No customer ${id}`);
  const answer = ANSWERS[action];
  if (answer && req.method === 'POST') {
    try {
      answer(customer, now);
    } catch (error) {
      if (error instanceof LifecycleError) return jsonAnswer(409, { message: error.message });
      throw error;
    }
    return ok(customer);
  }
  if (action === 'script' && req.method === 'POST') {
    const r = read(scriptSchema, req.bodyText);
    if ('answer' in r) return r.answer;
    customer.script = r.data;
    // A request that was already open (a fixture's) starts counting now, so the script can answer it.
    if ((customer.status === 'Pending' || customer.status === 'DelinkRequested') && !customer.waiting) {
      customer.waiting = { since: now.toISOString(), gets: 0 };
    }
    return ok(customer);
  }
  if (action === 'samsung-approve' && req.method === 'POST') {
    // Samsung approves the customer's own Knox account: links stop answering 4002101.
    customer.samsungApproved = true;
    return ok(customer);
  }
  if (action === 'script' && req.method === 'DELETE') {
    delete customer.script;
    return ok(customer);
  }
  return notFound(`No control route ${req.method} /_sim${req.path}`);
}

function addCustomer(state: SimState, req: ControlRequest, now: Date): SimAnswer {
  const r = read(simCustomerInputSchema, req.bodyText);
  if ('answer' in r) return r.answer;
  const customerId = r.data.customerId ?? state.store.newCustomerId();
  if (state.store.get(customerId)) return jsonAnswer(409, { message: `Customer ${customerId} already exists` });
  const customer = buildCustomer(r.data, { customerId, now, awaitingAnswer: true });
  state.store.put(customer);
  return jsonAnswer(201, customer);
}

/** The answer to one control request. */
export function answerControl(state: SimState, req: ControlRequest, now: Date): SimAnswer {
  const key = `${req.method} ${req.path}`;
  const customerRoute = /^\/customers\/([^/]+)(?:\/([a-z-]+))?$/.exec(req.path);
  if (customerRoute?.[1] !== undefined) {
    const id = customerRoute[1];
    if (customerRoute[2] !== undefined) return customerAction(state, id, customerRoute[2], req, now);
    if (req.method === 'GET') return state.store.get(id) ? ok(state.store.get(id)) : notFound(`No customer ${id}`);
  }

  switch (key) {
    case 'GET /customers':
      return ok(state.store.all());
    case 'POST /customers':
      return addCustomer(state, req, now);
    case 'POST /reset': {
      const r = read(resetSchema, req.bodyText);
      if ('answer' in r) return r.answer;
      state.reset(r.data.fixtures);
      return ok();
    }
    case 'GET /requests':
      return ok(state.log.list());
    case 'DELETE /requests':
      state.log.clear();
      return ok();
    case 'GET /faults':
      return ok(state.faults.describe(now));
    case 'POST /faults': {
      const r = read(faultRuleSchema, req.bodyText);
      if ('answer' in r) return r.answer;
      state.faults.add(r.data.match, r.data.fault, r.data.count);
      return ok(state.faults.describe(now));
    }
    case 'DELETE /faults':
      state.faults.clearRules();
      return ok();
    case 'POST /chaos': {
      const r = read(chaosSchema, req.bodyText);
      if ('answer' in r) return r.answer;
      state.faults.setChaos(r.data);
      return ok(state.faults.describe(now));
    }
    case 'DELETE /chaos':
      state.faults.clearChaos();
      return ok();
    case 'POST /rate-limit': {
      const r = read(rateLimitSchema, req.bodyText);
      if ('answer' in r) return r.answer;
      state.rateLimit.set(r.data, performance.now());
      return ok(state.rateLimit.describe());
    }
    case 'GET /rate-limit':
      return ok(state.rateLimit.describe());
    case 'DELETE /rate-limit':
      state.rateLimit.clear();
      return ok();
    case 'POST /outage': {
      // Knox goes down: every Knox request (token endpoint included) answers 500 or is dropped until it ends.
      const r = read(outageSchema, req.bodyText);
      if ('answer' in r) return r.answer;
      state.faults.setOutage(r.data, now);
      return ok(state.faults.outageStatus(now));
    }
    case 'GET /outage':
      return ok(state.faults.outageStatus(now));
    case 'DELETE /outage': {
      const status = state.faults.outageStatus(now);
      state.faults.clearOutage();
      return ok({ ...status, active: false });
    }
    case 'POST /clients/authorization': {
      // Revoke or restore a client's MSP rights: a revoked client still gets tokens, then 403 AUTHORIZATION_FAIL.
      const r = read(authorizationSchema, req.bodyText);
      if ('answer' in r) return r.answer;
      const changed = state.tokens.setAuthorized(r.data.clientId, r.data.authorized);
      return changed
        ? ok({ clientId: r.data.clientId, authorized: r.data.authorized })
        : notFound(`No client ${r.data.clientId}`);
    }
    case 'POST /tokens/expire':
      return ok({ expired: state.tokens.expireAll() });
    case 'POST /tokens/revoke':
      return ok({ revoked: state.tokens.revoke(now) });
    case 'POST /tokens/refusal': {
      const r = read(tokenRefusalSchema, req.bodyText);
      if ('answer' in r) return r.answer;
      state.tokenRefusal = r.data.style;
      return ok({ style: state.tokenRefusal });
    }
    case 'POST /knox-guard': {
      // Samsung approves (or not) an MSP to manage Knox Guard for its customers: 4002124 while not approved.
      const r = read(knoxGuardSchema, req.bodyText);
      if ('answer' in r) return r.answer;
      if (r.data.approved) state.knoxGuardUnapproved.delete(r.data.msp);
      else state.knoxGuardUnapproved.add(r.data.msp);
      return ok({ msp: r.data.msp, approved: r.data.approved });
    }
    case 'POST /paging': {
      const r = read(pagingSchema, req.bodyText);
      if ('answer' in r) return r.answer;
      state.paging = r.data;
      return ok({ paging: state.paging });
    }
    case 'POST /list-changes': {
      const r = read(listChangeSchema, req.bodyText);
      if ('answer' in r) return r.answer;
      return ok({ armed: state.addListChange(r.data) });
    }
    case 'POST /auto': {
      const r = read(autoSchema, req.bodyText);
      if ('answer' in r) return r.answer;
      state.auto = r.data;
      return ok({ auto: state.auto });
    }
    case 'GET /auto':
      return ok({ auto: state.auto });
    default:
      return notFound(`No control route ${req.method} /_sim${req.path}`);
  }
}
