import type { DrillbotConfig, SeverityOrOff } from './config.js';
import type { Hazard } from './hazards.js';
import type { Finding } from './report/report.js';

/** The configured severity of a rule (or hazard) in a file, or undefined for the default. */
export type SeverityResolver = (rule: string, hazard: Hazard, path: string) => SeverityOrOff | undefined;

/** Overrides for matching files win (the last one first), then `rules`; rule ids before hazards. */
export function severityResolver(config: Pick<DrillbotConfig, 'rules' | 'overrides'>): SeverityResolver {
  const overrides = config.overrides.map((o) => ({ matches: globsMatcher(o.files), rules: o.rules })).reverse();
  return (rule, hazard, path) => {
    for (const o of overrides) {
      if (o.matches(path) && (o.rules[rule] ?? o.rules[hazard])) return o.rules[rule] ?? o.rules[hazard];
    }
    return config.rules[rule] ?? config.rules[hazard];
  };
}

/** Applies configured severities to findings that did not come from rules (the drill's, the layout's); 'off' drops them. */
export function applySeverities(findings: readonly Finding[], resolve: SeverityResolver): Finding[] {
  return findings.flatMap((f) => {
    // Drillbot's own failures always fail closed, whatever the configuration says.
    if (f.hazard === 'infra') return [f];
    const severity = resolve(f.rule, f.hazard, f.path);
    if (severity === 'off') return [];
    return [severity ? { ...f, severity } : f];
  });
}

/** A matcher for `*` (within a path segment), `**` (across segments) and `?` globs. */
export function globsMatcher(globs: readonly string[]): (path: string) => boolean {
  const patterns = globs.map(globToRegExp);
  return (path) => patterns.some((p) => p.test(path));
}

function globToRegExp(glob: string): RegExp {
  let pattern = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` matches zero or more directories.
      pattern += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') pattern += '[^/]*';
    else if (c === '?') pattern += '[^/]';
    else pattern += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${pattern}$`);
}
