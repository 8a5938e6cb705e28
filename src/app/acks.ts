import { createHash } from 'node:crypto';
import { buildReport, type Finding, type Report } from '../core/index.js';

/**
 * An acknowledgement made with `/drillbot ack`. It is bound, when first applied, to the
 * statements it covers (path + a hash of the statement's text), so it survives new pushes while
 * those statements stay unchanged and never silently covers a new statement of the same hazard.
 */
export interface AckRecord {
  /** Hazard or rule id. */
  readonly target: string;
  readonly reason: string;
  /** `@login` of the user who acknowledged. */
  readonly by: string;
  /** ISO time of the command. */
  readonly at: string;
  /** The statements it covers; absent until first applied to a report. */
  readonly statements?: ReadonlyArray<{ readonly path: string; readonly hash: string }>;
}

/** Head-side file contents by path, to hash the statements findings point at. */
export type FileContents = ReadonlyMap<string, string>;

/** A short hash of the statement's text (lines line..endLine), whitespace-normalised. */
export function statementHash(content: string | undefined, line: number, endLine = line): string {
  const text = (content ?? '')
    .split('\n')
    .slice(line - 1, endLine)
    .join('\n')
    .replace(/\s+/g, ' ')
    .trim();
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

const hashOf = (f: Finding, files: FileContents) => statementHash(files.get(f.path), f.line, f.endLine ?? f.line);
const targets = (a: AckRecord, f: Finding) => f.hazard === a.target || f.rule === a.target;

export interface AppliedAcks {
  /** The report with acknowledged findings marked and the verdict recomputed. */
  readonly report: Report;
  /** Every ack that still applies or may apply, with its statements bound (what to store). */
  readonly acks: AckRecord[];
  /** Fresh acks that matched no open finding (dropped; the user is told). */
  readonly unmatched: AckRecord[];
}

/**
 * Applies stored acknowledgements to a fresh report. A fresh ack binds to every open finding of
 * its hazard or rule; a bound ack marks findings whose statement text is unchanged. `infra`
 * findings cannot be acknowledged: a review that did not complete must be re-run, not waved through.
 */
export function applyAcks(report: Report, acks: readonly AckRecord[], files: FileContents): AppliedAcks {
  const open = report.findings.filter((f) => !f.acknowledged && f.hazard !== 'infra');
  const kept: AckRecord[] = [];
  const unmatched: AckRecord[] = [];
  for (const ack of acks) {
    if (ack.statements) {
      kept.push(ack);
      continue;
    }
    const statements = open.filter((f) => targets(ack, f)).map((f) => ({ path: f.path, hash: hashOf(f, files) }));
    if (statements.length === 0) unmatched.push(ack);
    else kept.push({ ...ack, statements: dedupe(statements) });
  }
  let changed = false;
  const findings = report.findings.map((f) => {
    if (f.acknowledged || f.hazard === 'infra') return f;
    const hash = hashOf(f, files);
    const ack = kept.find((a) => targets(a, f) && a.statements!.some((s) => s.path === f.path && s.hash === hash));
    if (!ack) return f;
    changed = true;
    return { ...f, acknowledged: { by: ack.by, reason: ack.reason, at: ack.at } };
  });
  if (!changed) return { report, acks: kept, unmatched };
  // buildReport recomputes the verdict (and merges as the engine does); every other part of the
  // report (drill results, reviewer extras) is carried over as it is.
  const rebuilt = buildReport(findings, report.migrations, report.drill);
  return { report: { ...report, findings: rebuilt.findings, verdict: rebuilt.verdict, complete: rebuilt.complete }, acks: kept, unmatched };
}

function dedupe<T extends { path: string; hash: string }>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((i) => {
    const key = `${i.path}\0${i.hash}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** An acknowledgement given by command, by the id that makes storing it idempotent (the comment id). */
export interface PendingAck {
  readonly id: string;
  readonly ack: AckRecord;
}

/**
 * Acknowledgements given by command and not yet written to the sticky comment, by pull request
 * (`jobKey`). Only the review job (one at a time per pull request) writes the sticky comment, so
 * writes never race. In memory by default; in Redis with the durable queue, so that an ack
 * answered with 👀 is applied even when the replica dies before its review ran.
 */
export interface AckStore {
  add(pull: string, id: string, ack: AckRecord): Promise<void>;
  /** Oldest first. */
  list(pull: string): Promise<PendingAck[]>;
  remove(pull: string, ids: readonly string[]): Promise<void>;
}

/** The in-memory {@link AckStore}: lost on a restart. */
export class MemoryAckStore implements AckStore {
  private readonly pending = new Map<string, Map<string, AckRecord>>();

  async add(pull: string, id: string, ack: AckRecord): Promise<void> {
    const acks = this.pending.get(pull) ?? new Map<string, AckRecord>();
    acks.set(id, ack);
    this.pending.set(pull, acks);
  }

  async list(pull: string): Promise<PendingAck[]> {
    return [...(this.pending.get(pull) ?? [])].map(([id, ack]) => ({ id, ack }));
  }

  async remove(pull: string, ids: readonly string[]): Promise<void> {
    const acks = this.pending.get(pull);
    for (const id of ids) acks?.delete(id);
    if (acks?.size === 0) this.pending.delete(pull);
  }
}
