import { ConfigError, NoMigrationsError } from '../errors.js';
import type { DrillbotConfig } from '../config.js';
import type { SourceFile } from '../layouts/layout.js';
import type { ChangeSet } from './change-set.js';
import { oversizedFile, readSourceFile } from './file-bytes.js';
import { candidateDirectories, locateMigrations, readsAsMigration } from './locate.js';
import { undrilledSqlFiles } from './undrilled.js';

/** A file of a commit's tree. */
export interface TreeEntry {
  readonly path: string;
  /** The blob's id: two sides with the same ids under the migrations directory did not change it. */
  readonly id: string;
  /** Bytes, when the tree listing says (a larger file than migrations.maxFileSize is never read). */
  readonly size?: number;
}

/** The only thing the front doors differ in: how they list a commit's files and read their bytes (git or the GitHub API). */
export interface RepositoryReader {
  /** Every file (blob) of the commit's tree, recursively. */
  listTree(commit: string): Promise<TreeEntry[]>;
  /** The bytes of each entry, in the order given. */
  readBlobs(entries: readonly TreeEntry[]): Promise<Uint8Array[]>;
}

/**
 * The reader with each commit's tree listed once: a review lists the head's tree for the change set
 * and again for the code-reference scan, and a listing is a git process or API calls.
 */
export function listingTreesOnce(reader: RepositoryReader): RepositoryReader {
  const trees = new Map<string, Promise<TreeEntry[]>>();
  return {
    listTree: (commit) => trees.get(commit) ?? trees.set(commit, reader.listTree(commit)).get(commit)!,
    readBlobs: (entries) => reader.readBlobs(entries),
  };
}

export interface ChangeSetRequest {
  /** The merge-base: the history production has run. */
  readonly baseCommit: string;
  readonly headCommit: string;
  /** The paths the change added or modified anywhere in the repository. */
  readonly changedPaths: readonly string[];
  /** Also the old names of renamed and the deleted files; defaults to changedPaths. */
  readonly touchedPaths?: readonly string[];
  /** False when the list of changed files may be cut short (GitHub lists at most 3000). */
  readonly changedListComplete: boolean;
  /**
   * When no directory that could hold migrations was touched, answer `unchanged` without reading a
   * blob (the App, where each blob is an API call). The CLI reads them, so that a repository
   * without migrations is still told so.
   */
  readonly skipUntouched: boolean;
  readonly migrations: Pick<DrillbotConfig['migrations'], 'path' | 'layout' | 'maxFileSize' | 'changelog'>;
}

/** What a change holds for the engine; only `change` needs a drill. */
export type ChangeSetResult =
  /** No directory a layout recognises, and no SQL that looks like a migration changed. */
  | { readonly kind: 'no-migrations' }
  /** Nothing under the migrations directory changed, nor SQL elsewhere that looks like a migration. */
  | { readonly kind: 'unchanged'; readonly root: string | null }
  /** SQL that looks like migrations changed outside any directory a layout recognises: never a pass. */
  | { readonly kind: 'undrilled'; readonly root: string | null; readonly paths: string[] }
  | { readonly kind: 'change'; readonly root: string; readonly changeSet: ChangeSet };

/**
 * Builds the change set of `headCommit` against `baseCommit`: finds the migrations directory
 * (configured, else detected at the head), and reads both sides of it. Nothing under it changed
 * (same blob ids on both sides) answers without reading a file.
 */
export async function loadChangeSet(reader: RepositoryReader, request: ChangeSetRequest): Promise<ChangeSetResult> {
  const [headTree, baseTree] = await Promise.all([reader.listTree(request.headCommit), reader.listTree(request.baseCommit)]);
  const root = await migrationsRoot(reader, request, headTree);
  if (root === 'unchanged') return { kind: 'unchanged', root: null };
  if (root === null) return nothingDrilled(request, null);
  const headFiles = headTree.filter((e) => isUnder(e.path, root));
  const baseFiles = baseTree.filter((e) => isUnder(e.path, root));
  // A configured directory that does not exist is a mistake to report, not a change to wave through.
  if (headFiles.length === 0 && baseFiles.length === 0) throw new ConfigError(`migrations.path "${root}" has no files at the head commit`);
  const baseIds = new Map(baseFiles.map((e) => [e.path, e.id]));
  if (headFiles.length === baseFiles.length && headFiles.every((e) => baseIds.get(e.path) === e.id)) return nothingDrilled(request, root);
  return { kind: 'change', root, changeSet: await readChangeSet(reader, request, root, headTree, baseTree) };
}

