import { createHash } from 'node:crypto';
import type { Finding, Report } from '../report.js';
import { findingDetails, levelOf } from './finding-text.js';

/** One issue of GitLab's Code Quality report (the subset of the Code Climate format GitLab reads). */
export interface CodeQualityIssue {
  readonly description: string;
  readonly check_name: string;
  readonly fingerprint: string;
  readonly severity: 'info' | 'minor' | 'major' | 'critical' | 'blocker';
  readonly location: { readonly path: string; readonly lines: { readonly begin: number; readonly end?: number } };
}

const SEVERITY = { error: 'critical', warning: 'major', notice: 'info' } as const;

/**
 * The report as a GitLab Code Quality report (`artifacts: reports: codequality`): one issue per
 * finding; an acknowledged finding is `info`, since it fails nothing any more.
 */
export function renderGitLab(report: Report): string {
  return `${JSON.stringify(report.findings.map(codeQualityIssue), null, 2)}\n`;
}

function codeQualityIssue(f: Finding): CodeQualityIssue {
  return {
    description: findingDetails(f),
    check_name: f.rule,
    // GitLab tells new issues from fixed ones by fingerprint: the same finding on the same statement keeps it.
    fingerprint: createHash('md5').update([f.rule, f.hazard, f.path, f.line, f.message].join('\0')).digest('hex'),
    severity: SEVERITY[levelOf(f)],
    location: { path: f.path || '.', lines: { begin: f.line, ...(f.endLine ? { end: f.endLine } : {}) } },
  };
}
