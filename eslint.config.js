// ESLint: the recommended JavaScript and typescript-eslint rules, and the architecture as import restrictions.
// Formatting is Prettier's job: none of these configs carries a formatting rule.
// The type-aware configs (recommendedTypeChecked) are off on purpose: on this 2-core machine they took
// about 4x the CPU (40 s against 10 s) and 1.2 GB, and their 678 findings were nearly all no-unsafe-* on
// libpg-query's untyped AST (StatementNode) and on test JSON; they found no floating or misused promise.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** The engine stays free of the front doors and of GitHub (docs: architecture.md). */
const coreImports = {
  patterns: [
    // Relative paths out of src/core into a front door (src/core has no app/ or cli/ folder of its own).
    { regex: '^(\\.\\./)+(app|cli)(/|$)', message: 'src/core must not import from src/app or src/cli: the engine knows no front door.' },
    { group: ['probot', 'probot/*', '@octokit/*'], message: "src/core must not depend on GitHub: that is the App's job (src/app)." },
  ],
};

/** SQL helpers serve the rules and the drill; they never depend on a rule (docs: architecture.md). */
const sqlImports = {
  patterns: [
    ...coreImports.patterns,
    {
      regex: '^(\\.\\./)+rules(/|$)',
      message: 'src/core/sql must not import from src/core/rules: move what both need into sql/, or the helper into rules/support/.',
    },
  ],
};

/** The front doors use the engine only through its public surface. */
const frontDoorImports = {
  patterns: [
    {
      regex: '^(\\.\\./)+core/(?!index\\.js$)',
      message: 'Import the engine from src/core/index.ts only (export what you need there), not from its inner modules.',
    },
  ],
};

export default defineConfig(
  { ignores: ['dist/', 'coverage/', '.drillbot-cache/', 'test/fixtures/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  { languageOptions: { globals: globals.node } },
  {
    files: ['src/**/*.test.ts', 'src/core/testing/**/*.ts', 'test/**/*.ts'],
    languageOptions: { globals: globals.jest },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', coreImports] },
  },
  {
    // A later block replaces the rule's options, so sqlImports repeats the core's patterns.
    files: ['src/core/sql/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', sqlImports] },
  },
  {
    // Tests may reach into the engine's modules.
    files: ['src/app/**/*.ts', 'src/cli/**/*.ts', 'src/action/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', frontDoorImports] },
  },
);
