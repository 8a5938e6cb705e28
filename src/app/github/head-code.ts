import { readHeadCode, type ChangeSet, type RepositoryReader } from '../../core/index.js';

/** The App reads code through the API, a request per blob: tighter limits than the CLI's. */
export const APP_CODE_LIMITS = { files: 500, fileBytes: 256 * 1024, totalBytes: 8 * 1024 * 1024 } as const;

/** A change's migrations that drop or rename something: only then is the head's code worth reading. */
const REMOVES = /\b(drop|rename)\b/i;

/**
 * The change set with the head's code files for the code-reference scan, read only when a
 * changed migration drops or renames something (most changes do not, and each blob costs a request).
 */
export async function withHeadCode(reader: RepositoryReader, headSha: string, changeSet: ChangeSet): Promise<ChangeSet> {
  const changed = new Set(changeSet.changedPaths ?? changeSet.head.files.map((f) => f.path));
  if (!changeSet.head.files.some((f) => changed.has(f.path) && REMOVES.test(f.content))) return changeSet;
  const code = await readHeadCode(reader, headSha, APP_CODE_LIMITS);
  return { ...changeSet, code };
}
