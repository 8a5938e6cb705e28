import { groupBy } from '../../collections.js';
import type { Finding, MigrationResult, Report } from '../report.js';

/** The report for people in a terminal: findings grouped by file, then the drill per migration. */
export function renderText(report: Report): string {
  const out = [headline(report), ''];
  for (const [path, findings] of groupBy(report.findings, (f) => f.path)) {
    out.push(path);
    for (const f of findings) out.push(...renderFinding(f));
    out.push('');
  }
  if (report.migrations.length > 0) out.push('Drill', ...report.migrations.map(renderMigration), '');
  if (report.drill) out.push(`Round trip: ${report.drill.roundTrip}`);
  return out.join('\n').replace(/\n+$/, '\n');
}

function headline(report: Report): string {
  const open = report.findings.filter((f) => !f.acknowledged);
  const acknowledged = report.findings.length - open.length;
  const counts = (['error', 'warning', 'notice'] as const)
    .map((s) => [s, open.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}${n > 1 ? 's' : ''}`)
    .concat(acknowledged > 0 ? [`${acknowledged} acknowledged`] : []);
  const d = report.drill;
  const context = d
    ? ` (PostgreSQL ${d.serverVersion} via ${d.provider}, ${d.layout}: ${d.baseMigrations} base migrations${d.templateCache === 'hit' ? ' from the template cache' : ''}, ${d.newMigrations} new, ${d.seededRows} seeded rows in ${d.seededTables} tables, ${(d.durationMs / 1000).toFixed(1)} s)`
    : ' (no new migrations to drill)';
  return `Drillbot: ${report.verdict.toUpperCase()}, ${counts.length > 0 ? counts.join(', ') : 'no findings'}${context}`;
}

function renderFinding(f: Finding): string[] {
  const where = f.endLine ? `${f.line}-${f.endLine}` : String(f.line);
  const label = f.acknowledged ? 'acked' : f.severity;
  const lines = [`  ${where.padEnd(7)} ${label.padEnd(7)} ${f.hazard}: ${f.message}${f.source === 'rule' ? ` [${f.rule}]` : ''}`];
  if (f.acknowledged) lines.push(`${' '.repeat(18)}acknowledged by ${f.acknowledged.by}: ${f.acknowledged.reason}`);
  if (f.evidence) lines.push(`${' '.repeat(18)}observed: ${f.evidence}`);
  if (f.fix) lines.push(...indentBlock('fix: ', f.fix));
  return lines;
}

function indentBlock(label: string, text: string): string[] {
  const pad = ' '.repeat(18);
  return text.split('\n').map((line, i) => `${pad}${i === 0 ? label : ' '.repeat(label.length)}${line}`);
}

function renderMigration(m: MigrationResult): string {
  const locks = m.locks.filter((l) => l.existing).map((l) => `${l.relation} ${l.mode}`);
  const parts = [
    `  ${m.direction.padEnd(8)}${m.status.padEnd(10)}${`${Math.round(m.durationMs)} ms`.padStart(8)}  ${m.path}`,
    locks.length > 0 ? `locks on existing: ${locks.join(', ')}` : '',
    m.rewrites.length > 0 ? `rewrites: ${m.rewrites.join(', ')}` : '',
  ];
  return parts.filter(Boolean).join('  ');
}
