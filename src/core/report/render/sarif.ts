import { createHash } from 'node:crypto';
import type { HelpCatalog } from '../help.js';
import type { Finding, Report } from '../report.js';
import { findingDetails, levelOf } from './finding-text.js';
import { RULE_DOCS_URL } from './markdown.js';

/** What SARIF says about the tool beside the report. */
export interface SarifOptions {
  readonly help: HelpCatalog;
  readonly toolVersion: string;
}

const LEVEL = { error: 'error', warning: 'warning', notice: 'note' } as const;
const SRCROOT = '%SRCROOT%';

/**
 * The report as a SARIF 2.1.0 log (for GitHub code scanning and other SARIF viewers): one rule per
 * rule id, with its hazard as a tag and its docs page as help; one result per finding, an
 * acknowledged one carried as suppressed with its reason.
 */
export function renderSarif(report: Report, options: SarifOptions): string {
  const ids = [...new Set(report.findings.map((f) => f.rule))];
  const rules = ids.map((id) => {
    const hazard = report.findings.find((f) => f.rule === id)!.hazard;
    const help = options.help.help(id, hazard);
    return {
      id,
      shortDescription: { text: help.summary },
      help: { text: help.summary, markdown: help.markdown },
      helpUri: help.page.startsWith('docs/rules/') ? `${RULE_DOCS_URL}${id}.md` : `${RULE_DOCS_URL.replace(/rules\/$/, '')}hazards.md`,
      defaultConfiguration: { level: LEVEL[help.severity] },
      properties: { hazard, tags: ['postgresql', 'migration', hazard] },
    };
  });
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'Drillbot', version: options.toolVersion, informationUri: 'https://github.com/drillbot/drillbot', rules } },
        // An incomplete review is not a clean one: the invocation says it did not run to its end.
        invocations: [{ executionSuccessful: report.complete }],
        results: report.findings.map((f) => result(f, ids.indexOf(f.rule))),
        properties: { verdict: report.verdict, complete: report.complete },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function result(f: Finding, ruleIndex: number) {
  return {
    ruleId: f.rule,
    ruleIndex,
    level: LEVEL[levelOf(f)],
    message: { text: findingDetails(f) },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: encodeURI(f.path || '.'), uriBaseId: SRCROOT },
          region: { startLine: f.line, ...(f.endLine ? { endLine: f.endLine } : {}) },
        },
      },
    ],
    // Stable across pushes that move the statement: code scanning matches alerts by it.
    partialFingerprints: { 'drillbot/v1': createHash('sha256').update([f.rule, f.path, f.message].join('\0')).digest('hex') },
    ...(f.acknowledged
      ? { suppressions: [{ kind: f.acknowledged.at ? 'external' : 'inSource', justification: `${f.acknowledged.by}: ${f.acknowledged.reason}` }] }
      : {}),
    properties: { hazard: f.hazard, source: f.source, ...(f.evidence ? { evidence: f.evidence } : {}) },
  };
}
