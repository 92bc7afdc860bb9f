import '../local/polyfills';
import { startTestStack, startRecord, waitForStatus, getExecution, statePath, api } from '../local/testing';
import { KnoxSimControl } from '../knox-sim/control';
const stack = await startTestStack({ quiet: true });
try {
  const control = new KnoxSimControl(stack.knoxUrl);
  const c = await control.addCustomer({});
  const a = await startRecord(stack.apiUrl, 'onboarding', { customerId: c.customerId, managementType: 'JointlyManaged', accessType: 'FullAccess', services: [{ service: 'KnoxMobileEnrollment' }] });
  console.log(a.status, a.body);
  const id = String(a.body.onboardingId);
  const w = await waitForStatus(stack.apiUrl, 'onboarding', id, 'WAITING');
  await stack.poller!.afterRounds(2);
  console.log('waiting', JSON.stringify((await api(stack.apiUrl, 'GET', `/onboardings/${id}`)).body).slice(0, 600));
  await control.approveLink(c.customerId);
  const done = await waitForStatus(stack.apiUrl, 'onboarding', id, ['SUCCEEDED', 'ABORTED', 'FAILED']);
  console.log(done.status, JSON.stringify(done.history));
  const ex = await getExecution(stack.apiUrl, String(a.body.executionName));
  console.log(statePath(ex!), stack.poller!.rounds, stack.poller!.last);
} finally { await stack.stop(); }
