import type { TenantOutcome, TenantSummary } from '../report.js';

function outcome(t: TenantOutcome): string {
  if (t.forward === 'not-run') return `${t.schema} not drilled (could not be prepared)`;
  const forward = t.failedAt ? `failed at ${t.failedAt.path}:${t.failedAt.line}` : 'applied';
  return `${t.schema} ${forward}${t.reverse === 'not-run' ? '' : `, reverse ${t.reverse}`}`;
}

/** The multi-tenant drill in one line: each tenant's outcome and the lock time summed over the tenants. */
export function tenantLine(summary: TenantSummary): string {
  const locks = summary.lockMs.map((l) => `${l.path} ${Math.round(l.ms)} ms over ${l.tenants}`).join(', ');
  return (
    `Tenants (${summary.tenants.length} schemas, search_path tenant then ${summary.template}): ${summary.tenants.map(outcome).join('; ')}` +
    (locks ? `. Lock time on existing tables, summed over the tenants: ${locks}` : '')
  );
}
