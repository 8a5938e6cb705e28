import type { ChangeAnalysis } from '../change-set/analyze.js';
import type { DrillbotConfig } from '../config.js';
import type { Deadline } from '../deadline.js';
import type { ShadowServer } from '../drill/providers/provider.js';
import type { Migration } from '../layouts/layout.js';
import { finding } from '../report/findings.js';
import type { ChecklistAnswer, DrillSummary, Finding, MigrationResult, ReverseDraft, ReverseNotDrafted, ReviewerSummary } from '../report/report.js';
import { draftReverse } from '../reverse/draft.js';
import { proveDrafts, reversePlacement, type DraftCandidate } from '../reverse/prove.js';
import type { ParsedMigration } from '../sql/parse-migrations.js';
import { askModel, type Asked, type ModelAnswer } from './answers.js';
import type { ReviewerCache } from './cache.js';
import { answerFromFacts, checklistItems, type ChecklistFacts, type ChecklistItem } from './checklists.js';
import type { LlmClient } from './llm-client.js';
import { buildPrompt, type DraftRequest } from './prompt.js';

export interface ReviewerStepInput {
  readonly config: DrillbotConfig;
  /** The shadow server the drill ran on, still open (null when it did not start). */
  readonly server: ShadowServer | null;
  readonly analysis: ChangeAnalysis;
  readonly parsed: readonly ParsedMigration[];
  /** The deterministic findings (history, drill, rules), acknowledgements applied. */
  readonly findings: readonly Finding[];
  readonly migrations: readonly MigrationResult[];
  readonly drill: DrillSummary | null;
  /** null: no model (deterministic items and drafting only). */
  readonly llm: LlmClient | null;
  readonly cache: ReviewerCache;
  readonly useTemplateCache: boolean;
  readonly onProgress: (message: string) => void;
  /** The review's time limit, which the proof drill shares. */
  readonly deadline: Deadline;
}

export interface ReviewerStepResult {
  readonly findings: Finding[];
  readonly checklist: ChecklistAnswer[];
  readonly reverseDrafts: ReverseDraft[];
  readonly reverseNotDrafted: ReverseNotDrafted[];
  readonly reviewer: ReviewerSummary;
}

/** Longest model explanation kept in the report. */
const MAX_EVIDENCE = 600;
/** Cap on each model answer's tokens (checklist answers and a few drafted reverses). */
const MAX_ANSWER_TOKENS = 4096;

/**
 * The reviewer step, after the drill and the rules: drafts the reverses that are missing (common DDL
 * deterministically, the rest by the model) and proves them with a second drill, then answers the
 * checklist: engine items from the findings and the drill, judgement items by the model (or a person).
 */
export async function runReviewerStep(input: ReviewerStepInput): Promise<ReviewerStepResult> {
  const items = checklistItems(input.config.reviewer.checklist);
  const facts: ChecklistFacts = { added: input.analysis.added, findings: input.findings, migrations: input.migrations, drill: input.drill, drafts: [] };
  const pending = items.filter((item) => item.decidedBy === 'judgement' && answerFromFacts(item, facts) === null);
  const missing = missingReverses(input);
  const deterministic: DraftCandidate[] = [];
  const requests: Array<DraftRequest & { migration: Migration }> = [];
  for (const { migration, parsed } of missing) {
    const draft = draftReverse(parsed.forward ?? []);
    if (draft.ok) deterministic.push({ migration, drafter: 'deterministic', sql: draft.sql });
    else
      requests.push({
        migration,
        version: migration.version,
        forwardPath: migration.forward.path,
        reason: `the common-DDL drafter could not (${draft.reason})`,
      });
  }

  let asked: Asked | null = null;
  let summarised = 0;
  if (input.llm && (pending.length > 0 || requests.length > 0)) {
    const prompt = buildPrompt({
      items: pending,
      drafts: requests,
      added: input.parsed,
      findings: input.findings,
      drill: input.drill,
      maxTokens: input.config.reviewer.maxTokens,
    });
    summarised = prompt.summarisedStatements;
    input.onProgress(`asking ${input.llm.model} about ${pending.length} checklist item(s)${requests.length > 0 ? ` and ${requests.length} reverse(s)` : ''}`);
    asked = await askModel(input.llm, prompt.messages, { cache: input.cache, timeoutMs: input.config.reviewer.timeoutMs, maxAnswerTokens: MAX_ANSWER_TOKENS });
  }

  // The model may draft only the reverses it was asked for; it never replaces one a team wrote.
  const modelDrafts: DraftCandidate[] = asked?.ok
    ? requests.flatMap((r) => {
        const drafted = asked.answer.reverses.find((d) => d.version === r.version);
        return drafted ? [{ migration: r.migration, drafter: 'model' as const, sql: drafted.sql.endsWith('\n') ? drafted.sql : `${drafted.sql}\n` }] : [];
      })
    : [];
  const reverseDrafts = await proveOrExplain(input, [...deterministic, ...modelDrafts]);
  const drafted = new Set(reverseDrafts.map((d) => d.version));
  const reverseNotDrafted = requests
    .filter((r) => !drafted.has(r.version))
    .map((r) => ({
      version: r.version,
      forwardPath: r.forwardPath,
      reason: input.llm ? `${r.reason}, and the model drafted none` : `${r.reason}; no model is configured to try`,
    }));

  const decided = items.map((item) => answerFromFacts(item, { ...facts, drafts: reverseDrafts }));
  const checklist = items.map((item, i) => decided[i] ?? judged(item, asked, input.llm !== null));
  const notice = asked && !asked.ok ? [unavailableNotice(asked.problem, input)] : [];
  return {
    findings: [...withinTrustBoundary(input.findings, reverseDrafts, modelFindings(checklist, items, asked, input)), ...notice],
    checklist,
    reverseDrafts,
    reverseNotDrafted,
    reviewer: summary(input.llm, asked, summarised),
  };
}

