import type { Report } from './report.js';

/** What a review came to, for every front door: the CLI's exit status, the App's check-run conclusion. */
export type Outcome = 'pass' | 'fail' | 'incomplete';

/** Could-not-run (an incomplete review) outranks fail, which outranks pass: an unfinished review never passes. */
export function outcomeOf(report: Report): Outcome {
  if (!report.complete) return 'incomplete';
  return report.verdict === 'fail' ? 'fail' : 'pass';
}
