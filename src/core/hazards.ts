/** The hazard vocabulary: the stable contract of the JSON report (docs/hazards.md). */
export const HAZARDS = [
  'rewrite',
  'blocking-scan',
  'blocking-index',
  'data-loss',
  'breaking-change',
  'concurrently-in-transaction',
  'data-dependent',
  'missing-reverse',
  'reverse-mismatch',
  'forward-error',
  'reverse-error',
  'history-edit',
  'ordering',
  'lock-timeout',
  'unbatched-backfill',
  'type-choice',
  'query-regression',
  'unused-index',
  'checklist',
  'infra',
] as const;

export type Hazard = (typeof HAZARDS)[number];
export type Severity = 'error' | 'warning' | 'notice';

const WARNINGS: ReadonlySet<Hazard> = new Set(['lock-timeout', 'unbatched-backfill', 'checklist', 'query-regression']);

/** Default severity of a hazard: errors fail the check, warnings and notices never do. */
export function defaultSeverity(hazard: Hazard): Severity {
  if (hazard === 'type-choice' || hazard === 'unused-index') return 'notice';
  return WARNINGS.has(hazard) ? 'warning' : 'error';
}

export const isHazard = (value: string): value is Hazard => (HAZARDS as readonly string[]).includes(value);
