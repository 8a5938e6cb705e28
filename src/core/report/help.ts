import { readdir, readFile } from 'node:fs/promises';
import { defaultSeverity, isHazard, type Hazard, type Severity } from '../hazards.js';
import { packageDir } from '../package-dir.js';

/** What a reader needs to understand a rule (or a drill observation): a line, the page, and its default severity. */
export interface RuleHelp {
  readonly summary: string;
  /** The rule's docs page (Markdown), or the hazard's meaning for findings no rule page describes. */
  readonly markdown: string;
  readonly severity: Severity;
  /** Path of the page inside the repository (`docs/rules/<id>.md`, `docs/hazards.md`). */
  readonly page: string;
}

/** Help for every rule id and hazard a report can carry. */
export interface HelpCatalog {
  /** The rule's page when it has one, else its hazard's line of `docs/hazards.md`. */
  help(rule: string, hazard: Hazard): RuleHelp;
}

/** The docs shipped with the package: `docs/` beside `src/` (or `dist/`). */
export const DOCS_DIR = new URL('docs/', packageDir());

/** Reads `docs/rules/*.md` and the hazard table of `docs/hazards.md` once. */
export async function loadHelp(docsDir: URL = DOCS_DIR): Promise<HelpCatalog> {
  const rulesDir = new URL('rules/', docsDir);
  const pages = (await readdir(rulesDir)).filter((name) => name.endsWith('.md'));
  const rules = new Map<string, RuleHelp>();
  for (const name of pages) {
    const id = name.replace(/\.md$/, '');
    rules.set(id, rulePage(id, await readFile(new URL(name, rulesDir), 'utf8')));
  }
  const hazards = hazardMeanings(await readFile(new URL('hazards.md', docsDir), 'utf8'));
  return {
    help(rule, hazard) {
      const page = rules.get(rule);
      if (page) return page;
      const meaning = hazards.get(hazard) ?? hazard;
      return { summary: meaning, markdown: `**\`${hazard}\`**: ${meaning}`, severity: defaultSeverity(hazard), page: 'docs/hazards.md' };
    },
  };
}

/** A rule page: its Problem section's first paragraph is the summary; the page without frontmatter is the help. */
function rulePage(id: string, text: string): RuleHelp {
  const frontmatter = /^---\n([\s\S]*?)\n---\n/.exec(text);
  const severity = /^severity:\s*(error|warning|notice)\s*$/m.exec(frontmatter?.[1] ?? '')?.[1] as Severity | undefined;
  const hazard = /^hazard:\s*(\S+)/m.exec(frontmatter?.[1] ?? '')?.[1];
  const body = frontmatter ? text.slice(frontmatter[0].length) : text;
  const problem = /^## Problem\s*\n([\s\S]*?)(?=\n## |$)/m.exec(body)?.[1].trim() ?? id;
  const summary = problem.split(/\n\s*\n/)[0].replace(/\s*\n\s*/g, ' ');
  return {
    summary,
    markdown: body.trim(),
    severity: severity ?? (hazard && isHazard(hazard) ? defaultSeverity(hazard) : 'error'),
    page: `docs/rules/${id}.md`,
  };
}

/** `| \`hazard\` | severity | meaning | triggers |` rows of docs/hazards.md. */
function hazardMeanings(text: string): Map<string, string> {
  const meanings = new Map<string, string>();
  for (const match of text.matchAll(/^\| `([a-z-]+)` \| [a-z]+ \| ([^|]+) \|/gm)) meanings.set(match[1], match[2].trim());
  return meanings;
}
