import { DEFAULT_CONFIG, type DrillbotConfig } from '../../src/core/config.js';
import { createUrlProvider } from '../../src/core/drill/providers/index.js';
import { review } from '../../src/core/review.js';
import { RULES } from '../../src/core/rules/index.js';
import type { Report } from '../../src/core/report/report.js';
import type { TableSize } from '../../src/core/rules/define-rule.js';
import { changeSetOf } from './change-set.js';

/** The local PostgreSQL the tests drill on (CI starts it). */
export const LOCAL_URL = process.env.DRILLBOT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Every static rule off: what is left is what the drill and the history checks found. */
export const RULES_OFF = Object.fromEntries(RULES.map((r) => [r.id, 'off' as const]));

/**
 * Drills `added` files on top of `base` files (both under db/) on the local server, with the
 * static rules off unless `rules` says otherwise.
 */
export function drill(
  base: Record<string, string>,
  added: Record<string, string>,
  shadow: Partial<DrillbotConfig['shadow']> = {},
  rules: DrillbotConfig['rules'] = RULES_OFF,
  tableSizes?: ReadonlyMap<string, TableSize>,
  overrides: DrillbotConfig['overrides'] = [],
): Promise<Report> {
  return review({
    changeSet: changeSetOf('db', base, added),
    config: { ...DEFAULT_CONFIG, rules, overrides, shadow: { ...DEFAULT_CONFIG.shadow, seedRows: 50, ...shadow } },
    provider: createUrlProvider(LOCAL_URL),
    tableSizes,
  });
}

/** `hazard@file:line` for every finding, the shape most assertions compare. */
export function hazards(report: Report): string[] {
  return report.findings.map((f) => `${f.hazard}@${f.path.replace(/^db\//, '')}:${f.line}`);
}
