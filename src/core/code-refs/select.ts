import type { RepositoryReader } from '../change-set/load.js';
import { readSourceFile } from '../change-set/file-bytes.js';
import type { HeadCode } from './scan.js';

/** What the scan reads: SQL, Prisma schemas, and source files of the languages whose ORMs and SQL strings it knows. */
const CODE_FILE = /\.(sql|prisma|ts|tsx|js|mjs|cjs|py|rb|go|java|kt)$/;
/** Dependencies, build output and generated code are not the application's own. */
const SKIPPED_DIR = /(^|\/)(node_modules|vendor|dist|build|\.git|__pycache__|\.venv|venv|target|coverage)\//;

/** Limits that keep the scan of a large repository bounded; past them the finding says the scan was capped. */
export const CODE_SCAN_LIMITS = { files: 3000, fileBytes: 512 * 1024, totalBytes: 32 * 1024 * 1024 } as const;

export interface CodeScanLimits {
  readonly files: number;
  readonly fileBytes: number;
  readonly totalBytes: number;
}

/**
 * The code files to read, smallest first within the limits, and what was left out and why. The
 * CLI and the App list the head's tree with sizes and read only these.
 */
export function selectCodeFiles(
  entries: readonly { path: string; size: number }[],
  limits: CodeScanLimits = CODE_SCAN_LIMITS,
): { paths: string[]; capped?: string } {
  const code = entries.filter((e) => CODE_FILE.test(e.path) && !SKIPPED_DIR.test(e.path) && !/\.d\.ts$|\.min\.js$/.test(e.path));
  const small = code.filter((e) => e.size <= limits.fileBytes);
  const paths: string[] = [];
  let total = 0;
  for (const e of [...small].sort((a, b) => a.size - b.size)) {
    if (paths.length >= limits.files || total + e.size > limits.totalBytes) break;
    paths.push(e.path);
    total += e.size;
  }
  const left = code.length - paths.length;
  if (left === 0) return { paths: paths.sort() };
  const large = code.length - small.length;
  const capped = `the scan read ${paths.length} of ${code.length} code files (limits: ${limits.files} files, ${limits.fileBytes} bytes each, ${limits.totalBytes} bytes in all${large > 0 ? `; ${large} larger than the per-file limit` : ''}), so references in the others were not looked for`;
  return { paths: paths.sort(), capped };
}

/**
 * The head's code files for the scan, through the same reader the change set was loaded with (git
 * for the CLI, the REST API for the App): the tree's sizes choose the files, and only those are read.
 */
export async function readHeadCode(reader: RepositoryReader, commit: string, limits: CodeScanLimits = CODE_SCAN_LIMITS): Promise<HeadCode> {
  const tree = await reader.listTree(commit);
  const { paths, capped } = selectCodeFiles(
    tree.map((e) => ({ path: e.path, size: e.size ?? 0 })),
    limits,
  );
  const byPath = new Map(tree.map((e) => [e.path, e]));
  const entries = paths.map((path) => byPath.get(path)!);
  const blobs = await reader.readBlobs(entries);
  return { files: entries.map((e, i) => readSourceFile(e.path, blobs[i]!)), ...(capped ? { capped } : {}) };
}
