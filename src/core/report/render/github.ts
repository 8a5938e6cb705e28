import type { Finding, Report } from '../report.js';
import { findingDetails, findingTitle, levelOf } from './finding-text.js';

/**
 * The report as GitHub Actions workflow commands, one `::error|warning|notice …::message` line per
 * finding, so the job annotates the changed files. Built and escaped exactly as @actions/core's
 * `issueCommand` builds them (properties title, file, line, endLine in that order, empty ones left out).
 */
export function renderGitHub(report: Report): string {
  return report.findings.map(workflowCommand).join('\n') + (report.findings.length > 0 ? '\n' : '');
}

function workflowCommand(f: Finding): string {
  const properties: Array<[string, string | number | undefined]> = [
    ['title', findingTitle(f)],
    ['file', f.path],
    ['line', f.line],
    ['endLine', f.endLine],
  ];
  const given = properties.filter(([, value]) => value !== undefined && value !== '' && value !== 0);
  const props = given.map(([key, value]) => `${key}=${escapeProperty(String(value))}`).join(',');
  return `::${levelOf(f)}${props ? ` ${props}` : ''}::${escapeData(findingDetails(f))}`;
}

/** The runner unescapes these in a command's message (%, CR, LF), as @actions/core escapes them. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value also ends at `:` and `,`, so those are escaped too. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
