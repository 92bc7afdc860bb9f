/**
 * The log line of a budget event: the steps write it (Powertools Logger, JSON), and the stack's metric filters read
 * these top-level keys (lib/infra/monitoring.ts). One module names them, so the two cannot drift apart.
 */
import type { BudgetEvent } from './shared-budget';

export const BUDGET_LOG_MESSAGE = 'Knox budget';

export const BUDGET_FIELDS = {
  event: 'budgetEvent',
  tokens: 'budgetTokens',
  rate: 'budgetRate',
  configuredRate: 'budgetConfiguredRate',
  waitMs: 'budgetWaitMs',
} as const;

/** The fields of one event's log line (numbers rounded: they are for graphs). */
export function budgetLogFields(event: BudgetEvent): Record<string, string | number> {
  const round = (v: number) => Math.round(v * 100) / 100;
  const base = { [BUDGET_FIELDS.event]: event.type, [BUDGET_FIELDS.configuredRate]: round(event.configuredRate) };
  switch (event.type) {
    case 'claim':
    case 'exhausted':
      return {
        ...base,
        [BUDGET_FIELDS.tokens]: event.tokens,
        [BUDGET_FIELDS.rate]: round(event.rate),
        [BUDGET_FIELDS.waitMs]: Math.round(event.waitMs),
        ...(event.type === 'claim' ? { attempts: event.attempts } : {}),
      };
    case 'throttled':
      return { ...base, [BUDGET_FIELDS.rate]: round(event.rate) };
    case 'decrease':
      return { ...base, [BUDGET_FIELDS.rate]: round(event.toRate), fromRate: round(event.fromRate) };
  }
}