/** Forward migrations the layout reports without a reverse, with their parsed statements. */
function missingReverses(input: ReviewerStepInput): Array<{ migration: Migration; parsed: ParsedMigration }> {
  const reported = new Set(input.findings.filter((f) => f.hazard === 'missing-reverse' && f.source === 'layout').map((f) => f.path));
  return input.parsed
    .filter((p) => p.migration.reverse === null && p.forward !== null && p.forward.length > 0 && reported.has(p.migration.forward.path))
    .map((p) => ({ migration: p.migration, parsed: p }));
}

async function proveOrExplain(input: ReviewerStepInput, candidates: DraftCandidate[]): Promise<ReverseDraft[]> {
  if (candidates.length === 0) return [];
  const forwardApplied = input.migrations.some((m) => m.direction === 'forward' && m.status === 'applied');
  if (!forwardApplied || !input.server) {
    // Without a forward that applies there is nothing to reverse, so no proof: never offered.
    return candidates.map((c) => ({
      version: c.migration.version,
      name: c.migration.name,
      forwardPath: c.migration.forward.path,
      ...reversePlacement(input.analysis.layout, c.migration.forward.path),
      drafter: c.drafter,
      sql: c.sql,
      status: 'unproven' as const,
      proof: null,
      reason: 'the forward migrations did not apply on the shadow database, so the draft could not be drilled',
    }));
  }
  return proveDrafts(
    {
      server: input.server,
      config: input.config,
      layout: input.analysis.layout,
      base: input.analysis.replay,
      added: input.parsed,
      firstFindings: input.findings,
      useTemplateCache: input.useTemplateCache,
      onProgress: input.onProgress,
      deadline: input.deadline,
    },
    candidates,
  );
}

/** A judgement item no finding decided: the model's answer, or a person's. */
function judged(item: ChecklistItem, asked: Asked | null, hasModel: boolean): ChecklistAnswer {
  const base = { id: item.id, direction: item.direction, question: item.question, source: 'model' as const };
  if (!hasModel)
    return { ...base, status: 'needs-human', evidence: 'no model is configured (OPENAI_API_KEY, or reviewer.baseUrl): a person should judge this' };
  if (!asked) return { ...base, status: 'needs-human', evidence: 'the model was not asked' };
  if (!asked.ok) return { ...base, status: 'needs-human', evidence: `${asked.problem}: a person should judge this` };
  const answer = asked.answer.answers.find((a) => a.id === item.id);
  if (!answer) return { ...base, status: 'needs-human', evidence: 'the model did not answer this item' };
  return { ...base, status: answer.status, evidence: clip(answer.evidence) };
}

/**
 * The model's failed items become `checklist` warnings at the statement it names (when that is a
 * line of a migration in this change). Severity and hazard are fixed here, not by the model.
 */
