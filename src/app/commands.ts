/** Slash-commands in pull-request comments: `/drillbot <command> [args]` on the comment's first command line. */
export type Command =
  | { kind: 'run' }
  | { kind: 'help' }
  | { kind: 'reverse' }
  | { kind: 'explain'; target: string }
  | { kind: 'ack'; target: string; reason: string }
  | { kind: 'invalid'; problem: string };

/** Commands that change the check's outcome or spend a drill: they need write access to the repository. */
export const PRIVILEGED: ReadonlySet<Command['kind']> = new Set(['run', 'ack', 'reverse']);

const PREFIX = /^\s*\/drillbot(?:\s+|$)(.*)$/i;

/**
 * Finds the command in a comment body, or null when the comment holds none (most comments).
 * Only a line that starts with `/drillbot` counts, so quoting a command ("> /drillbot run") does nothing.
 */
export function parseCommand(body: string | null | undefined): Command | null {
  if (!body) return null;
  const lines = body.replace(/\r\n?/g, '\n').split('\n');
  const index = lines.findIndex((l) => PREFIX.test(l));
  if (index < 0) return null;
  const rest = PREFIX.exec(lines[index])![1].trim();
  const [word = '', ...args] = rest.split(/\s+/).filter(Boolean);
  switch (word.toLowerCase()) {
    case '':
    case 'help':
      return { kind: 'help' };
    case 'run':
    case 'rerun':
      return { kind: 'run' };
    case 'reverse':
      return { kind: 'reverse' };
    case 'explain':
      return args[0]
        ? { kind: 'explain', target: args[0].toLowerCase() }
        : { kind: 'invalid', problem: '`/drillbot explain` needs a rule id or a hazard, e.g. `/drillbot explain blocking-index`.' };
    case 'ack': {
      const target = args[0]?.toLowerCase();
      // The reason may go on across the following lines of the comment.
      const reason = [args.slice(1).join(' '), ...lines.slice(index + 1)].join(' ').replace(/\s+/g, ' ').trim();
      if (!target)
        return { kind: 'invalid', problem: '`/drillbot ack` needs a hazard or rule id and a reason: `/drillbot ack <hazard-or-rule> <why this is safe>`.' };
      if (!reason)
        return {
          kind: 'invalid',
          problem: `\`/drillbot ack ${target}\` needs a reason: \`/drillbot ack ${target} <why this is safe>\`. An acknowledgement without a reason acknowledges nothing.`,
        };
      return { kind: 'ack', target, reason: reason.slice(0, 500) };
    }
    default:
      return { kind: 'invalid', problem: `Unknown command \`${word.slice(0, 40)}\`.` };
  }
}

/** The reply to `/drillbot help` (and to an unknown command). */
export const HELP = [
  'Drillbot commands (in a comment on the pull request):',
  '',
  '| command | what it does | who |',
  '| --- | --- | --- |',
  '| `/drillbot run` | runs the rollback drill again on the head commit | write access |',
  '| `/drillbot ack <hazard-or-rule> <reason>` | acknowledges the findings of that hazard or rule id with a reason; they stop failing the check while their statements stay unchanged | write access |',
  '| `/drillbot explain <rule-or-hazard>` | explains a rule or a hazard | anyone |',
  '| `/drillbot reverse` | posts the reverse migrations Drillbot drafted for forward migrations without one, each proven by the drill (or why none could be offered) | write access |',
  '| `/drillbot help` | this table | anyone |',
].join('\n');
