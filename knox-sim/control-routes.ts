/**
 * The control surface under `/_sim/`: JSON in and out, no authentication, never logged or faulted. Tests and demos
 * use it to play the customer's part (approve, reject, accept, refuse), to add customers, to inject faults and chaos,
 * and to read what the simulator saw.
 */
import { knoxLatencySchema, knoxLatencyTable } from './latency';
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
  type SimCustomerInput,
} from './model';
import { rateLimitSchema } from './rate-limit';
import type { SimState } from './state';
import { buildCustomer } from './customer-store';
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

type Route = (state: SimState, req: ControlRequest, now: Date) => SimAnswer;

/** A route that takes a body: `handle` sees it parsed with `schema`; an invalid one is answered 400. */
function withBody<S extends z.ZodType>(schema: S, handle: (state: SimState, body: z.infer<S>, now: Date) => SimAnswer) {
  return (state: SimState, req: ControlRequest, now: Date): SimAnswer => {
    const r = read(schema, req.bodyText);
    return 'answer' in r ? r.answer : handle(state, r.data, now);
  };
}

function addCustomer(state: SimState, input: SimCustomerInput, now: Date): SimAnswer {
  const customerId = input.customerId ?? state.store.newCustomerId();
  if (state.store.get(customerId)) return jsonAnswer(409, { message: `Customer ${customerId} already exists` });
  const customer = buildCustomer(input, { customerId, now, awaitingAnswer: true });
  state.store.put(customer);
  return jsonAnswer(201, customer);
}

/** The routes outside `/customers/{id}`, by method and path. */
const ROUTES: Record<string, Route> = {
  'GET /customers': (state) => ok(state.store.all()),
  'POST /customers': withBody(simCustomerInputSchema, addCustomer),
  'POST /reset': withBody(resetSchema, (state, body) => {
    state.reset(body.fixtures);
    return ok();
  }),
  'GET /requests': (state) => ok(state.log.list()),
  'DELETE /requests': (state) => {
    state.log.clear();
    return ok();
  },
  'GET /faults': (state, _req, now) => ok(state.faults.describe(now)),
  'POST /faults': withBody(faultRuleSchema, (state, body, now) => {
    state.faults.add(body.match, body.fault, body.count);
    return ok(state.faults.describe(now));
  }),
  'DELETE /faults': (state) => {
    state.faults.clearRules();
    return ok();
  },
  'POST /chaos': withBody(chaosSchema, (state, body, now) => {
    state.faults.setChaos(body);
    return ok(state.faults.describe(now));
  }),
  'DELETE /chaos': (state) => {
    state.faults.clearChaos();
    return ok();
  },
  'POST /rate-limit': withBody(rateLimitSchema, (state, body) => {
    state.rateLimit.set(body, performance.now());
    return ok(state.rateLimit.describe());
  }),
  'GET /rate-limit': (state) => ok(state.rateLimit.describe()),
  'DELETE /rate-limit': (state) => {
    state.rateLimit.clear();
    return ok();
  },
  // Knox goes down: every Knox request (token endpoint included) answers 500 or is dropped until it ends.
  'POST /outage': withBody(outageSchema, (state, body, now) => {
    state.faults.setOutage(body, now);
    return ok(state.faults.outageStatus(now));
  }),
  'GET /outage': (state, _req, now) => ok(state.faults.outageStatus(now)),
  'DELETE /outage': (state, _req, now) => {
    const status = state.faults.outageStatus(now);
    state.faults.clearOutage();
    return ok({ ...status, active: false });
  },
  // Revoke or restore a client's MSP rights: a revoked client still gets tokens, then 403 AUTHORIZATION_FAIL.
  'POST /clients/authorization': withBody(authorizationSchema, (state, body) =>
    state.tokens.setAuthorized(body.clientId, body.authorized)
      ? ok({ clientId: body.clientId, authorized: body.authorized })
      : notFound(`No client ${body.clientId}`),
  ),
  'POST /tokens/expire': (state) => ok({ expired: state.tokens.expireAll() }),
  'POST /tokens/revoke': (state, _req, now) => ok({ revoked: state.tokens.revoke(now) }),
  'POST /tokens/refusal': withBody(tokenRefusalSchema, (state, body) => {
    state.tokenRefusal = body.style;
    return ok({ style: state.tokenRefusal });
  }),
  // Samsung approves (or not) an MSP to manage Knox Guard for its customers: 4002124 while not approved.
  'POST /knox-guard': withBody(knoxGuardSchema, (state, body) => {
    if (body.approved) state.knoxGuardUnapproved.delete(body.msp);
    else state.knoxGuardUnapproved.add(body.msp);
    return ok({ msp: body.msp, approved: body.approved });
  }),
  'POST /paging': withBody(pagingSchema, (state, body) => {
    state.paging = body;
    return ok({ paging: state.paging });
  }),
  'POST /list-changes': withBody(listChangeSchema, (state, body) => ok({ armed: state.addListChange(body) })),
  'POST /auto': withBody(autoSchema, (state, body) => {
    state.auto = body;
    return ok({ auto: state.auto });
  }),
  'GET /auto': (state) => ok({ auto: state.auto }),
  // Knox's latency per operation: "aws" (typical), "none", or {token, create, link, get, list, update, delink} in ms.
  'POST /latency': withBody(knoxLatencySchema, (state, body) => {
    state.latency = knoxLatencyTable(body);
    return ok({ latency: state.latency });
  }),
  'GET /latency': (state) => ok({ latency: state.latency }),
};

/** The answer to one control request. */
export function answerControl(state: SimState, req: ControlRequest, now: Date): SimAnswer {
  const key = `${req.method} ${req.path}`;
  const customerRoute = /^\/customers\/([^/]+)(?:\/([a-z-]+))?$/.exec(req.path);
  if (customerRoute?.[1] !== undefined) {
    const id = customerRoute[1];
    if (customerRoute[2] !== undefined) return customerAction(state, id, customerRoute[2], req, now);
    if (req.method === 'GET') return state.store.get(id) ? ok(state.store.get(id)) : notFound(`No customer ${id}`);
  }

  const route = ROUTES[key];
  return route ? route(state, req, now) : notFound(`No control route ${req.method} /_sim${req.path}`);
}
