import type { DrillSummary, Finding, MigrationResult, Report } from './report.js';

/** Assembles the report; the verdict fails on any error-level finding. */
export function buildReport(findings: Finding[], migrations: MigrationResult[], drill: DrillSummary | null): Report {
  const sorted = [...findings].sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line || a.hazard.localeCompare(b.hazard));
  return {
    version: 1,
    verdict: sorted.some((f) => f.severity === 'error') ? 'fail' : 'pass',
    findings: sorted,
    migrations,
    drill,
  };
}
