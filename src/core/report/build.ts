import type { DrillSummary, Finding, MigrationResult, Report } from './report.js';

/** Assembles the report; the verdict fails on any error-level finding. */
export function buildReport(findings: Finding[], migrations: MigrationResult[], drill: DrillSummary | null): Report {
  const merged = mergeFindings(findings).sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line || a.hazard.localeCompare(b.hazard));
  return {
    version: 1,
    verdict: merged.some((f) => f.severity === 'error') ? 'fail' : 'pass',
    findings: merged,
    migrations,
    drill,
  };
}

/**
 * One finding per hazard and statement: when several observations (or a rule and the drill) see
 * the same thing, the first message stands and the others' evidence is kept beside it.
 */
export function mergeFindings(findings: readonly Finding[]): Finding[] {
  const byPlace = new Map<string, Finding>();
  for (const f of findings) {
    const key = `${f.path}\0${f.line}\0${f.hazard}`;
    const seen = byPlace.get(key);
    if (!seen) {
      byPlace.set(key, f);
      continue;
    }
    const evidence = [seen.evidence, f.evidence ?? f.message].filter(Boolean).join('; ');
    byPlace.set(key, { ...seen, evidence, ...(seen.fix || !f.fix ? {} : { fix: f.fix }) });
  }
  return [...byPlace.values()];
}
