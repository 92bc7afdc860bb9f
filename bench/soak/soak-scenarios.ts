/**
 * The soak's workload: which scenario each onboarding and offboarding plays, the Knox customer the simulator is
 * given for it (added through the control surface, with the script that plays the customer's part), the API body we
 * send, and the terminal status the scenario dictates. The mix is drawn from the seed, so a seed replays the same
 * workload (chaos is seeded separately in the simulator).
 */
import type { SimCustomerInput } from '#knox-sim/model';
import { seededRandom } from '#knox-sim/faults';
import { SIM_OTHER_MSP } from '#knox-sim/world';
import type { RecordKind, TerminalStatus } from '#domain/api-schemas';

/**
 * Customers answer after a drawn number of these steps. By time, not by GETs: the poller reads list pages when they
 * cost fewer calls than a GET per waiting customer, so a count of GETs would never be reached. A step is longer than
 * the outage phase and the retries after it, as a real customer's minutes are: a customer that refused a link before
 * the retry of its lost answer would be sent a second link.
 */
const ANSWER_STEP_MS = 2_500;

export const ONBOARDING_SCENARIOS = [
  /** An unmanaged customer approves our link after a few polls: SUCCEEDED. */
  'linkApproved',
  /** A new customer is created: SUCCEEDED. */
  'created',
  /** Another MSP manages the customer (link 4002103): ABORTED. */
  'managedElsewhere',
  /** The customer rejects our link after a few polls: ABORTED. */
  'rejected',
  /** Another MSP's delink is still running (link 4002102, wait), then ends; the customer approves: SUCCEEDED. */
  'delinkElsewhereThenApproved',
] as const;
export const OFFBOARDING_SCENARIOS = [
  /** Our customer accepts the delink after a few polls: SUCCEEDED. */
  'offboarded',
] as const;
export type OnboardingScenario = (typeof ONBOARDING_SCENARIOS)[number];
export type OffboardingScenario = (typeof OFFBOARDING_SCENARIOS)[number];
export type ScenarioName = OnboardingScenario | OffboardingScenario;

/**
 * Share of each onboarding scenario in the mix: links that get approved and creates, about as many, so that our
 * customer list keeps moving (links join it, accepted delinks leave it) while lost creates are reconciled through it.
 */
export const ONBOARDING_MIX: Record<OnboardingScenario, number> = {
  linkApproved: 0.3,
  created: 0.35,
  managedElsewhere: 0.1,
  rejected: 0.1,
  delinkElsewhereThenApproved: 0.15,
};

/** What each scenario must end as. */
export const EXPECTED_STATUS: Record<ScenarioName, TerminalStatus> = {
  linkApproved: 'SUCCEEDED',
  created: 'SUCCEEDED',
  managedElsewhere: 'ABORTED',
  rejected: 'ABORTED',
  delinkElsewhereThenApproved: 'SUCCEEDED',
  offboarded: 'SUCCEEDED',
};

/** Scenarios whose run must put exactly one accepted link (or create) at Knox, and those that must put none. */
export const LINKS_ONCE: readonly ScenarioName[] = ['linkApproved', 'rejected', 'delinkElsewhereThenApproved'];
export const CREATES_ONCE: readonly ScenarioName[] = ['created'];

/** Customer ids of the soak's own customers: outside the fixtures (1000000001...) and the simulator's (>= 2e9). */
const ONBOARDING_ID_BASE = 1_100_000_000;
const OFFBOARDING_ID_BASE = 1_200_000_000;
const BYSTANDER_ID_BASE = 1_500_000_000;

/** The company name of workload customer `index`: names interleave with the bystanders' when Knox sorts by name. */
export const companyNameOf = (index: number) => `Soak Company ${String(index).padStart(5, '0')}`;

/**
 * Customers of ours that are there before the soak starts and stay: they make the list several pages long, so that a
 * reconciliation pages through it while links, creates and accepted delinks move it. Their names interleave with
 * those of the workload's customers.
 */
export function bystanders(count: number, spread: number): SimCustomerInput[] {
  return Array.from({ length: count }, (_, i) => ({
    customerId: String(BYSTANDER_ID_BASE + i),
    companyName: `${companyNameOf(Math.floor(((i + 0.5) * Math.max(1, spread)) / Math.max(1, count)))} (standing)`,
    status: 'Active' as const,
    managedServices: ['KnoxMobileEnrollment' as const],
  }));
}

const SERVICES = [{ service: 'KnoxMobileEnrollment' }];
const MANAGEMENT = { managementType: 'JointlyManaged', accessType: 'FullAccess', services: SERVICES } as const;

export interface SoakCase {
  /** Position in the workload (0-based), per kind. */
  index: number;
  kind: Extract<RecordKind, 'onboarding' | 'offboarding'>;
  scenario: ScenarioName;
  /** The Knox customer this case is about; for a create, known only once Knox created it. */
  customerId?: string;
  /** For a create: the contact e-mail that identifies the created customer at Knox. */
  email?: string;
  /** Added to the simulator right before the request (so that timed delinks start with the request). */
  simCustomer?: SimCustomerInput;
  body: Record<string, unknown>;
}

