/** The engine's public surface: the CLI and the GitHub App import from here only. */
export { review, type ReviewOptions } from './review.js';
export { parseConfig, DEFAULT_CONFIG, parseDuration, type DrillbotConfig } from './config.js';
export type { ChangeSet } from './change-set/change-set.js';
export { createProvider, type CreateProviderOptions, type ProviderKind, type ShadowProvider } from './drill/providers/index.js';
export { renderText } from './report/render/text.js';
export type { Finding, Report, MigrationResult } from './report/report.js';
export { HAZARDS, type Hazard } from './hazards.js';
export { isLayoutId } from './layouts/index.js';
export type { LayoutId } from './layouts/layout.js';
export { DrillbotError, UsageError, ConfigError, isDrillbotError, redact } from './errors.js';
export { collectTableSizes, parseTableSizes, type TableSizesFile } from './table-sizes.js';
