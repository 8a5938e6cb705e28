/** The engine's public surface: the CLI and the GitHub App import from here only. */
export { review, type ReviewOptions } from './review.js';
export { parseConfig, DEFAULT_CONFIG, HISTORY_PRIVILEGES, parseDuration, type DrillbotConfig, type HistoryPrivileges } from './config.js';
export type { ChangeSet } from './change-set/change-set.js';
export {
  createProvider,
  defaultCacheDir,
  keepRunning,
  startingNow,
  type CreateProviderOptions,
  type HeadStartProvider,
  type KeptProvider,
  type ProviderKind,
  type ShadowProvider,
  type ShadowServer,
} from './drill/providers/index.js';
export { ClonePool, type PoolWant } from './drill/clone-pool.js';
export { lockNotes, renderText } from './report/render/text.js';
export { isReportFormat, renderReport, REPORT_FORMATS, type RenderContext, type ReportFormat } from './report/render/index.js';
export { renderTimelineSvg } from './report/render/timeline.js';
export { escapeData } from './report/render/github.js';
export { findingDetails, findingTitle } from './report/render/finding-text.js';
export { loadHelp, type HelpCatalog } from './report/help.js';
export {
  draftPlacement,
  drafterOf,
  fenceFor,
  fit,
  oneLine,
  proofLine,
  provenDraft,
  renderMarkdown,
  sqlBlock,
  type MarkdownOptions,
} from './report/render/markdown.js';
export type { Finding, Report, MigrationResult } from './report/report.js';
export { outcomeOf, type Outcome } from './report/outcome.js';
export { HAZARDS, type Hazard } from './hazards.js';
export { isLayoutId } from './layouts/index.js';
export { CODE_MIGRATIONS_HINT, codeMigrationsNeedCli, isCodeMigration, resolveCommand, PRESETS, type ResolvedCommand } from './layouts/command-presets.js';
export { reviewCode } from './review-code.js';
export type { LayoutId } from './layouts/layout.js';
export { DrillbotError, UsageError, ConfigError, GitError, NoMigrationsError, isDrillbotError, redact } from './errors.js';
export { undrilledReport } from './change-set/undrilled.js';
export {
  listingTreesOnce,
  loadChangeSet,
  readChangeSet,
  type ChangeSetRequest,
  type ChangeSetResult,
  type RepositoryReader,
  type TreeEntry,
} from './change-set/load.js';
export { loadBaseline, loadConfig, loadQueries, loadTableSizes, type ConfigSource } from './review-inputs.js';
export { collectTableSizes, type TableSizesFile } from './table-sizes.js';
// For the GitHub App: re-evaluating a report after acknowledgements.
export { buildReport } from './report/build.js';
export type { Acknowledgement } from './report/report.js';
export { readSourceFile } from './change-set/file-bytes.js';
export { noMigrationsError } from './change-set/locate.js';
export type { FileTree, SourceFile } from './layouts/layout.js';
// The reviewer step (issue 5): checklist answers, drafted reverses and the model, for the App to render and inject.
export type { ReportExtras } from './report/build.js';
export type { ChecklistAnswer, ChecklistStatus, ReverseDraft, ReverseNotDrafted, ReverseProof, ReviewerSummary, RolloutStep } from './report/report.js';
export type { ReviewerConfig, TeamChecklistItem } from './config.js';
export { CHECKLIST, type ChecklistItem } from './reviewer/checklists.js';
export { createOpenAiClient, llmClientFromEnvironment, LlmUnavailableError, type LlmClient, type LlmRequest, type LlmResponse } from './reviewer/llm-client.js';
export { diskCache, memoryCache, type ReviewerCache } from './reviewer/cache.js';
export { draftReverse } from './reverse/draft.js';
export { codeReferenceFindings, type HeadCode } from './code-refs/scan.js';
export { CODE_SCAN_LIMITS, readHeadCode, selectCodeFiles } from './code-refs/select.js';
export { packageDir, packageVersion } from './package-dir.js';
