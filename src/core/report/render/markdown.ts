import type { ChecklistAnswer, Finding, MigrationResult, Report, ReverseDraft, ReviewerSummary } from '../report.js';
import { rolloutMarkdown } from './rollout.js';
import { lockNotes } from './text.js';
import { tenantLine } from './tenants.js';
import { timelineMarkdown } from './timeline.js';

/** GitHub's limit on a check run's summary and on a comment body (a job summary takes 1 MiB). */
export const MARKDOWN_LIMIT = 65535;

/** Where the rule pages are published: the links of the Markdown findings and of SARIF's helpUri. */
export const RULE_DOCS_URL = 'https://github.com/drillbot/drillbot/blob/main/docs/rules/';

/** What a Markdown report says around the report itself; the App and the CLI differ only here. */
export interface MarkdownOptions {
  /** A heading line first (the CLI and the Action; the App's check run has its own title). */
  readonly title?: string;
  /** What the reader does about an incomplete review (the App names its Re-run button). */
  readonly incompleteNote?: string;
  /** The migrations directory, for the drill line. */
  readonly migrationsRoot?: string;
  /** Lines after the drill line (the App: head and base SHAs, notes about the diff). */
  readonly context?: readonly string[];
  /** The closing line. */
  readonly footer?: string;
  /** Fixes that replace the flagged lines are posted as inline suggestions (the App). */
  readonly inlineSuggestions?: boolean;
  /** Include the per-statement timeline (locks, durations, rewrites, scans) after the drill table. */
  readonly timeline?: boolean;
  readonly limit?: number;
  /** What stays available when items are left out for the limit. */
  readonly stillAvailable?: string;
}

const DEFAULTS = {
  incompleteNote: '**Infra:** Drillbot could not complete the review, so it fails closed (exit status 2). Run it again once the cause below is fixed.',
  footer: '<sub>Configuration: `.github/drillbot.yml` at the base commit. Rules: `docs/rules/`.</sub>',
  stillAvailable: 'the JSON report holds every finding',
} as const;

/** The report as Markdown: what the App posts as its check-run summary, and a PR comment or job summary elsewhere. */
export function renderMarkdown(report: Report, options: MarkdownOptions = {}): string {
  // The CLI does not know where the layout found the migrations; the App does.
  const root = options.migrationsRoot === undefined ? undefined : options.migrationsRoot || '.';
  const head = [
    ...(options.title ? [options.title, ''] : []),
    ...(report.complete ? [] : [options.incompleteNote ?? DEFAULTS.incompleteNote, '']),
    drillLine(report, root),
    ...(report.drill?.tenants ? ['', tenantLine(report.drill.tenants)] : []),
    ...(options.context ?? []),
    '',
  ];
  const sections: string[] = [];
  if (report.migrations.length > 0) sections.push(...drillTable(report.migrations));
  if (options.timeline && report.migrations.length > 0) sections.push(...timelineMarkdown(report.migrations), '');
  const open = report.findings.filter((f) => !f.acknowledged);
  const acked = report.findings.filter((f) => f.acknowledged);
  // Findings first: when the report outgrows the limit, the checklist and then the drafted
  // reverses are left out before any finding.
  const items = [
    ...(open.length > 0 ? ['### Findings', ''] : ['No open findings.', '']),
    ...open.map((f) => findingItem(f, options.inlineSuggestions ?? false)),
    ...(acked.length > 0 ? ['', '### Acknowledged', '', ...acked.map(ackItem)] : []),
    ...draftItems(report),
    ...checklistItems(report.checklist ?? []),
    ...rolloutMarkdown(report.rollout ?? [], oneLine),
  ];
  const reviewer = reviewerLine(report.reviewer ?? null, (report.checklist ?? []).length > 0);
  const tail = ['', ...(reviewer ? [reviewer, ''] : []), options.footer ?? DEFAULTS.footer];
  return fit([...head, ...sections, ''], items, tail, options.limit ?? MARKDOWN_LIMIT, options.stillAvailable);
}

