import { isUtf8 } from 'node:buffer';
import type { FileProblem, MigrationScript, SourceFile } from '../layouts/layout.js';
import { finding } from '../report/findings.js';
import type { Finding } from '../report/report.js';
import { formatBytes } from '../format.js';
import type { ChangeSet } from './change-set.js';
import { readsAsMigration } from './locate.js';

/**
 * Turns a file's bytes into a SourceFile, for both front doors (git and the GitHub API), so that
 * the drill never sees a silently repaired text: PostgreSQL (UTF8 server encoding) refuses invalid
 * UTF-8 with SQLSTATE 22021, and no query string can hold a NUL byte. The text is still decoded
 * (with replacement characters) so the layout can find sections and lines; `problem` says why it
 * must not run.
 */
export function readSourceFile(path: string, bytes: Uint8Array): SourceFile {
  const content = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(bytes);
  const problem = byteProblem(bytes);
  return problem ? { path, content, problem } : { path, content };
}

/** A file over migrations.maxFileSize: not read at all, and the review fails on it. */
export function oversizedFile(path: string, size: number, limit: number): SourceFile {
  return { path, content: '', problem: { kind: 'too-large', size, limit } };
}

/** A NUL byte is what no query string can hold; with bytes that are not UTF-8 beside it, the file is binary, not text. */
function byteProblem(bytes: Uint8Array): FileProblem | null {
  const nul = bytes.indexOf(0);
  const bad = invalidUtf8(bytes);
  if (nul >= 0) return { kind: 'nul-byte', line: lineAt(bytes, nul), binary: bad >= 0 };
  if (bad < 0) return null;
  const length = Math.min(pgMblen(bytes[bad]), bytes.length - bad);
  const named = [...bytes.subarray(bad, bad + length)].map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(' ');
  return { kind: 'invalid-utf8', line: lineAt(bytes, bad), bytes: named };
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence (Unicode table 3-7), or -1. */
function invalidUtf8(bytes: Uint8Array): number {
  // Node's native check accepts exactly the well-formed sequences: the byte loop below only runs to say where a file is not.
  if (isUtf8(bytes)) return -1;
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    const n = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
    const [lo, hi] = b === 0xe0 ? [0xa0, 0xbf] : b === 0xed ? [0x80, 0x9f] : b === 0xf0 ? [0x90, 0xbf] : b === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    if (n === 0 || i + n > bytes.length || bytes[i + 1] < lo || bytes[i + 1] > hi) return i;
    for (let k = 2; k < n; k++) if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return i;
    i += n;
  }
  return -1;
}

/** How many bytes PostgreSQL shows of an invalid sequence: the length its lead byte announces (pg_utf_mblen). */
function pgMblen(lead: number): number {
  if ((lead & 0xe0) === 0xc0) return 2;
  if ((lead & 0xf0) === 0xe0) return 3;
  if ((lead & 0xf8) === 0xf0) return 4;
  return 1;
}

function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/**
 * One infra finding per file the front door left unread because it is over migrations.maxFileSize,
 * on either side of the change: the review cannot see what it holds, so it fails closed.
 */
export function oversizedFindings(changeSet: ChangeSet): Finding[] {
  const seen = new Set<string>();
  return [...changeSet.head.files, ...changeSet.base.files].flatMap((file) => {
    const problem = file.problem;
    if (problem?.kind !== 'too-large' || !readsAsMigration(file.path) || seen.has(file.path)) return [];
    seen.add(file.path);
    return [
      finding({
        hazard: 'infra',
        source: 'change-set',
        path: file.path,
        line: 1,
        message: `This file is ${formatBytes(problem.size)}, over the limit of ${formatBytes(problem.limit)} (migrations.maxFileSize); Drillbot did not read it, so it cannot review this change.`,
        fix: 'Split the migration into smaller files, or raise migrations.maxFileSize in .github/drillbot.yml on the default branch.',
      }),
    ];
  });
}

/** What PostgreSQL would answer to the bad bytes within a script's lines; null when it would take the script. */
export function scriptByteProblem(script: MigrationScript, file: SourceFile | undefined): { line: number; message: string; fix: string } | null {
  const problem = file?.problem;
  if (!problem) return null;
  if (problem.kind === 'too-large')
    return {
      line: 1,
      message: `Drillbot did not read this file: it is over migrations.maxFileSize (${formatBytes(problem.limit)}).`,
      fix: 'Split the migration into smaller files.',
    };
  // goose and dbmate keep both directions in one file: the bytes belong to the script whose lines hold them.
  const lastLine = script.startLine + script.sql.split('\n').length - 1;
  if (problem.line < script.startLine || problem.line > lastLine) return null;
  if (problem.kind === 'invalid-utf8') {
    return {
      line: problem.line,
      message: `PostgreSQL refuses this file's bytes: invalid byte sequence for encoding "UTF8": ${problem.bytes} (SQLSTATE 22021).`,
      fix: 'Save the file as UTF-8 (it is in another encoding, e.g. Latin-1 or Windows-1252).',
    };
  }
  return {
    line: problem.line,
    message: problem.binary
      ? `This is a binary file, not SQL text: it contains a NUL byte at line ${problem.line} and bytes that are not UTF-8; PostgreSQL cannot take it.`
      : `This file contains a NUL byte at line ${problem.line}; PostgreSQL cannot take it (a query string ends at a NUL byte).`,
    fix: problem.binary ? 'Replace the file with the SQL text of the migration.' : 'Remove the NUL byte.',
  };
}
