import { defaultSeverity, type Hazard, type Severity } from '../hazards.js';
import type { Finding, FindingSource } from './report.js';

export interface FindingInput {
  readonly hazard: Hazard;
  readonly source: FindingSource;
  readonly path: string;
  readonly line: number;
  readonly endLine?: number;
  readonly message: string;
  readonly fix?: string;
  readonly evidence?: string;
  readonly table?: string;
  /** Defaults to the drill's or layout's rule id for the hazard. */
  readonly rule?: string;
  readonly severity?: Severity;
}

/** Builds a finding with the hazard's default severity, leaving out empty optional fields. */
export function finding(input: FindingInput): Finding {
  const { hazard, source, path, line, endLine, message, fix, evidence } = input;
  return {
    rule: input.rule ?? `${source}/${hazard}`,
    hazard,
    severity: input.severity ?? defaultSeverity(hazard),
    path,
    line,
    ...(endLine !== undefined && endLine !== line ? { endLine } : {}),
    message,
    ...(fix ? { fix } : {}),
    source,
    ...(evidence ? { evidence } : {}),
    ...(input.table ? { table: input.table } : {}),
  };
}
