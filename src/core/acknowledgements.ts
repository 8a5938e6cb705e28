import type { ParsedMigration } from './sql/parse-migrations.js';
import type { ParsedStatement } from './sql/parse.js';
import type { SourceFile } from './layouts/layout.js';
import type { Finding } from './report/report.js';
import { isHazard } from './hazards.js';
import { finding } from './report/findings.js';

/** `-- drillbot:ack <hazard-or-rule> <reason>` written in a migration file. */
export interface AckDirective {
  readonly path: string;
  readonly line: number;
  readonly target: string;
  readonly reason: string;
  /** Lines the directive covers: the statement on or below it, or the whole file when written above the first statement. */
  readonly covers: { readonly from: number; readonly to: number };
}

/** The rule id of findings about the directives themselves (no reason, unused, refused). */
export const ACK_DIRECTIVE_RULE = 'ack-directive';

const DIRECTIVE = /--\s*drillbot:ack\b[ \t]*(\S*)[ \t]*(.*)$/;

/** Finds the directives of the change's files and what each covers. */
export function readAckDirectives(files: readonly SourceFile[], parsed: readonly ParsedMigration[]): AckDirective[] {
  return files.flatMap((file) => {
    // Text decoded from bytes PostgreSQL refuses is not the file anyone reviewed: it acknowledges nothing.
    if (file.problem) return [];
    const statements = parsed
      .flatMap((p) => [
        ...(p.migration.forward.path === file.path ? (p.forward ?? []) : []),
        ...(p.migration.reverse?.path === file.path ? (p.reverse ?? []) : []),
      ])
      .sort((a, b) => a.line - b.line);
    if (statements.length === 0) return [];
    return file.content.split('\n').flatMap((text, i) => {
      const match = DIRECTIVE.exec(text);
      if (!match) return [];
      const line = i + 1;
      return [{ path: file.path, line, target: match[1], reason: match[2].trim(), covers: coverage(line, statements) }];
    });
  });
}

function coverage(line: number, statements: readonly ParsedStatement[]): AckDirective['covers'] {
  if (line < statements[0].line) return { from: 1, to: Number.MAX_SAFE_INTEGER };
  // On a statement's own lines (a trailing comment), else the next statement below.
  const statement = statements.find((s) => s.line <= line && line <= s.endLine) ?? statements.find((s) => s.line > line);
  return statement ? { from: statement.line, to: statement.endLine } : { from: line, to: line };
}

/**
 * Marks the findings each directive acknowledges. A directive without a reason acknowledges
 * nothing and is a finding itself; one that matches no finding is reported as unused.
 */
export function applyAckDirectives(findings: readonly Finding[], directives: readonly AckDirective[]): Finding[] {
  const used = new Set<AckDirective>();
  const marked = findings.map((f) => {
    const directive = directives.find((d) => d.reason && matches(d, f));
    if (!directive) return f;
    used.add(directive);
    return { ...f, acknowledged: { reason: directive.reason, by: `${directive.path}:${directive.line}` } };
  });
  const problems = directives.flatMap((d) => {
    if (refuses(d, findings)) return [directiveFinding(d, findings, REFUSED)];
    if (!d.target || !d.reason)
      return [
        directiveFinding(
          d,
          findings,
          `drillbot:ack needs a hazard or rule id and a reason ("-- drillbot:ack ${d.target || '<hazard>'} <why this is safe>"); without a reason it acknowledges nothing.`,
        ),
      ];
    if (!used.has(d)) return [directiveFinding(d, findings, `drillbot:ack ${d.target} matches no finding here: remove it, or fix its hazard or rule id.`)];
    return [];
  });
  return [...marked, ...problems];
}

/** A change cannot acknowledge away that it was not drilled: `infra` is never acknowledged. */
const REFUSED = 'drillbot:ack cannot cover infra: a review that could not complete is never acknowledged; fix the cause or re-run the review.';

function refuses(d: AckDirective, findings: readonly Finding[]): boolean {
  return d.target === 'infra' || findings.some((f) => f.hazard === 'infra' && f.rule === d.target);
}

function matches(d: AckDirective, f: Finding): boolean {
  if (f.hazard === 'infra') return false;
  return f.path === d.path && (f.hazard === d.target || f.rule === d.target) && f.line >= d.covers.from && f.line <= d.covers.to;
}

/** Directive problems carry the hazard they name (or of the finding they sit on), as warnings. */
function directiveFinding(d: AckDirective, findings: readonly Finding[], message: string): Finding {
  const named = findings.find((f) => f.rule === d.target)?.hazard;
  const hazard = isHazard(d.target) ? d.target : (named ?? 'checklist');
  return finding({
    hazard,
    source: 'engine',
    rule: ACK_DIRECTIVE_RULE,
    severity: 'warning',
    path: d.path,
    line: d.line,
    message,
    fix: 'Write "-- drillbot:ack <hazard-or-rule> <reason>" on or above the statement.',
  });
}
