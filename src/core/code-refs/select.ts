/** What the scan reads: SQL, Prisma schemas, and source files of the languages whose ORMs and SQL strings it knows. */
const CODE_FILE = /\.(sql|prisma|ts|tsx|js|mjs|cjs|py|rb|go|java|kt)$/;
/** Dependencies, build output and generated code are not the application's own. */
const SKIPPED_DIR = /(^|\/)(node_modules|vendor|dist|build|\.git|__pycache__|\.venv|venv|target|coverage)\//;

/** Limits that keep the scan of a large repository bounded; past them the finding says the scan was capped. */
export const CODE_SCAN_LIMITS = { files: 3000, fileBytes: 512 * 1024, totalBytes: 32 * 1024 * 1024 } as const;

/**
 * The code files to read, smallest first within the limits, and what was left out and why. The
 * CLI and the App list the head's tree with sizes and read only these.
 */
export function selectCodeFiles(
  entries: readonly { path: string; size: number }[],
  limits: { files: number; fileBytes: number; totalBytes: number } = CODE_SCAN_LIMITS,
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
