import { createHash } from 'node:crypto';
import type { FileTree, Layout, LayoutProblem, LayoutResult, Migration, TransactionMode } from './layout.js';
import { compareBytes, findDuplicateVersions, listTopLevel, sortProblems, splitLines, type TreeEntry } from './util.js';

const SUM = 'atlas.sum';
// dir.go reDirective, matched against the start of the file only: `atlas:sum ignore` leaves it out of the sum.
const SUM_IGNORE = /^[ -~]*atlas:sum +ignore/;
const TXMODE = /^--\s*atlas:txmode(?: +(\S+))?/;

/**
 * Atlas versioned migrations (https://github.com/ariga/atlas, sql/migrate/dir.go and
 * cmd/atlas/internal/cmdapi/migrate.go):
 * - every `*.sql` directly in the directory, sorted by name; the version is the name up to the
 *   first `_`, recorded in `atlas_schema_revisions` and compared as a string;
 * - `atlas.sum` guards the directory: NewHashFile feeds one SHA-256 with each file's name and
 *   bytes in order and records the running digest after each file (base64), the first line
 *   `h1:` of the digest over every name and hash; `migrate apply` refuses a directory whose
 *   files do not match it ("checksum mismatch"), so Drillbot recomputes it the same way;
 * - `--tx-mode file` (the default) runs each file in a transaction; a header directive
 *   `-- atlas:txmode none` runs its statements one by one, each committing on its own;
 * - no down files: Atlas is forward-only here (`migrate down` computes its own plan);
 * - the default linear execution order refuses a pending file older than the last applied one
 *   ("migration … added out of order") unless `--exec-order non-linear`.
 */
export const compareAtlasVersions = compareBytes;

const versionOf = (name: string): string => name.replace(/\.sql$/, '').split('_')[0]!;

/** The comment lines that open the file, where Atlas reads its directives. */
function header(content: string): string[] {
  const lines = splitLines(content).map((l) => l.text);
  const end = lines.findIndex((l) => !l.startsWith('--'));
  return end < 0 ? lines : lines.slice(0, end);
}

function transactionOf(entry: TreeEntry, problems: LayoutProblem[]): TransactionMode {
  const modes = header(entry.file.content).flatMap((l) => {
    const m = TXMODE.exec(l);
    return m ? [m[1] ?? ''] : [];
  });
  if (modes.length > 1) problems.push(unparsable(entry, `multiple txmode values (${modes.join(', ')})`));
  const mode = modes[0];
  if (mode === undefined || mode === 'file') return 'transaction';
  if (mode === 'none') return 'none';
  problems.push(unparsable(entry, `txmode "${mode}" is not allowed in a file directive (none or file)`));
  return 'transaction';
}

function unparsable(entry: TreeEntry, detail: string, line = 1): LayoutProblem {
  return { kind: 'unparsable', path: entry.file.path, line, detail: `Atlas refuses this file: ${detail}` };
}

type SumEntry = readonly [name: string, hash: string];

/** NewHashFile: the running digest after each file's name and bytes (base64), in name order. */
function hashEntries(files: ReadonlyArray<{ name: string; content: string }>): SumEntry[] {
  const running = createHash('sha256');
  const entries: SumEntry[] = [];
  for (const f of files) {
    running.update(f.name);
    if (SUM_IGNORE.test(f.content)) continue;
    running.update(f.content);
    entries.push([f.name, running.copy().digest('base64')]);
  }
  return entries;
}

/** HashFile.Sum: the digest of every entry's name and hash. */
function total(entries: readonly SumEntry[]): string {
  const sha = createHash('sha256');
  for (const [name, hash] of entries) sha.update(name).update(hash);
  return sha.digest('base64');
}

/** atlas.sum as `atlas migrate hash` writes it for these files (name order). */
export function atlasSum(files: ReadonlyArray<{ name: string; content: string }>): string {
  const entries = hashEntries(files);
  return [`h1:${total(entries)}`, ...entries.map(([name, hash]) => `${name} h1:${hash}`)].join('\n') + '\n';
}

/**
 * Atlas's two checks, in its order: the recorded total must be the sum of the recorded entries
 * (UnmarshalText, else the file was edited by hand), and each entry must match its file
 * (Validate). A problem names the first atlas.sum line that fails.
 */
function verifySum(sum: TreeEntry, files: readonly TreeEntry[]): LayoutProblem[] {
  const [first = '', ...rest] = splitLines(sum.file.content).map((l) => l.text.trim());
  const recorded = rest
    .filter((l) => l !== '')
    .map((l): SumEntry => {
      const [name = '', hash = ''] = l.split('h1:');
      return [name.trim(), hash];
    });
  const mismatch = (line: number, why: string): LayoutProblem[] => [
    {
      kind: 'unparsable',
      path: sum.file.path,
      line,
      detail: `${SUM} ${why}: Atlas refuses to apply the directory ("checksum mismatch"); run \`atlas migrate hash\` after editing migrations`,
    },
  ];
  if (first.replace(/^h1:/, '') !== total(recorded)) return mismatch(1, 'was edited by hand (its total is not the sum of its entries)');
  const expected = hashEntries(files.map((f) => ({ name: f.name, content: f.file.content })));
  const length = Math.max(expected.length, recorded.length);
  let i = 0;
  while (i < length && expected[i]?.join() === recorded[i]?.join()) i++;
  if (i === length) return [];
  const name = expected[i]?.[0] ?? recorded[i]![0];
  return mismatch(Math.min(i, recorded.length) + 2, `does not match ${name} (added, edited or removed since \`atlas migrate hash\`)`);
}

function readAtlas(tree: FileTree): LayoutResult {
  const problems: LayoutProblem[] = [];
  const top = listTopLevel(tree);
  const files = top.filter((e) => e.name.endsWith('.sql')).sort((a, b) => compareBytes(a.name, b.name));
  const migrations: Migration[] = files.map((entry) => ({
    version: versionOf(entry.name),
    name: entry.name.replace(/\.sql$/, ''),
    forward: { path: entry.file.path, sql: entry.file.content, startLine: 1, transaction: transactionOf(entry, problems) },
    reverse: null,
  }));
  const sum = top.find((e) => e.name === SUM);
  if (sum) problems.push(...verifySum(sum, files));
  problems.push(...findDuplicateVersions(migrations, compareAtlasVersions));
  return { migrations, problems: sortProblems(problems, compareAtlasVersions) };
}

export const atlas: Layout = {
  id: 'atlas',
  supportsReverse: false,
  outOfOrder: { kind: 'refuses', tool: 'Atlas', allowedBy: '--exec-order non-linear' },
  detect: (tree) => listTopLevel(tree).some((e) => e.name === SUM),
  read: readAtlas,
};
