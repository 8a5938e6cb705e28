import type { RolloutStep } from '../report.js';

/** A step's heading words: what kind of step, and when a deploy goes. */
function stepLabel(s: RolloutStep): string {
  if (s.kind === 'deploy') return `deploy ${s.order ?? ''}`.trim();
  return s.kind === 'migrate' ? `migrate (${s.transaction ?? 'inside'} a transaction)` : 'backfill';
}

/** The facts of a step beside its title: locks, lock_timeout, rollback. */
function stepDetails(s: RolloutStep): Array<[string, string]> {
  return [
    ...(s.lock ? [['lock', s.lock] as [string, string]] : []),
    ...(s.lockTimeout ? [['lock_timeout', s.lockTimeout] as [string, string]] : []),
    ['rollback', s.rollback],
  ];
}

/** The runbook for the terminal: numbered steps with where they come from and how they are known. */
export function rolloutText(steps: readonly RolloutStep[]): string[] {
  if (steps.length === 0) return [];
  const pad = ' '.repeat(7);
  const lines = ['Rollout plan'];
  for (const [i, s] of steps.entries()) {
    lines.push(`  ${`${i + 1}.`.padEnd(4)} ${stepLabel(s)} [${s.basis}] ${s.path}:${s.line}: ${s.title}`);
    for (const [label, text] of stepDetails(s)) lines.push(`${pad}${label}: ${text}`);
  }
  return [...lines, ''];
}

/** The runbook as Markdown: an ordered list, last in the report (the App's check-run summary shows it). */
export function rolloutMarkdown(steps: readonly RolloutStep[], oneLine: (s: string) => string): string[] {
  if (steps.length === 0) return [];
  return [
    '',
    '### Rollout plan',
    '',
    'In this order. `observed`: the drill saw it on the shadow PostgreSQL; `inferred`: read from the SQL.',
    '',
    ...steps.map((s, i) =>
      [
        `${i + 1}. **${stepLabel(s)}** (${s.basis}) \`${s.path}:${s.line}\`: ${oneLine(s.title)}`,
        ...stepDetails(s).map(([label, text]) => `   <br>${label}: ${oneLine(text)}`),
      ].join('\n'),
    ),
  ];
}
