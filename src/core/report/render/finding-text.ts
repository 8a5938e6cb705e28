import type { Finding } from '../report.js';

/** A finding's message with what was observed, the fix and its acknowledgement, one paragraph each (annotations, SARIF, GitLab). */
export function findingDetails(f: Finding): string {
  return [
    f.message,
    f.evidence ? `Observed: ${f.evidence}` : '',
    f.fix ? `Fix: ${f.fix}` : '',
    f.acknowledged ? `Acknowledged by ${f.acknowledged.by}: ${f.acknowledged.reason}` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}

/** A finding's title: its hazard, the rule id for rule findings, and whether it was acknowledged. */
export function findingTitle(f: Finding): string {
  return `${f.hazard}${f.source === 'rule' ? ` (${f.rule})` : ''}${f.acknowledged ? ' (acknowledged)' : ''}`;
}

/** The level a CI shows: an acknowledged finding no longer fails anything, so it is a notice. */
export function levelOf(f: Finding): 'error' | 'warning' | 'notice' {
  return f.acknowledged ? 'notice' : f.severity;
}
