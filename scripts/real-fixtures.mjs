#!/usr/bin/env node
// Builds test/fixtures/real/<tool>/<owner>__<repo>/ from local git mirrors of public repositories:
// only the migration files each picked change needs (its base and its own files), the upstream
// licence and a cases.json. Usage: node scripts/real-fixtures.mjs <picks.json> <mirrors dir>
// picks.json: [{ tool, repo: "owner/name", dir, licence, licenceFile, config?, cases: [{ base, head, why }] }]
// (config: .github/drillbot.yml the test puts at the base commit, e.g. the tool's bookkeeping table as shadow.setup)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const [picksFile, mirrors] = process.argv.slice(2);
const picks = JSON.parse(readFileSync(picksFile, 'utf8'));
const out = 'test/fixtures/real';

for (const pick of picks) {
  const git = (...args) => execFileSync('git', ['-C', join(mirrors, pick.repo.replace('/', '+'), 'repo'), ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const target = join(out, pick.tool, pick.repo.replace('/', '__'));
  const previous = existsSync(join(target, 'cases.json')) ? JSON.parse(readFileSync(join(target, 'cases.json'), 'utf8')) : { cases: [] };
  const stored = new Map(); // path under target -> content
  const store = (rel, content, commit) => {
    const plain = join('files', rel);
    if (!stored.has(plain) || stored.get(plain) === content) return (stored.set(plain, content), plain);
    const variant = join(`files@${commit}`, rel);
    stored.set(variant, content);
    return variant;
  };
  const tree = (commit) => git('ls-tree', '-r', '--name-only', commit, '--', pick.dir).split('\n').filter(Boolean);
  const show = (commit, path) => git('show', `${commit}:${path}`);
  const cases = pick.cases.map((c) => {
    const base = git('rev-parse', '--short=12', c.base).trim();
    const head = git('rev-parse', '--short=12', c.head).trim();
    const baseFiles = new Map(tree(base).map((p) => [p, show(base, p)]));
    const headFiles = new Map(tree(head).map((p) => [p, show(head, p)]));
    const rel = (p) => p.slice(pick.dir.length + 1);
    const files = (entries) => Object.fromEntries([...entries].map(([p, content]) => [rel(p), store(rel(p), content, head)]));
    const changed = [...headFiles].filter(([p, content]) => baseFiles.get(p) !== content);
    const deleted = [...baseFiles.keys()].filter((p) => !headFiles.has(p)).map(rel);
    const kept = previous.cases.find((p) => p.head === head);
    return {
      head,
      base,
      subject: git('log', '-1', '--format=%s', head).trim(),
      why: c.why,
      baseFiles: files(baseFiles),
      changeFiles: files(changed),
      deleted,
      expected: kept?.expected ?? [],
    };
  });
  for (const [path, content] of stored) {
    mkdirSync(dirname(join(target, path)), { recursive: true });
    writeFileSync(join(target, path), content);
  }
  writeFileSync(join(target, 'LICENSE.upstream'), show('HEAD', pick.licenceFile));
  const json = {
    repository: `https://github.com/${pick.repo}`,
    licence: pick.licence,
    dir: pick.dir,
    layout: pick.tool,
    ...(pick.config ? { config: pick.config } : {}),
    cases,
  };
  writeFileSync(join(target, 'cases.json'), `${JSON.stringify(json, null, 2)}\n`);
  console.log(`${target}: ${cases.length} cases, ${stored.size} files`);
}
