import {
  draftPlacement,
  drafterOf,
  fenceFor,
  findingDetails,
  findingTitle,
  fit,
  oneLine,
  proofLine,
  outcomeOf,
  provenDraft,
  renderMarkdown,
  sqlBlock,
  type Finding,
  type Report,
} from '../core/index.js';
import type { AckRecord } from './acks.js';
import { anchorFor, type Hunk } from './diff.js';

export { fit };

/** GitHub's limits on check-run output (422 beyond them; see shared/design/github-app.md §2.1). */
export const LIMITS = { summary: 65535, text: 65535, annotationsPerRequest: 50, annotationMessage: 60_000, title: 255, actions: 3, comment: 65536 } as const;

export const CHECK_NAME = 'Drillbot';

/** Facts about the change that the report does not carry, shown in the summary. */
export interface ReviewContext {
  readonly headSha: string;
  readonly baseSha: string;
  readonly migrationsRoot: string;
  /** GitHub lists at most 3000 files of a pull request. */
  readonly filesTruncated: boolean;
  /** Inline comments that could not be placed because their lines are outside the diff. */
  readonly outsideDiff?: number;
}

export type Conclusion = 'success' | 'failure' | 'neutral' | 'cancelled';

export interface CheckOutput {
  readonly title: string;
  readonly summary: string;
}

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: 'notice' | 'warning' | 'failure';
  message: string;
  title: string;
  raw_details?: string;
}

export interface CheckAction {
  label: string;
  description: string;
  identifier: string;
}

/** The button on every completed Drillbot check run (≤20/≤40 characters, as GitHub requires). */
export const RERUN_ACTION: CheckAction = { label: 'Re-run', description: 'Run the rollback drill again', identifier: 'rerun' };

/** The button that posts the proven reverse drafts on the pull request (as `/drillbot reverse` does). */
export const REVERSE_ACTION: CheckAction = { label: 'Draft reverse', description: 'Post the proven reverse migrations', identifier: 'reverse' };

/** The buttons of a completed review: Re-run, and Draft reverse when some forward migration lacks a reverse. */
export function actionsOf(report: Report): CheckAction[] {
  const drafting = (report.reverseDrafts ?? []).length > 0 || (report.reverseNotDrafted ?? []).length > 0;
  return drafting ? [RERUN_ACTION, REVERSE_ACTION] : [RERUN_ACTION];
}

/** Failure on unacknowledged errors and on any review that did not complete (the engine's outcomeOf); success otherwise. */
export function conclusionOf(report: Report): Conclusion {
  return outcomeOf(report) === 'pass' ? 'success' : 'failure';
}

/** The check run's title: the verdict in a line. */
export function titleOf(report: Report): string {
  if (outcomeOf(report) === 'incomplete') return 'Drillbot could not complete the review (infra)';
  const open = report.findings.filter((f) => !f.acknowledged);
  const errors = open.filter((f) => f.severity === 'error').length;
  const acked = report.findings.length - open.length;
  const parts = [
    errors > 0 ? `${errors} error${errors > 1 ? 's' : ''}` : 'no errors',
    `${open.length - errors} other finding${open.length - errors === 1 ? '' : 's'}`,
  ];
  if (acked > 0) parts.push(`${acked} acknowledged`);
  return `${report.verdict === 'fail' ? 'Unsafe' : 'Safe'}: ${parts.join(', ')}`.slice(0, LIMITS.title);
}

/** The check run's Markdown summary: the core's Markdown report, with the App's context and buttons around it. */
export function renderSummary(report: Report, ctx: ReviewContext, limit: number = LIMITS.summary): string {
  const context = [
    `Head \`${ctx.headSha.slice(0, 12)}\`, base (merge-base) \`${ctx.baseSha.slice(0, 12)}\`.`,
    ...(ctx.outsideDiff
      ? ['', `${ctx.outsideDiff} finding${ctx.outsideDiff > 1 ? 's are' : ' is'} on lines this pull request does not change; see the annotations.`]
      : []),
    ...(ctx.filesTruncated
      ? [
          '',
          '> ⚠️ GitHub lists at most 3000 files of a pull request; this one has more. The drill compared the full trees, but inline comments only cover the listed files.',
        ]
      : []),
  ];
  return renderMarkdown(report, {
    incompleteNote:
      '**Infra:** Drillbot could not complete the review, so the check fails closed. Press **Re-run** (or comment `/drillbot run`) once the cause below is fixed.',
    migrationsRoot: ctx.migrationsRoot,
    context,
    footer: `<sub>Configuration: \`.github/drillbot.yml\` on the default branch. Commands: \`/drillbot help\`.</sub>`,
    inlineSuggestions: true,
    limit,
    stillAvailable: STILL_AVAILABLE,
  });
}

