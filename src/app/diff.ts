/**
 * Which lines of a pull request's head-side file can carry an inline review comment. GitHub
 * answers 422 ("Pull request review thread line must be part of the diff") for any other line,
 * and one bad comment fails the whole review, so comments are anchored only where a hunk shows
 * the line on the RIGHT side (added or context lines).
 */

/** One hunk of a unified diff: the head-side lines it shows. */
export interface Hunk {
  /** RIGHT-side line numbers shown in the hunk (added and context lines). */
  readonly lines: ReadonlySet<number>;
}

const HEADER = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

/** Parses the `patch` of GET /pulls/{n}/files into hunks of commentable RIGHT-side lines. */
export function parsePatch(patch: string | undefined): Hunk[] {
  if (!patch) return [];
  const hunks: Hunk[] = [];
  let current: Set<number> | null = null;
  let right = 0;
  const rows = patch.split('\n');
  // The patch's final newline (if any) ends the last line; it does not start another one.
  if (rows[rows.length - 1] === '') rows.pop();
  for (const text of rows) {
    const header = HEADER.exec(text);
    if (header) {
      current = new Set<number>();
      hunks.push({ lines: current });
      right = Number(header[1]);
      continue;
    }
    // Deleted lines exist only on the LEFT; "\ No newline at end of file" belongs to the line above.
    if (!current || text.startsWith('-') || text.startsWith('\\')) continue;
    current.add(right);
    right += 1;
  }
  return hunks;
}

/** Where an inline comment for lines line..endLine may go, or null when the diff does not show them. */
export interface Anchor {
  readonly line: number;
  /** Set for a multi-line comment: the whole range lies in one hunk. */
  readonly startLine?: number;
  /** Whether the whole range line..endLine is covered (so a suggestion may replace it). */
  readonly wholeRange: boolean;
}

/** Anchors a finding's range in the diff: the whole range when one hunk shows it, else its first line alone. */
export function anchorFor(hunks: readonly Hunk[], line: number, endLine = line): Anchor | null {
  for (const hunk of hunks) {
    let whole = true;
    for (let l = line; l <= endLine; l++) {
      if (!hunk.lines.has(l)) {
        whole = false;
        break;
      }
    }
    if (whole) return endLine > line ? { line: endLine, startLine: line, wholeRange: true } : { line, wholeRange: true };
  }
  const first = hunks.find((h) => h.lines.has(line));
  return first ? { line, wholeRange: endLine === line } : null;
}