/** Both sides of the migrations directory, with contents (what `change` carries, also when nothing changed). */
export async function readChangeSet(
  reader: RepositoryReader,
  request: ChangeSetRequest,
  root: string,
  headTree?: readonly TreeEntry[],
  baseTree?: readonly TreeEntry[],
): Promise<ChangeSet> {
  const [head, base] = await Promise.all([
    (headTree ? Promise.resolve(headTree) : reader.listTree(request.headCommit)).then((t) => readFiles(reader, under(t, root), request.migrations.maxFileSize)),
    (baseTree ? Promise.resolve(baseTree) : reader.listTree(request.baseCommit)).then((t) => readFiles(reader, under(t, root), request.migrations.maxFileSize)),
  ]);
  return { base: { root, files: base }, head: { root, files: head }, changedPaths: request.changedPaths };
}

/**
 * The migrations directory: the configured one, else the one a layout reads the most migrations
 * from at the head; null when there is none, 'unchanged' when no candidate directory was touched
 * (then no blob needs reading).
 */
async function migrationsRoot(reader: RepositoryReader, request: ChangeSetRequest, headTree: readonly TreeEntry[]): Promise<string | null | 'unchanged'> {
  if (request.migrations.path !== undefined) return trimSlashes(request.migrations.path);
  // The Liquibase master changelog named: the migrations directory is the one that holds it.
  const { changelog } = request.migrations;
  if (changelog !== undefined) return trimSlashes(changelog).replace(/\/?[^/]*$/, '');
  const candidates = candidateDirectories(headTree.map((e) => e.path));
  const touched = request.touchedPaths ?? request.changedPaths;
  if (request.skipUntouched && request.changedListComplete && !touched.some((p) => candidates.some((d) => isUnder(p, d)))) return 'unchanged';
  const files = await readFiles(
    reader,
    headTree.filter((e) => candidates.some((d) => isUnder(e.path, d)) && readsAsMigration(e.path)),
    request.migrations.maxFileSize,
  );
  try {
    return locateMigrations(files, request.migrations.layout).root;
  } catch (error) {
    if (error instanceof NoMigrationsError) return null;
    throw error;
  }
}

/** Before saying "nothing changed": SQL that looks like migrations but is not under the migrations directory. */
function nothingDrilled(request: ChangeSetRequest, root: string | null): ChangeSetResult {
  const paths = undrilledSqlFiles(request.changedPaths, root, new Set());
  if (paths.length > 0) return { kind: 'undrilled', root, paths };
  return root === null ? { kind: 'no-migrations' } : { kind: 'unchanged', root };
}

/** Reads the entries within `maxSize`; larger ones come back as oversizedFile, which fails the review instead of vanishing. */
async function readFiles(reader: RepositoryReader, entries: readonly TreeEntry[], maxSize: number): Promise<SourceFile[]> {
  const small = entries.filter((e) => e.size === undefined || e.size <= maxSize);
  const bytes = small.length > 0 ? await reader.readBlobs(small) : [];
  const read = new Map(small.map((e, i) => [e.path, readSourceFile(e.path, bytes[i])]));
  return entries.map((e) => read.get(e.path) ?? oversizedFile(e.path, e.size ?? 0, maxSize));
}

const under = (tree: readonly TreeEntry[], root: string) => tree.filter((e) => isUnder(e.path, root));
const isUnder = (path: string, dir: string) => dir === '' || path.startsWith(`${dir}/`);

/** `./db/migrations/` and `db/migrations` name the same directory. */
export function trimSlashes(path: string): string {
  return path.replace(/^\.?\/+/, '').replace(/\/+$/, '');
}
