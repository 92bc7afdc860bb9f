/**
 * The Knox budget on the dashboard: what the whole system drew from the shared budget against what is configured and
 * what AIMD currently allows, Knox's 429s, the decreases they caused, and the calls that waited for the budget or
 * were refused by it. Every number comes from the budget's own log lines (lib/budget/log-fields.ts: one line per
 * claim, 429, decrease, refusal), read by metric filters on each Knox function's log group.
 */
import { Duration } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import { BUDGET_FIELDS } from '#budget/log-fields';
import type { BudgetEvent } from '#budget/shared-budget';
import type { HandlerFunction } from './handler-function';

export const BUDGET_METRICS = {
  /** Requests drawn from the budget (sum per period; / period seconds = requests per second). */
  used: 'KnoxBudgetUsed',
  /** The configured budget, requests per second (knoxRequestsPerSecond). */
  configured: 'KnoxBudgetConfigured',
  /** The rate AIMD allows at the time of each claim, requests per second. */
  rate: 'KnoxBudgetRate',
  /** One sample per claim that had to wait for its slot; the value is the wait in ms. */
  waits: 'KnoxBudgetWaitMs',
  /** Calls refused by the budget (KNOX_BUDGET_EXHAUSTED). */
  exhausted: 'KnoxBudgetExhausted',
  /** 429 answers from Knox. */
  throttled: 'KnoxThrottled',
  /** Decreases of the shared rate. */
  decreases: 'KnoxBudgetDecreases',
} as const;

type BudgetMetric = keyof typeof BUDGET_METRICS;

const is = (type: BudgetEvent['type']) => logs.FilterPattern.stringValue(`$.${BUDGET_FIELDS.event}`, '=', type);
const field = (name: string) => `$.${name}`;

/** Which lines each metric counts and what value it takes from them. */
const FILTERS: Record<BudgetMetric, { pattern: logs.IFilterPattern; value: string }> = {
  used: { pattern: is('claim'), value: field(BUDGET_FIELDS.tokens) },
  configured: { pattern: is('claim'), value: field(BUDGET_FIELDS.configuredRate) },
  rate: { pattern: is('claim'), value: field(BUDGET_FIELDS.rate) },
  waits: {
    pattern: logs.FilterPattern.all(is('claim'), logs.FilterPattern.numberValue(field(BUDGET_FIELDS.waitMs), '>', 0)),
    value: field(BUDGET_FIELDS.waitMs),
  },
  exhausted: { pattern: is('exhausted'), value: field(BUDGET_FIELDS.tokens) },
  throttled: { pattern: is('throttled'), value: '1' },
  decreases: { pattern: is('decrease'), value: '1' },
};

const PERIOD = Duration.minutes(1);

/** Metric filters on every Knox function's log group, and the two dashboard widgets. */
export function knoxBudgetWidgets(namespace: string, knoxFunctions: HandlerFunction[]): cw.IWidget[] {
  for (const fn of knoxFunctions) {
    for (const [key, filter] of Object.entries(FILTERS) as [BudgetMetric, (typeof FILTERS)[BudgetMetric]][]) {
      new logs.MetricFilter(fn, `Budget${key[0]!.toUpperCase()}${key.slice(1)}`, {
        logGroup: fn.logGroup,
        filterPattern: filter.pattern,
        metricNamespace: namespace,
        metricName: BUDGET_METRICS[key],
        metricValue: filter.value,
      });
    }
  }
  const metric = (key: BudgetMetric, statistic: string, label: string) =>
    new cw.Metric({ namespace, metricName: BUDGET_METRICS[key], statistic, period: PERIOD, label });
  const used = metric('used', cw.Stats.SUM, 'used');
  return [
    new cw.GraphWidget({
      title: 'Knox budget (requests/s): used, configured, allowed now',
      width: 12,
      left: [
        new cw.MathExpression({
          expression: 'used / PERIOD(used)',
          usingMetrics: { used },
          label: 'used',
          period: PERIOD,
        }),
        metric('configured', cw.Stats.MAXIMUM, 'configured (knoxRequestsPerSecond)'),
        metric('rate', cw.Stats.MINIMUM, 'allowed now (after 429s)'),
      ],
      leftYAxis: { min: 0 },
    }),
    new cw.GraphWidget({
      title: 'Knox 429s and waits for the budget',
      width: 12,
      left: [
        metric('throttled', cw.Stats.SUM, '429 from Knox'),
        metric('decreases', cw.Stats.SUM, 'budget decreases'),
        metric('waits', cw.Stats.SAMPLE_COUNT, 'claims that waited'),
        metric('exhausted', cw.Stats.SUM, 'refused (KNOX_BUDGET_EXHAUSTED)'),
      ],
      right: [metric('waits', cw.Stats.AVERAGE, 'mean wait (ms)')],
      leftYAxis: { min: 0 },
      rightYAxis: { min: 0 },
    }),
  ];
}