function drillLine(report: Report, root: string | undefined): string {
  const d = report.drill;
  if (!d) return report.complete ? `No new migration to drill${root ? ` in \`${root}\`` : ''}.` : `The drill did not run${root ? ` on \`${root}\`` : ''}.`;
  const mismatch = d.pgMajorMismatch ? ` (⚠️ **not PostgreSQL ${d.pgMajorMismatch.configured}** as \`shadow.pgMajor\` says)` : '';
  return `PostgreSQL ${d.serverVersion} via \`${d.provider}\`${mismatch}, layout \`${d.layout}\`${root ? ` in \`${root}\`` : ''}: ${d.baseMigrations} base migrations replayed as ${d.historyPrivileges === 'superuser' ? '**superuser**' : 'owner'}${d.templateCache === 'hit' ? ' (template cache)' : ''}, ${d.newMigrations} new, ${d.seededRows} seeded rows in ${d.seededTables} tables, round trip **${d.roundTrip}**, ${(d.durationMs / 1000).toFixed(1)} s.`;
}

/** Joins head, as many items as fit, and tail within `limit` characters, saying how many were left out. */
export function fit(head: string[], items: string[], tail: string[], limit: number, still: string = DEFAULTS.stillAvailable): string {
  const note = (n: number) => `\n… ${n} more line${n > 1 ? 's' : ''} left out (GitHub's ${limit}-character limit); ${still}.`;
  const fixed = [...head].join('\n').length + tail.join('\n').length + 200;
  const kept: string[] = [];
  let size = fixed;
  for (const [i, item] of items.entries()) {
    if (size + item.length + 1 > limit) {
      kept.push(note(items.length - i));
      break;
    }
    kept.push(item);
    size += item.length + 1;
  }
  const out = [...head, ...kept, ...tail].join('\n');
  return out.length <= limit ? out : `${out.slice(0, limit - 1)}…`;
}

const ICON: Record<string, string> = { applied: '✅', failed: '❌', 'timed-out': '⏱️', missing: '➖', skipped: '⏭️' };

