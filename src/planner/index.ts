/** The planner: pure `plan()` from board state + target + images, its rules as data, and the table printer. */
export { plan } from './plan.js';
export { formatPlan, type FormatOptions } from './format.js';
export { rules, minimumFusFor, ruleText } from './rules.js';
export type { FusEdge, FusImageSelector, FusMinimumRule, KnownFusImage } from './rules.js';
export type { RefusalCode } from './refusals.js';
export type { Target, PlanInput, Plan, Step, Refusal, StepKind, Expectation } from './types.js';
