import type { FileTree, Layout, LayoutProblem, LayoutResult, Migration, MigrationScript } from './layout.js';
import { groupBy } from '../collections.js';
import { compareBytes, listTopLevel, sortProblems, usableReverse, type TreeEntry } from './util.js';

// maragudk/migrate's own matchers (migrate.go), copied with their unescaped dots: `.` matches any
// character, so `0021_foo_up.sql` is an up file with version `0021_foo`. Harness has eight such
// files and its schema depends on them. The down matcher has no `$`.
const UP = /^([\w-]+).up.sql$/;
const DOWN = /^([\w-]+).down.sql/;

/** maragudk/migrate compares versions as Go strings, byte by byte. */
export const comparePlainVersions = compareBytes;

interface Named {
  readonly entry: TreeEntry;
  readonly version: string;
}

/** Up files in the tool's order: fs.ReadDir sorts by file name. */
function listUps(tree: FileTree): Named[] {
  return listTopLevel(tree)
    .flatMap((entry) => {
      const m = UP.exec(entry.name);
      return m ? [{ entry, version: m[1]! }] : [];
    })
    .sort((a, b) => compareBytes(a.entry.name, b.entry.name));
}

function listDowns(tree: FileTree): Named[] {
  return listTopLevel(tree)
    .flatMap((entry) => {
      const m = DOWN.exec(entry.name);
      // The tool takes the version with ReplaceAllString(name, "$1"): whatever follows the
      // unanchored match stays in it (`x.down.sql.bak` has version `x.bak`).
      return m ? [{ entry, version: m[1]! + entry.name.slice(m[0].length) }] : [];
    })
    .sort((a, b) => compareBytes(a.entry.name, b.entry.name));
}

function script(entry: TreeEntry): MigrationScript {
  // apply() runs the file with one ExecContext inside its own BEGIN/COMMIT.
  return { path: entry.file.path, sql: entry.file.content, startLine: 1, transaction: 'transaction' };
}

function readPlain(tree: FileTree): LayoutResult {
  const migrations: Migration[] = [];
  const problems: LayoutProblem[] = [];
  const downsByVersion = groupBy(listDowns(tree), (d) => d.version);
  const applied = new Map<string, Named>();
  const ups = listUps(tree);
  const upVersions = new Set(ups.map((u) => u.version));
  let current = '';
  for (const up of ups) {
    // MigrateUp skips every file whose version is <= the version recorded last, so on a fresh
    // database a file that sorts after a larger version never runs.
    if (compareBytes(up.version, current) <= 0) {
      problems.push(skipped(up, applied.get(current)!));
      continue;
    }
    current = up.version;
    applied.set(up.version, up);
    migrations.push(toMigration(up, downsByVersion.get(up.version) ?? [], problems));
  }
  for (const [version, downs] of downsByVersion) {
    if (upVersions.has(version)) continue;
    for (const down of downs) problems.push({ kind: 'orphan-reverse', version, path: down.entry.file.path });
  }
  return { migrations, problems: sortProblems(problems, comparePlainVersions) };
}

function skipped(up: Named, last: Named): LayoutProblem {
  if (up.version === last.version) {
    return { kind: 'duplicate-version', version: up.version, paths: [last.entry.file.path, up.entry.file.path] };
  }
  return {
    kind: 'unparsable',
    path: up.entry.file.path,
    line: 1,
    detail: `maragudk/migrate never runs this file: its version "${up.version}" is not greater than "${last.version}" (${last.entry.name}), which sorts before it`,
  };
}

function toMigration(up: Named, downs: Named[], problems: LayoutProblem[]): Migration {
  const down = downs[0];
  if (downs.length > 1) {
    // Both would run on the way down, each recording the version step separately.
    problems.push({ kind: 'duplicate-version', version: up.version, paths: downs.map((d) => d.entry.file.path) });
  }
  const found = down ? { script: script(down.entry), label: down.entry.name } : null;
  const reverse = usableReverse(found, { version: up.version, path: up.entry.file.path, line: 1 }, `no down file for version ${up.version}`, problems);
  return { version: up.version, name: up.version, forward: script(up.entry), reverse };
}

/**
 * Plain `<name>.up.sql` / `<name>.down.sql` pairs as github.com/maragudk/migrate runs them
 * (harness): the whole stem is the version, files apply in name order, one transaction each.
 */
export const plain: Layout = {
  id: 'plain',
  supportsReverse: true,
  // maragudk/migrate keeps one row (the current version) and skips every file whose name sorts at or below it.
  outOfOrder: { kind: 'skips', tool: 'maragudk/migrate' },
  detect: (tree) => listTopLevel(tree).some((e) => UP.test(e.name) || DOWN.test(e.name)),
  read: readPlain,
};
