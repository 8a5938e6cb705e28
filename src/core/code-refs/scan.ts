import type { SourceFile } from '../layouts/layout.js';
import { finding } from '../report/findings.js';
import type { Finding } from '../report/report.js';
import { sameRelation } from '../sql/nodes.js';
import type { ParsedMigration } from '../sql/parse-migrations.js';
import { removedLabel, removedNames, type RemovedName } from '../sql/removed-names.js';
import { modelsOf } from './models.js';
import { sqlReferences } from './sql.js';

/** The head's code files the scan read, and what it left out when the repository was too large. */
export interface HeadCode {
  readonly files: readonly SourceFile[];
  /** Set when files were left out (count or size limits): the scan may miss references. */
  readonly capped?: string;
}

/** A place in the head's code that still names a removed table or column. */
export interface CodeReference {
  readonly path: string;
  readonly line: number;
  readonly how: string;
}

/** References listed per finding; the rest are counted. */
const LISTED = 10;

/**
 * `breaking-change` findings for tables and columns the change drops or renames that the head's
 * code still names: SQL (query files outside the migrations, SQL strings in code) through
 * PostgreSQL's parser, ORM models and schemas through their own syntax. The finding sits on the
 * migration statement (where an acknowledgement goes) and names each code file and line.
 */
export async function codeReferenceFindings(parsed: readonly ParsedMigration[], code: HeadCode, migrationsRoot: string): Promise<Finding[]> {
  const changeStatements = parsed.flatMap((p) => p.forward ?? []);
  const files = code.files.filter((f) => !f.problem && !(migrationsRoot && f.path.startsWith(`${migrationsRoot}/`)));
  const out: Finding[] = [];
  for (const p of parsed) {
    for (const removed of (p.forward ?? []).flatMap((s) => removedNames(changeStatements, s))) {
      const refs = (await Promise.all(files.map((f) => referencesIn(f, removed)))).flat();
      if (refs.length > 0) out.push(referenceFinding(p.migration.forward.path, removed, refs, code.capped));
      else if (code.capped) out.push(cappedNotice(p.migration.forward.path, removed, code.capped));
    }
  }
  return out;
}

/** No reference found, but not every file was read: "none" would claim more than the scan saw. */
function cappedNotice(path: string, removed: RemovedName, capped: string): Finding {
  return finding({
    hazard: 'breaking-change',
    severity: 'notice',
    source: 'change-set',
    rule: 'code-reference',
    path,
    line: removed.statement.line,
    table: removed.table,
    message: `No code read names ${removedLabel(removed)}, but ${capped}.`,
  });
}

function referenceFinding(path: string, removed: RemovedName, refs: CodeReference[], capped: string | undefined): Finding {
  const label = removedLabel(removed);
  const change = removed.action === 'drop' ? `drops ${label}` : `renames ${label} to ${removed.newName}`;
  const listed = refs.slice(0, LISTED).map((r) => `${r.path}:${r.line} (${r.how})`);
  const more = refs.length > LISTED ? `, and ${refs.length - LISTED} more` : '';
  return finding({
    hazard: 'breaking-change',
    source: 'change-set',
    rule: 'code-reference',
    path,
    line: removed.statement.line,
    endLine: removed.statement.endLine,
    table: removed.table,
    message: `This ${change}, which the head's code still names: ${listed.join(', ')}${more}. That code fails once the migration has run.`,
    fix: `Change that code to stop using ${label} and deploy it first; drop or rename ${label} in a later migration (expand/contract).`,
    evidence: `found in the head's files${capped ? `; ${capped}` : ''}`,
  });
}

/** Every place in one file that names `removed`. */
async function referencesIn(file: SourceFile, removed: RemovedName): Promise<CodeReference[]> {
  if (file.path.endsWith('.sql')) {
    const offsets = await sqlReferences(file.content, removed);
    return offsets.map((o) => ({ path: file.path, line: lineAt(file.content, o), how: 'SQL' }));
  }
  return [...modelReferences(file, removed), ...(await sqlStringReferences(file, removed))];
}

function modelReferences(file: SourceFile, removed: RemovedName): CodeReference[] {
  return modelsOf(file.path, file.content)
    .filter((m) => sameRelation(m.table, removed.table))
    .flatMap((m) => {
      if (!removed.column) return [{ path: file.path, line: lineAt(file.content, m.offset), how: 'model' }];
      return m.fields.filter((f) => f.column === removed.column).map((f) => ({ path: file.path, line: lineAt(file.content, f.offset), how: 'model field' }));
    });
}

/** String literals that read as SQL (they start with a DML keyword) and that PostgreSQL's parser accepts once placeholders are made parameters. */
const SQL_STRING = /(`|'''|"""|'|")\s*((?:SELECT|INSERT|UPDATE|DELETE|WITH)\b[\s\S]*?)\1/gi;

async function sqlStringReferences(file: SourceFile, removed: RemovedName): Promise<CodeReference[]> {
  const refs: CodeReference[] = [];
  for (const m of file.content.matchAll(SQL_STRING)) {
    const text = m[2]!;
    const start = m.index + m[0].indexOf(text);
    const sql = asParameters(text);
    for (const offset of await sqlReferences(sql, removed)) {
      refs.push({ path: file.path, line: lineAt(file.content, start) + (sql.slice(0, offset).match(/\n/g)?.length ?? 0), how: 'SQL string' });
    }
  }
  return refs;
}

/** Driver placeholders (`?`, `%s`, `%(name)s`, `:name`, `${…}`) as PostgreSQL parameters, so the parser accepts the query; newlines are kept for line numbers. */
function asParameters(text: string): string {
  return text
    .replace(/\$\{[^}\n]*\}/g, '$1')
    .replace(/%\(\w+\)s|%s/g, '$1')
    .replace(/(?<![:\w])\?/g, '$1')
    .replace(/(?<!:):(?!:)\w+/g, '$1');
}

function lineAt(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}
