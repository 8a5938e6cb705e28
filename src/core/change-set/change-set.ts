import type { HeadCode } from '../code-refs/scan.js';
import type { FileTree, SourceFile } from '../layouts/layout.js';

/**
 * The migration files on both sides of a change: the base (merge-base of the target branch)
 * and the head. Built from git by the CLI or from the GitHub API by the app; nothing
 * downstream knows which.
 */
export interface ChangeSet {
  readonly base: FileTree;
  readonly head: FileTree;
  /**
   * Every path of the repository the change added or modified (renames under their new path),
   * inside the migrations directory or not: SQL among them that no migration covers is reported.
   */
  readonly changedPaths?: readonly string[];
  /** The head's code files (outside the migrations too), to find code still naming what the change drops or renames. */
  readonly code?: HeadCode;
}

export type FileChange =
  { kind: 'added'; path: string } | { kind: 'modified'; path: string } | { kind: 'deleted'; path: string } | { kind: 'renamed'; path: string; from: string };

/** Lists what the change did to each migration file; a head file with a base file's exact content is a rename. */
export function diffFiles(changeSet: ChangeSet): FileChange[] {
  const base = byPath(changeSet.base.files);
  const head = byPath(changeSet.head.files);
  const changes: FileChange[] = [];
  const gone = [...base.values()].filter((f) => !head.has(f.path));
  for (const file of head.values()) {
    const before = base.get(file.path);
    if (before) {
      if (before.content !== file.content) changes.push({ kind: 'modified', path: file.path });
      continue;
    }
    const source = gone.findIndex((g) => g.content === file.content);
    if (source >= 0) {
      changes.push({ kind: 'renamed', path: file.path, from: gone[source].path });
      gone.splice(source, 1);
    } else {
      changes.push({ kind: 'added', path: file.path });
    }
  }
  for (const file of gone) changes.push({ kind: 'deleted', path: file.path });
  return changes.sort((a, b) => a.path.localeCompare(b.path));
}

/** The first 1-based line where two texts differ (for pointing a history-edit finding at it). */
export function firstDifferentLine(before: string, after: string): number {
  const a = before.split('\n');
  const b = after.split('\n');
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i + 1;
  return 1;
}

function byPath(files: readonly SourceFile[]): Map<string, SourceFile> {
  return new Map(files.map((f) => [f.path, f]));
}
