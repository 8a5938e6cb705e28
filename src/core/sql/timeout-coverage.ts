import { strongLocksOnExistingTables, type LockMode, type RelationLock } from './lock-levels.js';
import type { ParsedStatement } from './parse.js';
import { hasTimeout } from './settings.js';

/** What the timeout rules need to know about a file (a subset of the rule context). */
export interface TimeoutScope {
  /** The file's statements: only a SET of the file itself counts (the tool may run each file on another connection). */
  readonly statements: readonly ParsedStatement[];
  /** The change so far (earlier files, then this one): where the tables of dropped indexes are looked up. */
  readonly changeStatements: readonly ParsedStatement[];
  inTransaction(statement: ParsedStatement): boolean;
  isNewTable(name: string): boolean;
}

/** A statement that starts a run of lock-taking statements with no timeout in effect. */
export interface UncoveredRun {
  /** The statement's locks of at least the floor on existing tables. */
  readonly locks: readonly RelationLock[];
  /** How many later statements continue the run (one SET before this statement covers them too). */
  readonly later: number;
}

/**
 * Whether `statement` takes a lock of at least `floor` on an existing table without the timeout
 * `setting` in effect, and is the first of such a run: a session-level SET placed before it covers
 * every later statement until one that already has a timeout, so the run is reported once.
 */
export function uncoveredRunAt(scope: TimeoutScope, statement: ParsedStatement, setting: string, floor: LockMode): UncoveredRun | undefined {
  const uncovered = (s: ParsedStatement): RelationLock[] | 'covered' | undefined => {
    const locks = strongLocksOnExistingTables(s, scope.changeStatements, scope.isNewTable, floor);
    if (locks.length === 0) return undefined;
    return hasTimeout(scope.statements, scope.inTransaction, s, setting) ? 'covered' : locks;
  };
  const locks = uncovered(statement);
  if (!Array.isArray(locks)) return undefined;
  const index = scope.statements.indexOf(statement);
  for (const s of scope.statements.slice(0, index).reverse()) {
    const previous = uncovered(s);
    if (previous === undefined) continue;
    if (Array.isArray(previous)) return undefined;
    break;
  }
  let later = 0;
  for (const s of scope.statements.slice(index + 1)) {
    const next = uncovered(s);
    if (next === undefined) continue;
    if (!Array.isArray(next)) break;
    later++;
  }
  return { locks, later };
}