function modelFindings(checklist: ChecklistAnswer[], items: ChecklistItem[], asked: Asked | null, input: ReviewerStepInput): Finding[] {
  if (!asked?.ok || input.config.rules.checklist === 'off') return [];
  const first = input.analysis.added[0]?.forward.path;
  if (!first) return [];
  return checklist
    .filter((a) => a.source === 'model' && a.status === 'fail')
    .map((a) => {
      const raw = asked.answer.answers.find((x) => x.id === a.id) as ModelAnswer['answers'][number];
      const place = placeOf(raw, input.analysis.added) ?? { path: first, line: 1 };
      const item = items.find((i) => i.id === a.id) as ChecklistItem;
      return finding({
        hazard: 'checklist',
        source: 'model',
        rule: `checklist/${a.id}`,
        severity: 'warning',
        ...place,
        message: `Checklist (${item.direction}) "${item.question}": the reviewer answers no.`,
        evidence: a.evidence,
      });
    });
}

/** The model's path:line, kept only when it is a line of a script in this change. */
function placeOf(answer: ModelAnswer['answers'][number], added: readonly Migration[]): { path: string; line: number } | null {
  if (answer.path === null) return null;
  const script = added.flatMap((m) => (m.reverse ? [m.forward, m.reverse] : [m.forward])).find((s) => s.path === answer.path);
  if (!script) return null;
  const lines = script.startLine + script.sql.split('\n').length;
  const line = answer.line !== null && answer.line >= 1 && answer.line <= lines ? answer.line : 1;
  return { path: script.path, line };
}

/**
 * The trust boundary, in code: every deterministic finding is kept as it is (hazard, severity,
 * place, message, acknowledgement); the only change is the fix of a `missing-reverse` finding, set
 * to a draft the drill proved. What the model adds is `checklist` warnings, forced here again, so
 * no answer can remove, downgrade or outweigh a deterministic finding or change the verdict.
 */
export function withinTrustBoundary(deterministic: readonly Finding[], drafts: readonly ReverseDraft[], added: readonly Finding[]): Finding[] {
  const proven = new Map(drafts.filter((d) => d.status === 'proven').map((d) => [d.forwardPath, d]));
  const kept = deterministic.map((f) => {
    const draft = f.hazard === 'missing-reverse' && f.source === 'layout' ? proven.get(f.path) : undefined;
    return draft ? { ...f, fix: draftFix(draft) } : f;
  });
  const checklist = added.map((f) => ({
    ...f,
    rule: f.rule.startsWith('checklist/') ? f.rule : 'checklist/model',
    hazard: 'checklist' as const,
    severity: 'warning' as const,
    source: 'model' as const,
    acknowledged: undefined,
    fix: undefined,
    fixReplacesLines: undefined,
  }));
  return [...kept, ...checklist.map(stripUndefined)];
}

function draftFix(d: ReverseDraft): string {
  const where = d.placement === 'section' ? `under ${d.section} in ${d.path}` : `as ${d.path}`;
  const proof = d.proof
    ? ` (the drill on PostgreSQL ${d.proof.serverVersion} proved it: forward → this reverse restored the schema and seeded data, and redo applied)`
    : '';
  const by = `drafted by Drillbot${d.drafter === 'model' ? ' with the model' : ''}${proof}`;
  const sql = d.sql.replace(/\n$/, '');
  if (d.placement === 'rollback-plan') return `Keep this rollback plan with the deploy and run it by hand to undo it (a draft, ${by}):\n${sql}`;
  return `Add this reverse ${where}, ${by}:\n${sql}`;
}

/** The model could not help: said plainly, as a notice, which never fails the review. */
function unavailableNotice(problem: string, input: ReviewerStepInput): Finding {
  return finding({
    hazard: 'infra',
    source: 'engine',
    rule: 'reviewer/llm-unavailable',
    severity: 'notice',
    path: input.analysis.added[0]?.forward.path ?? '',
    line: 1,
    message: `The LLM reviewer could not answer the checklist (${problem}); its items read needs-human.`,
    fix: 'Re-run the review; if it happens again, check reviewer.model, reviewer.baseUrl and reviewer.timeout.',
  });
}

function summary(llm: LlmClient | null, asked: Asked | null, summarised: number): ReviewerSummary {
  if (!llm) return { status: 'not-configured', model: null, tokens: { prompt: 0, completion: 0, total: 0 }, cached: false, summarisedStatements: 0 };
  const tokens = asked?.tokens ?? { prompt: 0, completion: 0 };
  return {
    status: !asked || asked.ok ? 'answered' : asked.status,
    model: llm.model,
    tokens: { ...tokens, total: tokens.prompt + tokens.completion },
    cached: asked?.ok === true && asked.cached,
    summarisedStatements: summarised,
    ...(asked && !asked.ok ? { problem: asked.problem } : {}),
  };
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_EVIDENCE ? `${oneLine.slice(0, MAX_EVIDENCE - 1)}…` : oneLine;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
