/** The Knox budget shared by every Lambda instance (see shared-budget.ts and settings.ts). */
export { DynamoBudgetStore, type DynamoBudgetStoreOptions } from './dynamo-store';
export { BUDGET_FIELDS, BUDGET_LOG_MESSAGE, budgetLogFields } from './log-fields';
export { BUDGET_DEFAULTS, backlogMs, budgetSettings, rateAt, type BudgetItem, type BudgetSettings } from './settings';
export { SharedBudget, wallClock, type BudgetEvent, type SharedBudgetOptions } from './shared-budget';
export { MemoryBudgetStore, type BudgetStore } from './budget-store';