export interface WorkloadOptions {
  onboardings: number;
  offboardings: number;
  seed: number;
  /** How long another MSP's delink keeps running after the request (ms): [min, max]. */
  delinkElsewhereMs: [number, number];
}

/** The scenario of each onboarding: exact shares (rounded, the remainder to linkApproved), shuffled by the seed. */
export function onboardingScenarios(count: number, random: () => number): OnboardingScenario[] {
  const list: OnboardingScenario[] = [];
  for (const scenario of ONBOARDING_SCENARIOS) {
    if (scenario === 'linkApproved') continue;
    for (let i = 0; i < Math.round(count * ONBOARDING_MIX[scenario]); i++) list.push(scenario);
  }
  while (list.length < count) list.push('linkApproved');
  list.length = count;
  // Fisher-Yates with the seeded generator.
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}

/** A whole number in [min, max]. */
function between(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

function onboardingCase(
  index: number,
  scenario: OnboardingScenario,
  random: () => number,
  options: WorkloadOptions,
): SoakCase {
  const customerId = String(ONBOARDING_ID_BASE + index);
  const link = { customerId, ...MANAGEMENT };
  const base = { index, kind: 'onboarding' as const, scenario };
  // The link scenarios differ only in the Knox customer the simulator plays (drawn in this order: the seed replays it).
  const linkCase = (simCustomer: Omit<SimCustomerInput, 'customerId'>): SoakCase => ({
    ...base,
    customerId,
    body: link,
    simCustomer: { customerId, ...simCustomer },
  });
  const heldElsewhere = (status: 'Active' | 'DelinkRequested') => ({
    ownerMsp: SIM_OTHER_MSP,
    status,
    managedServices: ['KnoxMobileEnrollment' as const],
  });
  switch (scenario) {
    case 'linkApproved':
      return linkCase({
        companyName: companyNameOf(index),
        script: { onLink: 'approve', afterMs: between(random, 1, 4) * ANSWER_STEP_MS },
      });
    case 'rejected':
      return linkCase({ script: { onLink: 'reject', afterMs: between(random, 1, 3) * ANSWER_STEP_MS } });
    case 'managedElsewhere':
      return linkCase(heldElsewhere('Active'));
    case 'delinkElsewhereThenApproved':
      return linkCase({
        ...heldElsewhere('DelinkRequested'),
        delinkEndsAfterMs: between(random, ...options.delinkElsewhereMs),
        script: { onLink: 'approve', afterMs: between(random, 1, 2) * ANSWER_STEP_MS },
      });
    case 'created': {
      const email = `it.admin.${options.seed}.${index}@company-${index}.soak.example`;
      return {
        ...base,
        email,
        body: {
          customer: {
            companyName: companyNameOf(index),
            companySize: '20-99',
            industry: 'COMMUNICATIONS',
            country: 'US',
            street1: `${index} Main St`,
            city: 'Chicago',
            contact: { firstName: 'Ada', lastName: `Soak${index}`, email },
          },
          ...MANAGEMENT,
        },
      };
    }
  }
}

function offboardingCase(index: number, random: () => number): SoakCase {
  const customerId = String(OFFBOARDING_ID_BASE + index);
  return {
    index,
    kind: 'offboarding',
    scenario: 'offboarded',
    customerId,
    body: { customerId },
    simCustomer: {
      customerId,
      // Spread over the list when Knox sorts by name: its accepted delink removes it from anywhere.
      companyName: companyNameOf(index * 10 + 5),
      status: 'Active',
      managementType: 'JointlyManaged',
      accessType: 'FullAccess',
      managedServices: ['KnoxMobileEnrollment'],
      script: { onDelink: 'accept', afterMs: between(random, 1, 3) * ANSWER_STEP_MS },
    },
  };
}

/**
 * The whole workload, in submission order: the offboardings spread evenly among the onboardings, as an operator's
 * week would have them.
 */
export function buildWorkload(options: WorkloadOptions): SoakCase[] {
  const random = seededRandom(options.seed);
  const onboardings = onboardingScenarios(options.onboardings, random).map((s, i) =>
    onboardingCase(i, s, random, options),
  );
  const offboardings = Array.from({ length: options.offboardings }, (_, i) => offboardingCase(i, random));
  const total = onboardings.length + offboardings.length;
  const out: SoakCase[] = [];
  let off = 0;
  for (const onboarding of onboardings) {
    out.push(onboarding);
    // Keep the share of offboardings steady over the run.
    while (off < offboardings.length && (off + 1) / offboardings.length <= out.length / total + 1e-9)
      out.push(offboardings[off++]!);
  }
  while (off < offboardings.length) out.push(offboardings[off++]!);
  return out;
}