/** What stays available when the App's summary or a reply is cut. */
const STILL_AVAILABLE = 'every finding is still an annotation, and `/drillbot reverse` posts the drafted reverses';

/**
 * The reply to `/drillbot reverse` (and the Draft reverse button): the proven drafts of the
 * pull request's latest review, or why none could be offered.
 */
export function renderReverseReply(report: Report, headSha: string, login: string | null): string {
  const drafts = report.reverseDrafts ?? [];
  const notDrafted = report.reverseNotDrafted ?? [];
  const proven = drafts.filter((d) => d.status === 'proven' && d.proof);
  const others = drafts.filter((d) => !proven.includes(d));
  const who = login ? `@${login}: ` : '';
  const sha = `\`${headSha.slice(0, 12)}\``;
  if (drafts.length === 0 && notDrafted.length === 0) {
    return `${who}every new forward migration on ${sha} has a reverse, so there is nothing to draft. The drill checks the reverses you wrote: see the **Drillbot** check run.`;
  }
  const head =
    proven.length > 0
      ? [
          `${who}Drillbot drafted ${proven.length === 1 ? 'a reverse migration' : `${proven.length} reverse migrations`} for ${sha}. Each one was run by the drill (forward → drafted reverse → schema and seeded data compared → forward again) and restored the state before the forward.`,
          '',
        ]
      : [`${who}no reverse migration could be offered for ${sha}: Drillbot only offers a draft the drill proved.`, ''];
  const items = [
    ...proven.map((d) => provenDraft(d, 'reply')),
    ...(others.length + notDrafted.length > 0 ? [proven.length > 0 ? '**Not offered**' : '**Why**', ''] : []),
    ...others.map((d) => `- the ${drafterOf(d)} draft for \`${d.forwardPath}\` (${d.status}): ${oneLine(d.reason ?? 'the drill did not prove it')}`),
    ...notDrafted.map((n) => `- \`${n.forwardPath}\`: ${oneLine(n.reason)}`),
  ];
  const tail =
    proven.length > 0
      ? ['', '<sub>Review the draft before you commit it: the drill proves it restores the schema and the seeded rows, not that it suits your data.</sub>']
      : [];
  return fit(head, items, tail, LIMITS.comment - 100, 'the Drillbot check run lists every migration');
}

/** One annotation per finding; acknowledged findings become notices that say who acknowledged them. */
export function annotationsOf(report: Report): Annotation[] {
  return report.findings.map((f) => {
    const level = f.acknowledged ? 'notice' : f.severity === 'error' ? 'failure' : f.severity === 'warning' ? 'warning' : 'notice';
    return {
      path: f.path,
      start_line: f.line,
      end_line: Math.max(f.line, f.endLine ?? f.line),
      annotation_level: level,
      message: findingDetails(f).slice(0, LIMITS.annotationMessage),
      title: findingTitle(f).slice(0, LIMITS.title),
    };
  });
}

