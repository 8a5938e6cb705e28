import type { HelpCatalog } from '../help.js';
import type { Report } from '../report.js';
import { renderGitHub } from './github.js';
import { renderGitLab } from './gitlab.js';
import { renderJson } from './json.js';
import { renderMarkdown, type MarkdownOptions } from './markdown.js';
import { renderSarif } from './sarif.js';
import { renderText, verdictLine } from './text.js';

/** Every format a report renders to, all from the same Report. */
export const REPORT_FORMATS = ['text', 'json', 'markdown', 'sarif', 'github', 'gitlab'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const isReportFormat = (value: string): value is ReportFormat => (REPORT_FORMATS as readonly string[]).includes(value);

/** What some formats need beside the report. */
export interface RenderContext {
  /** Rule help for SARIF. */
  readonly help: HelpCatalog;
  readonly toolVersion: string;
  /** Markdown options (the CLI and the Action add the timeline). */
  readonly markdown?: MarkdownOptions;
}

/** The report in one format. */
export function renderReport(report: Report, format: ReportFormat, context: RenderContext): string {
  switch (format) {
    case 'text':
      return renderText(report);
    case 'json':
      return renderJson(report);
    case 'markdown':
      return `${renderMarkdown(report, { title: `## Drillbot: ${verdictLine(report)}`, timeline: true, ...context.markdown })}\n`;
    case 'sarif':
      return renderSarif(report, { help: context.help, toolVersion: context.toolVersion });
    case 'github':
      return renderGitHub(report);
    case 'gitlab':
      return renderGitLab(report);
  }
}
