import type { Migration, MigrationScript } from '../layouts/layout.js';
import type { Finding } from '../report/report.js';
import { finding } from '../report/findings.js';
import { parseScript, type ParsedStatement } from './parse.js';

/** A migration with both directions parsed; null where the script does not parse. */
export interface ParsedMigration {
  readonly migration: Migration;
  readonly forward: ParsedStatement[] | null;
  readonly reverse: ParsedStatement[] | null;
}

/** Parses every script once for the rules and the drill; syntax errors become findings at their line. */
export async function parseMigrations(migrations: readonly Migration[]): Promise<{ parsed: ParsedMigration[]; findings: Finding[] }> {
  const findings: Finding[] = [];
  const parsed: ParsedMigration[] = [];
  for (const migration of migrations) {
    const forward = await parseOrReport(migration.forward, 'forward-error', findings);
    const reverse = migration.reverse ? await parseOrReport(migration.reverse, 'reverse-error', findings) : null;
    parsed.push({ migration, forward, reverse });
  }
  return { parsed, findings };
}

async function parseOrReport(script: MigrationScript, hazard: 'forward-error' | 'reverse-error', findings: Finding[]): Promise<ParsedStatement[] | null> {
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
