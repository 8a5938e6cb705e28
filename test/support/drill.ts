import { DEFAULT_CONFIG, type DrillbotConfig } from '../../src/core/config.js';
import { createUrlProvider } from '../../src/core/drill/providers/index.js';
import { review } from '../../src/core/review.js';
import type { Report } from '../../src/core/report/report.js';
import { changeSetOf } from './change-set.js';

/** The local PostgreSQL the tests drill on (CI starts it). */
export const LOCAL_URL = process.env.DRILLBOT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Drills `added` files on top of `base` files (both under db/) on the local server. */
export function drill(base: Record<string, string>, added: Record<string, string>, config: Partial<DrillbotConfig['shadow']> = {}): Promise<Report> {
  return review({
    changeSet: changeSetOf('db', base, added),
    config: { ...DEFAULT_CONFIG, shadow: { ...DEFAULT_CONFIG.shadow, seedRows: 50, ...config } },
    provider: createUrlProvider(LOCAL_URL),
  });
}

/** `hazard@file:line` for every finding, the shape most assertions compare. */
export function hazards(report: Report): string[] {
  return report.findings.map((f) => `${f.hazard}@${f.path.replace(/^db\//, '')}:${f.line}`);
}
