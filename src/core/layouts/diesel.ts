import type { FileTree, Layout, LayoutProblem, LayoutResult, Migration, MigrationScript, TransactionMode } from './layout.js';
import { groupBy } from '../collections.js';
import { compareBytes, findDuplicateVersions, listEntries, sortMigrations, sortProblems, usableReverse, type TreeEntry } from './util.js';

/**
 * Diesel's MigrationVersion is a string and derives Ord, so versions compare byte-wise
 * (`00000000000000` < `20190226002946` < `202601281154140000`).
 */
export const compareDieselVersions = compareBytes;

/** Diesel's version_from_string: the directory name up to the first `_`, dashes removed. */
export function dieselVersion(directory: string): string {
  return directory.split('_')[0]!.replaceAll('-', '');
}

/**
 * The metadata.toml rule, with Diesel's quirk: `run_in_transaction` has `#[serde(default)]`, so a
 * metadata.toml that parses but lacks the key turns the transaction OFF; a file that fails to
 * parse is ignored (unwrap_or_default), which keeps it on. Without a transaction Diesel sends the
 * file with batch_execute, one query string that PostgreSQL runs as one implicit transaction.
 */
function transactionOf(metadata: string | undefined): TransactionMode {
  if (metadata === undefined) return 'transaction';
  const m = /^\s*run_in_transaction\s*=\s*(true|false)\s*(#.*)?$/m.exec(metadata);
  if (m) return m[1] === 'true' ? 'transaction' : 'single-query';
  return looksLikeToml(metadata) ? 'single-query' : 'transaction';
}

/** A rough TOML check: every non-blank, non-comment line is a table header or a key = value. */
function looksLikeToml(text: string): boolean {
  return text
    .split('\n')
    .map((l) => l.trim())
    .every((l) => l === '' || l.startsWith('#') || /^\[.+\]$/.test(l) || /^[\w."'-]+\s*=/.test(l));
}

function script(entry: TreeEntry, transaction: TransactionMode): MigrationScript {
  return { path: entry.file.path, sql: entry.file.content, startLine: 1, transaction };
}

function readDirectory(directory: string, files: TreeEntry[], problems: LayoutProblem[]): Migration | null {
  const find = (name: string): TreeEntry | undefined => files.find((f) => f.name === name);
  const up = find('up.sql');
  if (!up) {
    // Diesel's FileBasedMigrations::from_path rejects the whole directory (UnknownMigrationFormat).
    problems.push({ kind: 'unparsable', path: files[0]!.file.path, line: 1, detail: `Diesel migration directory ${directory} has no up.sql` });
    return null;
  }
  const version = dieselVersion(directory);
  const transaction = transactionOf(find('metadata.toml')?.file.content);
  const down = find('down.sql');
  const found = down ? { script: script(down, transaction), label: `${directory}/down.sql` } : null;
  const reverse = usableReverse(found, { version, path: up.file.path, line: 1 }, `no ${directory}/down.sql`, problems);
  return { version, name: directory, forward: script(up, transaction), reverse };
}

/** Files of migration directories: one level below the root, hidden names skipped as Diesel does. */
function migrationFiles(tree: FileTree): TreeEntry[] {
  return listEntries(tree).filter((e) => e.dir !== '' && !e.dir.includes('/') && !e.dir.startsWith('.') && !e.name.startsWith('.'));
}

function readDiesel(tree: FileTree): LayoutResult {
  const migrations: Migration[] = [];
  const problems: LayoutProblem[] = [];
  for (const [directory, files] of groupBy(migrationFiles(tree), (e) => e.dir)) {
    const migration = readDirectory(directory, files, problems);
    if (migration) migrations.push(migration);
  }
  sortMigrations(migrations, compareDieselVersions);
  problems.push(...findDuplicateVersions(migrations, compareDieselVersions));
  return { migrations, problems: sortProblems(problems, compareDieselVersions) };
}

/** Diesel: one directory per migration, `<version>_<name>/up.sql` and `down.sql`. */
export const diesel: Layout = {
  id: 'diesel',
  supportsReverse: true,
  // __diesel_schema_migrations records every version; run_pending_migrations runs all the others.
  outOfOrder: { kind: 'applies', tool: 'Diesel' },
  detect: (tree) => migrationFiles(tree).some((e) => e.name === 'up.sql'),
  read: readDiesel,
};
