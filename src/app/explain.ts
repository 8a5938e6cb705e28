import { readFile } from 'node:fs/promises';
import { HAZARDS } from '../core/index.js';

/** One line per hazard (the vocabulary of docs/hazards.md, as the README's table explains it). */
const HAZARD_MEANING: Record<string, string> = {
  rewrite: 'PostgreSQL rewrites the whole table under an ACCESS EXCLUSIVE lock: reads and writes wait for the rewrite.',
  'blocking-scan': 'A full scan of an existing table runs while a lock that blocks writes (SHARE or stronger) is held.',
  'blocking-index': 'An index on an existing table is built, rebuilt or dropped while writes to the table are blocked.',
  'data-loss': 'A table, a column or rows disappear, or seeded values do not survive forward → reverse.',
  'breaking-change': 'The change breaks code that is still running against the old schema (renames, drops, type changes).',
  'concurrently-in-transaction': 'PostgreSQL refuses CONCURRENTLY inside the transaction block the migration tool wraps around the file.',
  'data-dependent': 'The statement works on an empty table but fails on real rows (e.g. NOT NULL without a default).',
  'missing-reverse': 'The migration has no (or an empty) reverse, so it cannot be rolled back.',
  'reverse-mismatch': 'After forward then reverse, the schema differs from before: the reverse does not undo the forward.',
  'forward-error': 'The forward migration fails on PostgreSQL.',
  'reverse-error': 'The reverse migration fails on PostgreSQL.',
  'history-edit': 'A migration that production has already run was edited, renamed or deleted.',
  ordering: 'A new migration sorts before the newest existing one, or repeats a version.',
  'lock-timeout': 'A strong lock is requested without lock_timeout: behind a long query it queues every other query on the table.',
  'unbatched-backfill': 'A large UPDATE or DELETE runs in one transaction instead of batches.',
  'type-choice': 'A column type that causes trouble later (int that overflows, varchar(n), timestamp without time zone, …).',
  checklist: 'An item of the forward/reverse review checklist that needs a person’s judgement.',
  infra: 'Drillbot could not complete the review (shadow PostgreSQL, GitHub API, configuration); the check fails closed.',
};

/**
 * The answer to `/drillbot explain <id>`: a rule's docs page summary (its Problem section) or a
 * hazard's meaning; null when the id is neither.
 */
export async function explain(target: string, docsDir: URL): Promise<string | null> {
  if (!/^[a-z0-9-]+$/.test(target)) return null;
  if ((HAZARDS as readonly string[]).includes(target)) return `**Hazard \`${target}\`**: ${HAZARD_MEANING[target] ?? 'see the README’s hazard table.'}`;
  let page: string;
  try {
    page = await readFile(new URL(`${target}.md`, docsDir), 'utf8');
  } catch {
    return null;
  }
  const hazard = /^hazard:\s*(\S+)/m.exec(page)?.[1];
  const problem = /^## Problem\s*\n([\s\S]*?)(?=\n## |$)/m.exec(page)?.[1].trim() ?? '';
  const examples = /^## Examples\s*\n([\s\S]*?)(?=\n## |$)/m.exec(page)?.[1].trim() ?? '';
  return [
    `**Rule \`${target}\`**${hazard ? ` (hazard \`${hazard}\`)` : ''}`,
    '',
    problem,
    ...(examples ? ['', examples] : []),
    '',
    `Docs: \`docs/rules/${target}.md\``,
  ]
    .join('\n')
    .slice(0, 60_000);
}
