import type { Report } from '../report.js';

/** The report as it is: the JSON contract (docs/hazards.md) other tools read. */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
