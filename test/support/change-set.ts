import type { ChangeSet } from '../../src/core/change-set/change-set.js';

/** Builds a ChangeSet from file maps: `base` files exist on both sides unless `head` overrides them. */
export function changeSetOf(root: string, base: Record<string, string>, added: Record<string, string>, removed: string[] = []): ChangeSet {
  const files = (entries: Record<string, string>) => Object.entries(entries).map(([name, content]) => ({ path: `${root}/${name}`, content }));
  const head = { ...base, ...added };
  for (const name of removed) delete head[name];
  return { base: { root, files: files(base) }, head: { root, files: files(head) } };
}
