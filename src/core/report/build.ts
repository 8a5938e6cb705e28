import { ACK_DIRECTIVE_RULE } from '../acknowledgements.js';
import type { Severity } from '../hazards.js';
import type {
  ChecklistAnswer,
  DrillSummary,
  Finding,
  MigrationResult,
  Report,
  ReverseDraft,
  ReverseNotDrafted,
  ReviewerSummary,
  RolloutStep,
} from './report.js';

/** What the reviewer step adds beside the findings; none of it takes part in the verdict. */
export interface ReportExtras {
  readonly checklist?: ChecklistAnswer[];
  readonly reverseDrafts?: ReverseDraft[];
  readonly reverseNotDrafted?: ReverseNotDrafted[];
  readonly reviewer?: ReviewerSummary | null;
  readonly rollout?: RolloutStep[];
}

/** Drillbot could not do its job (an `infra` error; the model's unavailability is only a notice). */
const stoppedReview = (f: Finding) => f.hazard === 'infra' && f.severity === 'error';

const RANK: Record<Severity, number> = { notice: 0, warning: 1, error: 2 };

/**
 * Assembles the report; the verdict fails on any error-level finding that is not acknowledged, and
 * the review is incomplete when any `infra` error is present, acknowledged or not.
 * The checklist, drafts and reviewer summary are carried as they are: they never decide the verdict
 * (pass `extras` from the previous report when re-evaluating it after acknowledgements).
 */
export function buildReport(findings: Finding[], migrations: MigrationResult[], drill: DrillSummary | null, extras: ReportExtras = {}): Report {
  const merged = mergeFindings(findings).sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line || a.hazard.localeCompare(b.hazard));
  return {
    version: 1,
    verdict: merged.some((f) => stoppedReview(f) || (f.severity === 'error' && !f.acknowledged)) ? 'fail' : 'pass',
    complete: !merged.some(stoppedReview),
    findings: merged,
    migrations,
    drill,
    checklist: extras.checklist ?? [],
    reverseDrafts: extras.reverseDrafts ?? [],
    reverseNotDrafted: extras.reverseNotDrafted ?? [],
    reviewer: extras.reviewer ?? null,
    rollout: extras.rollout ?? [],
  };
}

/**
 * One finding per hazard and statement: when several observations (or a rule and the drill) see
 * the same thing, the first message stands and the others' evidence is kept beside it.
 */
export function mergeFindings(findings: readonly Finding[]): Finding[] {
  const byPlace = new Map<string, Finding>();
  for (const f of findings) {
    // A problem with an ack directive is about the directive, not another sighting of the statement's hazard.
    const key = `${f.path}\0${f.line}\0${f.hazard}${f.rule === ACK_DIRECTIVE_RULE ? '\0directive' : ''}`;
    const seen = byPlace.get(key);
    if (!seen) {
      byPlace.set(key, f);
      continue;
    }
    // The drill's message restates what its evidence shows; a second rule's message says more.
    const message = f.source === 'drill' ? seen.message : `${seen.message} ${f.message}`;
    const evidence = [seen.evidence, f.evidence].filter(Boolean).join('; ');
    const severity = RANK[f.severity] > RANK[seen.severity] ? f.severity : seen.severity;
    byPlace.set(key, { ...seen, message, severity, ...(evidence ? { evidence } : {}), ...(seen.fix || !f.fix ? {} : { fix: f.fix }) });
  }
  return [...byPlace.values()];
}
