import type { FileTree, Layout, LayoutProblem, LayoutResult, Migration } from './layout.js';
import { compareNumeric, findDuplicateVersions, listEntries, listTopLevel, sortProblems, splitLines, type TreeEntry } from './util.js';

const JOURNAL = 'meta/_journal.json';

interface JournalEntry {
  readonly when: number;
  readonly tag: string;
}

/**
 * Drizzle Kit (https://github.com/drizzle-team/drizzle-orm, drizzle-orm/src/migrator.ts and
 * pg-core/dialect.ts `migrate`):
 * - `<out>/meta/_journal.json` lists the migrations in order; each entry's `tag` names
 *   `<out>/<tag>.sql` and its `when` (milliseconds) is what `__drizzle_migrations.created_at`
 *   records (schema `drizzle`); a `.sql` file the journal does not list never runs;
 * - the file is split on `--> statement-breakpoint` (a SQL comment, so the text runs as written)
 *   and every pending migration's statements run in ONE transaction with no opt-out: a statement
 *   that cannot run in a transaction block cannot be run by the migrator at all;
 * - an entry runs only when its `when` is newer than the newest recorded `created_at`: an older
 *   pending entry is skipped without an error, so versions here are the `when` values;
 * - no down migrations: Drizzle Kit is forward-only.
 */
export const compareDrizzleVersions = compareNumeric;

function journalProblem(journal: TreeEntry, line: number, detail: string): LayoutProblem {
  return { kind: 'unparsable', path: journal.file.path, line, detail: `Drizzle cannot run this journal: ${detail}` };
}

/** The journal's entries, or null and a problem saying why Drizzle's JSON.parse or lookup would fail. */
function readJournal(journal: TreeEntry, problems: LayoutProblem[]): JournalEntry[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(journal.file.content);
  } catch (error) {
    problems.push(journalProblem(journal, 1, error instanceof Error ? error.message : String(error)));
    return null;
  }
  const entries = (parsed as { entries?: unknown }).entries;
  if (!Array.isArray(entries)) {
    problems.push(journalProblem(journal, 1, 'no "entries" list'));
    return null;
  }
  return entries.flatMap((e: { when?: unknown; tag?: unknown }) => {
    if (typeof e?.tag === 'string' && typeof e.when === 'number') return [{ when: e.when, tag: e.tag }];
    problems.push(journalProblem(journal, 1, `an entry without a "tag" or numeric "when": ${JSON.stringify(e)}`));
    return [];
  });
}

/** 1-based line of the journal that names `tag` (where a problem about it belongs). */
function lineOfTag(journal: TreeEntry, tag: string): number {
  return splitLines(journal.file.content).find((l) => l.text.includes(`"${tag}"`))?.number ?? 1;
}

function readDrizzle(tree: FileTree): LayoutResult {
  const problems: LayoutProblem[] = [];
  const journal = listEntries(tree).find((e) => e.rel === JOURNAL);
  if (!journal) return { migrations: [], problems };
  const files = new Map(listTopLevel(tree).map((e) => [e.name, e]));
  const entries = readJournal(journal, problems);
  // A journal that does not parse says nothing of which files are listed.
  if (!entries) return { migrations: [], problems };
  const listed = new Set<string>();
  const migrations: Migration[] = [];
  // Journal order is the order the migrator runs them in.
  for (const { when, tag } of entries) {
    const file = files.get(`${tag}.sql`);
    listed.add(`${tag}.sql`);
    if (!file) {
      problems.push(journalProblem(journal, lineOfTag(journal, tag), `entry "${tag}" has no ${tag}.sql beside it`));
      continue;
    }
    const forward = { path: file.file.path, sql: file.file.content, startLine: 1, transaction: 'transaction' as const };
    migrations.push({ version: String(when), name: tag, forward, reverse: null });
  }
  for (const [name, entry] of files) {
    if (name.endsWith('.sql') && !listed.has(name)) {
      problems.push({
        kind: 'unparsable',
        path: entry.file.path,
        line: 1,
        detail: `Drizzle never runs this file: ${JOURNAL} does not list "${name.slice(0, -4)}"`,
      });
    }
  }
  const byVersion = [...migrations].sort((a, b) => compareDrizzleVersions(a.version, b.version));
  problems.push(...findDuplicateVersions(byVersion, compareDrizzleVersions));
  return { migrations, problems: sortProblems(problems, compareDrizzleVersions) };
}

export const drizzle: Layout = {
  id: 'drizzle',
  supportsReverse: false,
  outOfOrder: { kind: 'skips', tool: 'Drizzle', why: 'runs only migrations whose `when` is newer than the last one applied' },
  detect: (tree) => listEntries(tree).some((e) => e.rel === JOURNAL),
  read: readDrizzle,
};
