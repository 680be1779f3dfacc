/**
 * `copro completion bash|zsh|fish`: shell completion generated from the commander program itself, so a new
 * command or option is completed without anyone remembering to edit a script. Static words only (commands,
 * subcommands, options); file arguments fall back to the shell's own file completion.
 */
import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import { CliError } from '../cli-error.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

interface Node {
  path: string[];
  subcommands: string[];
  options: string[];
}

/**
 * Every command path with its direct subcommands and its long/short option flags. The program's own options
 * (`copro --json plan`) are offered before the subcommand only: after it, each command takes its own (main.ts).
 */
export function commandTree(program: Command): Node[] {
  const out: Node[] = [];
  const walk = (c: Command, p: string[]) => {
    out.push({ path: p, subcommands: c.commands.map((s) => s.name()), options: [...new Set([...flagsOf(c), '--help'])] });
    for (const s of c.commands) walk(s, [...p, s.name()]);
  };
  walk(program, []);
  return out;
}

function flagsOf(c: Command): string[] {
  return c.options.flatMap((o) => [o.long, o.short].filter((f): f is string => typeof f === 'string'));
}

const shq = (words: string[]) => words.join(' ');

export function completionScript(shell: Shell, program: Command): string {
  const tree = commandTree(program);
  const name = program.name();
  if (shell === 'bash' || shell === 'zsh') {
    // One function for both: zsh runs it through bashcompinit.
    const cases = tree
      .map((n) => `    "${n.path.join(' ')}") words="${shq([...n.subcommands, ...n.options])}" ;;`)
      .join('\n');
    const head = shell === 'zsh' ? 'autoload -U +X bashcompinit && bashcompinit\n' : '';
    return `# ${name} completion for ${shell}: eval "$(${name} completion ${shell})"
${head}_${name}_complete() {
  local cur path="" w i words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    case " $(_${name}_subs "$path") " in *" $w "*) path="\${path:+$path }$w" ;; esac
  done
  case "$path" in
${cases}
    *) words="" ;;
  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
  [[ \${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=( $(compgen -f -- "$cur") )
  return 0
}
_${name}_subs() {
  case "$1" in
${tree.map((n) => `    "${n.path.join(' ')}") echo "${shq(n.subcommands)}" ;;`).join('\n')}
  esac
}
complete -F _${name}_complete ${name}
`;
  }
  const lines = [`# ${name} completion for fish: ${name} completion fish | source`, `complete -c ${name} -f`];
  for (const n of tree) {
    const cond = n.path.length === 0 ? '__fish_use_subcommand' : `__fish_seen_subcommand_from ${n.path[n.path.length - 1]}`;
    for (const s of n.subcommands) lines.push(`complete -c ${name} -n '${cond}' -a ${s}`);
    for (const o of n.options) {
      if (o.startsWith('--')) lines.push(`complete -c ${name} -n '${cond}' -l ${o.slice(2)}`);
      else lines.push(`complete -c ${name} -n '${cond}' -s ${o.slice(1)}`);
    }
  }
  return lines.join('\n') + '\n';
}

export function completionCommand(shell: string, program: Command): number {
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw new CliError(`unknown shell ${JSON.stringify(shell)}`, EXIT.INVALID_INPUT, `choose one of ${SHELLS.join(', ')}`);
  }
  process.stdout.write(completionScript(shell as Shell, program));
  return EXIT.OK;
}
