import { groupBy } from '../../collections.js';
import { rolloutText } from './rollout.js';
import { tenantLine } from './tenants.js';
import type { ChecklistAnswer, DrillSummary, Finding, MigrationResult, Report, ReverseDraft, ReviewerSummary, TableSeeding } from '../report.js';

/** The report for people in a terminal: findings grouped by file, then the drill per migration. */
export function renderText(report: Report): string {
  const out = [headline(report), ''];
  for (const [path, findings] of groupBy(report.findings, (f) => f.path)) {
    out.push(path);
    for (const f of findings) out.push(...renderFinding(f));
    out.push('');
  }
  if (report.migrations.length > 0) out.push('Drill', ...report.migrations.map(renderMigration), '');
  if (report.drill)
    out.push(
      ...renderSeeding(report.drill.seeding),
      `Round trip: ${report.drill.roundTrip}`,
      ...(report.drill.tenants ? [tenantLine(report.drill.tenants)] : []),
      '',
    );
  out.push(
    ...renderChecklist(report.checklist ?? []),
    ...renderDrafts(report),
    ...rolloutText(report.rollout ?? []),
    ...renderReviewer(report.reviewer ?? null),
  );
  return out.join('\n').replace(/\n+$/, '\n');
}

function headline(report: Report): string {
  const d = report.drill;
  const context = d
    ? ` (PostgreSQL ${d.serverVersion} via ${d.provider}${mismatchNote(d)}, ${d.layout}: ${d.baseMigrations} base migrations replayed as ${d.historyPrivileges}${d.templateCache === 'hit' ? ' (template cache)' : ''}, ${d.newMigrations} new, ${d.seededRows} seeded rows in ${d.seededTables} tables, ${(d.durationMs / 1000).toFixed(1)} s)`
    : ' (no new migrations to drill)';
  return `Drillbot: ${verdictLine(report)}${context}`;
}

/** The outcome and the open findings in a few words: `FAIL, 2 errors, 1 warning, 1 acknowledged`. */
export function verdictLine(report: Report): string {
  const open = report.findings.filter((f) => !f.acknowledged);
  const acknowledged = report.findings.length - open.length;
  const counts = (['error', 'warning', 'notice'] as const)
    .map((s) => [s, open.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}${n > 1 ? 's' : ''}`)
    .concat(acknowledged > 0 ? [`${acknowledged} acknowledged`] : []);
  // An incomplete review is neither a pass nor a fail of the change: Drillbot could not judge it.
  const status = report.complete ? report.verdict.toUpperCase() : 'INCOMPLETE';
  return `${status}, ${counts.length > 0 ? counts.join(', ') : 'no findings'}`;
}

/** The drill's findings hold for the major it ran on; a reader comparing with production must see the difference. */
function mismatchNote(d: DrillSummary): string {
  const m = d.pgMajorMismatch;
  return m ? `, NOT the configured PostgreSQL ${m.configured} (shadow.pgMajor): the drill ran on ${m.server}` : '';
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

/** Tables left with fewer rows than asked, with why: data checks on them saw less (or nothing). */
function renderSeeding(seeding: readonly TableSeeding[]): string[] {
  const short = seeding.filter((t) => t.reason !== undefined);
  if (short.length === 0) return [];
  const list = short.map((t) => `${t.table} (${t.rows} row${t.rows === 1 ? '' : 's'}): ${t.reason}`);
  return [`Seeding: ${short.length} of ${seeding.length} tables short: ${list.join('; ')}`];
}

function renderMigration(m: MigrationResult): string {
  const locks = m.locks.filter((l) => l.existing).map((l) => `${l.relation} ${l.mode}`);
  const notes = lockNotes(m);
  const parts = [
    `  ${m.direction.padEnd(8)}${m.status.padEnd(10)}${`${Math.round(m.durationMs)} ms`.padStart(8)}  ${m.path}`,
    locks.length > 0 ? `locks on existing: ${locks.join(', ')}` : '',
    notes.length > 0 ? `(${notes.join('; ')})` : '',
    m.rewrites.length > 0 ? `rewrites: ${m.rewrites.join(', ')}` : '',
  ];
  return parts.filter(Boolean).join('  ');
}

/**
 * How the locks of statements run outside a transaction block were seen, and what they waited for:
 * the locks of a statement the drill could not watch are unknown, never "none".
 */
export function lockNotes(m: MigrationResult): string[] {
  return m.statements.flatMap((st) => {
    const view = st.lockView === 'not-observed' ? 'locks not observed' : st.lockView === 'sampled' ? 'locks sampled while it ran' : '';
    const said = [view, st.waited ?? ''].filter(Boolean).join(', ');
    return said ? [`line ${st.line} ran outside a transaction: ${said}`] : [];
  });
}

/** Each item with its status, source and evidence, forward first. */
function renderChecklist(checklist: readonly ChecklistAnswer[]): string[] {
  if (checklist.length === 0) return [];
  const lines = ['Checklist'];
  for (const a of checklist) {
    lines.push(`  ${a.direction.padEnd(8)}${a.status.padEnd(12)}${a.id} (${a.source}): ${a.question}`);
    lines.push(...indentBlock('evidence: ', a.evidence));
  }
  return [...lines, ''];
}

/** Drafted reverses: the proven ones with their SQL, the others with why they are not offered. */
function renderDrafts(report: Report): string[] {
  const drafts: readonly ReverseDraft[] = report.reverseDrafts ?? [];
  const notDrafted = report.reverseNotDrafted ?? [];
  if (drafts.length === 0 && notDrafted.length === 0) return [];
  const lines = ['Drafted reverses'];
  for (const d of drafts) {
    const where =
      d.placement === 'section' ? `${d.path} under ${d.section}` : d.placement === 'rollback-plan' ? `rollback plan (a draft) of ${d.path}` : d.path;
    if (d.status === 'proven' && d.proof) {
      lines.push(`  proven    ${where} (${d.drafter}), for ${d.forwardPath}`);
      lines.push(
        `${' '.repeat(18)}proof: PostgreSQL ${d.proof.serverVersion}: reverse ${d.proof.reverse}, round trip ${d.proof.roundTrip}, redo ${d.proof.redo}`,
      );
      lines.push(...indentBlock('sql: ', d.sql.replace(/\n$/, '')));
    } else {
      lines.push(`  ${d.status.padEnd(10)}${where} (${d.drafter}), for ${d.forwardPath}: not offered`);
      lines.push(...indentBlock('why: ', d.reason ?? 'not proven by the drill'));
    }
  }
  for (const n of notDrafted) lines.push(`  none      for ${n.forwardPath}: ${n.reason}`);
  return [...lines, ''];
}

function renderReviewer(reviewer: ReviewerSummary | null): string[] {
  if (!reviewer) return [];
  if (reviewer.status === 'not-configured') return ['Reviewer: no model configured; judgement items need a person'];
  const t = reviewer.tokens;
  const usage = reviewer.cached ? 'answer from the cache, no call' : `${t.total} tokens (${t.prompt} prompt, ${t.completion} completion)`;
  const summarised = reviewer.summarisedStatements > 0 ? `, ${reviewer.summarisedStatements} statements summarised for the token budget` : '';
  return [`Reviewer: ${reviewer.model} ${reviewer.status}, ${usage}${summarised}${reviewer.problem ? `: ${reviewer.problem}` : ''}`];
}