/** Splits annotations into GitHub's batches of 50 per request. */
export function batches<T>(items: readonly T[], size: number = LIMITS.annotationsPerRequest): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** An inline review comment (GitHub's `comments[]` item of POST /pulls/{n}/reviews). */
export interface ReviewComment {
  path: string;
  line: number;
  side: 'RIGHT';
  start_line?: number;
  start_side?: 'RIGHT';
  body: string;
}

/** At most this many inline comments per review: more makes the pull request page unusable. */
export const MAX_COMMENTS = 50;

/** The marker that identifies an inline comment's finding, so a re-run does not post it twice. */
export const findingMarker = (key: string) => `<!-- drillbot:finding ${key} -->`;

/**
 * Inline comments for the open error and warning findings whose lines the diff shows. A
 * suggestion block is added only when the fix replaces exactly the lines the comment spans.
 */
export function reviewComments(
  report: Report,
  hunksByPath: ReadonlyMap<string, Hunk[]>,
  keyOf: (f: Finding) => string,
): { comments: ReviewComment[]; outside: number } {
  const comments: ReviewComment[] = [];
  let outside = 0;
  const provenDrafts = new Map((report.reverseDrafts ?? []).filter((d) => d.status === 'proven' && d.proof).map((d) => [d.forwardPath, d]));
  for (const f of report.findings) {
    if (f.acknowledged || f.severity === 'notice') continue;
    const anchor = anchorFor(hunksByPath.get(f.path) ?? [], f.line, f.endLine ?? f.line);
    if (!anchor) {
      outside += 1;
      continue;
    }
    if (comments.length >= MAX_COMMENTS) break;
    // A fence longer than any backtick run in the fix keeps the block closed where it should be.
    const fence = fenceFor(f.fix ?? '');
    const suggestion = f.fix && f.fixReplacesLines && anchor.wholeRange ? ['', `${fence}suggestion`, f.fix.replace(/\n$/, ''), fence] : [];
    // A proven draft of a missing reverse is plain SQL with where it goes: a new file cannot be suggested.
    const draft = f.hazard === 'missing-reverse' && f.fix ? provenDrafts.get(f.path) : undefined;
    const body = [
      `**${f.severity}** \`${f.hazard}\`${f.source === 'rule' ? ` (\`${f.rule}\`)` : ''}: ${f.message}`,
      ...(f.evidence ? ['', `Observed on the shadow PostgreSQL: ${f.evidence}`] : []),
      ...(draft ? ['', `Drillbot drafted the reverse (${drafterOf(draft)}), ${proofLine(draft)}. ${draftPlacement(draft)}`, '', sqlBlock(draft.sql)] : []),
      ...(f.fix && !draft && suggestion.length === 0 ? ['', `Fix: ${f.fix}`] : []),
      ...suggestion,
      '',
      `<sub>Acknowledge with \`/drillbot ack ${f.source === 'rule' ? f.rule : f.hazard} <reason>\`.</sub>`,
      findingMarker(keyOf(f)),
    ].join('\n');
    comments.push({
      path: f.path,
      line: anchor.line,
      side: 'RIGHT',
      ...(anchor.startLine !== undefined ? { start_line: anchor.startLine, start_side: 'RIGHT' as const } : {}),
      body: body.slice(0, LIMITS.comment - 100),
    });
  }
  return { comments, outside };
}

/** The marker of the sticky summary comment (one per pull request, updated in place). */
export const SUMMARY_MARKER = '<!-- drillbot:summary -->';
const STATE = /<!-- drillbot:state (\{[\s\S]*?\}) -->/;

/** What the sticky comment stores between runs (acks must survive restarts). */
export interface StickyState {
  readonly acks: AckRecord[];
}

/** The sticky comment: marker, a short summary, and the stored state as hidden JSON. */
export function renderSticky(markdown: string, state: StickyState): string {
  // Escaping < and > inside the JSON keeps "-->" out of it, so the HTML comment cannot end early.
  const json = JSON.stringify({ version: 1, acks: state.acks }).replace(/</g, '\\u003c').replace(/>/g, '\\u003e');
  const stateLine = `<!-- drillbot:state ${json} -->`;
  const room = LIMITS.comment - SUMMARY_MARKER.length - stateLine.length - 10;
  return [SUMMARY_MARKER, markdown.length > room ? `${markdown.slice(0, room - 1)}…` : markdown, stateLine].join('\n');
}

/** Reads the stored state from a sticky comment's body; a missing or damaged block reads as empty. */
export function parseSticky(body: string | null | undefined): StickyState {
  const match = STATE.exec(body ?? '');
  if (!match) return { acks: [] };
  try {
    const parsed = JSON.parse(match[1]) as { acks?: unknown };
    const acks = Array.isArray(parsed.acks) ? parsed.acks.filter(isAckRecord) : [];
    return { acks };
  } catch {
    // A damaged block (edited by hand) stores nothing; the acks must then be given again.
    return { acks: [] };
  }
}

function isAckRecord(value: unknown): value is AckRecord {
  const v = value as Partial<AckRecord> | null;
  return (
    !!v &&
    typeof v.target === 'string' &&
    typeof v.reason === 'string' &&
    typeof v.by === 'string' &&
    typeof v.at === 'string' &&
    (v.statements === undefined || Array.isArray(v.statements))
  );
}

/** The sticky comment's visible part: verdict, counts, acknowledgements, pointer to the check run. */
export function renderStickyMarkdown(report: Report | null, headline: string, acks: readonly AckRecord[]): string {
  const lines = [`### Drillbot: ${headline}`, ''];
  if (report) {
    const open = report.findings.filter((f) => !f.acknowledged);
    for (const f of open.slice(0, 20)) lines.push(`- **${f.severity}** \`${f.hazard}\` at \`${f.path}:${f.line}\`: ${oneLine(f.message)}`);
    if (open.length > 20) lines.push(`- … and ${open.length - 20} more in the Drillbot check run`);
  }
  if (acks.length > 0) {
    lines.push('', '**Acknowledged**', '');
    for (const a of acks) lines.push(`- \`${a.target}\` by ${a.by} at ${a.at}: ${oneLine(a.reason)}`);
  }
  lines.push('', '<sub>Full report in the **Drillbot** check run. Commands: `/drillbot help`.</sub>');
  return lines.join('\n');
}
