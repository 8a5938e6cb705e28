import { scriptByteProblem } from '../change-set/file-bytes.js';
import type { Migration, MigrationScript, SourceFile } from '../layouts/layout.js';
import type { Finding } from '../report/report.js';
import { finding } from '../report/findings.js';
import { parseScript, type ParsedStatement } from './parse.js';

/** A migration with both directions parsed; null where the script does not parse. */
export interface ParsedMigration {
  readonly migration: Migration;
  readonly forward: ParsedStatement[] | null;
  readonly reverse: ParsedStatement[] | null;
  /** The verify script's statements, when the migration has one (null when it does not parse). */
  readonly verify?: ParsedStatement[] | null;
}

/**
 * Parses every script once for the rules and the drill; syntax errors become findings at their line,
 * and so do bytes PostgreSQL refuses (`files`: the change's files, whose `problem` says so).
 */
export async function parseMigrations(
  migrations: readonly Migration[],
  files: readonly SourceFile[] = [],
): Promise<{ parsed: ParsedMigration[]; findings: Finding[] }> {
  const findings: Finding[] = [];
  const parsed: ParsedMigration[] = [];
  const byPath = new Map(files.map((f) => [f.path, f]));
  for (const migration of migrations) {
    const forward = await parseOrReport(migration.forward, 'forward-error', findings, byPath);
    const reverse = migration.reverse ? await parseOrReport(migration.reverse, 'reverse-error', findings, byPath) : null;
    const verify = migration.verify ? await parseOrReport(migration.verify, 'forward-error', findings, byPath) : null;
    parsed.push({ migration, forward, reverse, ...(migration.verify ? { verify } : {}) });
  }
  return { parsed, findings };
}

async function parseOrReport(
  script: MigrationScript,
  hazard: 'forward-error' | 'reverse-error',
  findings: Finding[],
  files: ReadonlyMap<string, SourceFile>,
): Promise<ParsedStatement[] | null> {
  // Checked before parsing: the text was decoded with replacement characters and must not run.
  const refused = scriptByteProblem(script, files.get(script.path));
  if (refused) {
    findings.push(finding({ hazard, source: 'drill', path: script.path, ...refused }));
    return null;
  }
  const result = await parseScript(script);
  if (result.ok) return result.statements;
  findings.push(
    finding({
      hazard,
      source: 'drill',
      path: script.path,
      line: result.error.line,
      message: `PostgreSQL cannot parse this: ${result.error.message}.`,
      fix: 'Fix the SQL syntax; the migration fails before it changes anything.',
    }),
  );
  return null;
}