function drillTable(migrations: readonly MigrationResult[]): string[] {
  const byVersion = new Map<string, MigrationResult[]>();
  for (const m of migrations) byVersion.set(m.version, [...(byVersion.get(m.version) ?? []), m]);
  const rows = [...byVersion.values()].map((results) => {
    const of = (dir: MigrationResult['direction']) => results.find((r) => r.direction === dir);
    const forward = of('forward');
    const cell = (r?: MigrationResult) => (r ? `${ICON[r.status] ?? ''} ${r.status}` : '—');
    const ms = results.reduce((sum, r) => sum + r.durationMs, 0);
    const held = [...new Set((forward?.locks ?? []).filter((l) => l.existing).map((l) => `${l.relation} ${l.mode.replace(/Lock$/, '')}`))].join(', ');
    const locks = [held, ...(forward ? lockNotes(forward) : [])].filter(Boolean).join('; ') || '—';
    const rewrites = [...new Set(results.flatMap((r) => r.rewrites))].join(', ') || '—';
    return `| \`${escapeCell(forward?.path ?? results[0].path)}\` | ${cell(forward)} | ${cell(of('reverse'))} | ${cell(of('redo'))} | ${Math.round(ms)} ms | ${escapeCell(locks)} | ${escapeCell(rewrites)} |`;
  });
  return [
    '### Drill',
    '',
    '| migration | forward | reverse | round trip (forward again) | duration | locks on existing tables | rewrites |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ];
}

const CHECK_ICON: Record<ChecklistAnswer['status'], string> = { pass: '✅', fail: '❌', 'needs-human': '❔' };

/** The checklist, one item per answer: status, id, direction and source, question, evidence. */
function checklistItems(checklist: readonly ChecklistAnswer[]): string[] {
  if (checklist.length === 0) return [];
  const count = (s: ChecklistAnswer['status']) => checklist.filter((a) => a.status === s).length;
  return [
    '',
    '### Checklist',
    '',
    `${count('pass')} pass, ${count('fail')} fail, ${count('needs-human')} need a human. Source: \`drill\` (observed on the shadow PostgreSQL), \`rule\` (static rules and history), \`model\` (the LLM reviewer, judgement items only).`,
    '',
    ...checklist.map(
      (a) =>
        `- ${CHECK_ICON[a.status] ?? ''} **${a.status}** \`${a.id}\` (${a.direction}, source: ${a.source}): ${oneLine(a.question)}\n  <br>evidence: ${oneLine(a.evidence).slice(0, 1000) || '—'}`,
    ),
  ];
}

/** Drafted reverses: each proven one with its SQL and proof, the others with why they are not offered. */
function draftItems(report: Report): string[] {
  const drafts = report.reverseDrafts ?? [];
  const notDrafted = report.reverseNotDrafted ?? [];
  if (drafts.length === 0 && notDrafted.length === 0) return [];
  return [
    '',
    '### Drafted reverses',
    '',
    ...drafts.map((d) =>
      d.status === 'proven' && d.proof
        ? provenDraft(d, 'summary')
        : `- **${d.status}**: the ${drafterOf(d)} draft for \`${d.forwardPath}\` is not offered: ${oneLine(d.reason ?? 'the drill did not prove it')}`,
    ),
    ...notDrafted.map((n) => `- **not drafted** for \`${n.forwardPath}\`: ${oneLine(n.reason)}`),
  ];
}

/** Who drafted a reverse, as an adjective. */
export const drafterOf = (d: ReverseDraft) => (d.drafter === 'model' ? 'model-drafted' : 'deterministic');

/** Where a draft goes, as an instruction: a new file cannot be suggested into existence, so it says "create". */
export function draftPlacement(d: ReverseDraft): string {
  if (d.placement === 'rollback-plan')
    return 'The tool runs no reverse: keep this rollback plan (a draft) with the deploy and run it by hand if the deploy must be undone:';
  return d.placement === 'section' ? `Add under \`${d.section ?? 'the down section'}\` in \`${d.path}\`:` : `Create \`${d.path}\` with:`;
}

/** The drill's proof of a draft, in a line. */
export function proofLine(d: ReverseDraft): string {
  const p = d.proof;
  if (!p) return 'not drilled';
  const problems = p.problems.length > 0 ? `; ${p.problems.map(oneLine).join('; ')}` : '';
  return `proven on PostgreSQL ${p.serverVersion}: reverse ${p.reverse}, round trip (schema and seeded data) ${p.roundTrip}, redo ${p.redo}${problems}`;
}

/** A proven draft as Markdown: for whom, the proof, where it goes, the SQL. */
export function provenDraft(d: ReverseDraft, style: 'summary' | 'reply'): string {
  const head =
    style === 'summary'
      ? `**\`${d.path}\`** for \`${d.forwardPath}\` (${drafterOf(d)}), ${proofLine(d)}.`
      : `For \`${d.forwardPath}\` (${drafterOf(d)}), ${proofLine(d)}.`;
  return [head, '', draftPlacement(d), '', sqlBlock(d.sql), ''].join('\n');
}

/** A fenced SQL block whose fence is longer than any backtick run inside, so it closes where it should. */
export function sqlBlock(sql: string): string {
  const fence = fenceFor(sql);
  return `${fence}sql\n${sql.replace(/\n$/, '')}\n${fence}`;
}

/** A code fence longer than any backtick run in `text`. */
export const fenceFor = (text: string) => '`'.repeat(Math.max(3, ...[...text.matchAll(/`+/g)].map((m) => m[0].length + 1)));

/** The reviewer in a line: the model and its tokens when a model was used, or that judgement items need a person. */
function reviewerLine(reviewer: ReviewerSummary | null, hasChecklist: boolean): string | null {
  if (!reviewer) return null;
  if (reviewer.status === 'not-configured') return hasChecklist ? '<sub>Reviewer: no model configured; judgement items need a person.</sub>' : null;
  const t = reviewer.tokens;
  const usage = reviewer.cached ? 'answer from the cache (no call)' : `${t.total} tokens (${t.prompt} prompt, ${t.completion} completion)`;
  const summarised = reviewer.summarisedStatements > 0 ? `, ${reviewer.summarisedStatements} statements summarised for the token budget` : '';
  const problem = reviewer.problem ? `: ${oneLine(reviewer.problem).slice(0, 300)}` : '';
  return `<sub>Reviewer: model \`${reviewer.model ?? 'unknown'}\` ${reviewer.status}, ${usage}${summarised}${problem}.</sub>`;
}

function findingItem(f: Finding, inlineSuggestions: boolean): string {
  const where = `\`${f.path}:${f.line}${f.endLine ? `-${f.endLine}` : ''}\``;
  const rule = f.source === 'rule' ? ` ([\`${f.rule}\`](${RULE_DOCS_URL}${f.rule}.md))` : '';
  const parts = [`- **${f.severity}** \`${f.hazard}\`${rule} at ${where}: ${oneLine(f.message)}`];
  if (f.evidence) parts.push(`  <br>observed: ${oneLine(f.evidence)}`);
  if (f.fix) parts.push(`  <br>fix: ${inlineSuggestions && f.fixReplacesLines ? '(suggested inline) ' : ''}${oneLine(f.fix).slice(0, 500)}`);
  return parts.join('\n');
}

function ackItem(f: Finding): string {
  const a = f.acknowledged!;
  return `- \`${f.hazard}\`${f.source === 'rule' ? ` (\`${f.rule}\`)` : ''} at \`${f.path}:${f.line}\`: acknowledged by ${a.by}${a.at ? ` at ${a.at}` : ''}: ${oneLine(a.reason)}`;
}

/** Text on one line: Markdown list items and table cells end at a newline. */
export const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();

/** A table cell's text with its pipes escaped. */
export const escapeCell = (s: string) => s.replace(/\|/g, '\\|');
