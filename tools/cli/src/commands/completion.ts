// `codeframe completion bash|zsh|fish`: a shell script completing the commands, their
// options and arguments, generated from the command table (a new command completes too).

import { Argument, type Command, type Option } from 'commander';
import { Exit } from '../cli-error.js';
import type { DefineCommand } from '../command-table.js';

interface Flag {
  names: string[];
  summary: string;
  takesValue: boolean;
  /** The values it takes, `--review <on|off>`: on, off. */
  values: string[];
  file: boolean;
}

interface Verb {
  name: string;
  summary: string;
  flags: Flag[];
  /** Its first argument: a file, or one of these values. */
  file: boolean;
  values: string[];
}

const flagOf = (option: Option): Flag => {
  const placeholder = /[<[]([^>\]]*)[>\]]/.exec(option.flags)?.[1] ?? '';
  return {
    names: [option.short, option.long].filter((n): n is string => Boolean(n)),
    summary: option.description,
    takesValue: option.required || option.optional,
    values: option.argChoices ?? (placeholder.includes('|') ? placeholder.split('|') : []),
    file: /file/.test(placeholder),
  };
};

/** The program's commands as completion needs them. */
function verbs(program: Command): { verbs: Verb[]; global: Flag[] } {
  const help = program.createHelp();
  const names = help.visibleCommands(program).map((c) => c.name());
  const global = help.visibleOptions(program).map(flagOf);
  return {
    global,
    verbs: help.visibleCommands(program).map((command) => {
      const first = command.registeredArguments[0];
      const own = help.visibleOptions(command).map(flagOf);
      const taken = new Set(own.flatMap((f) => f.names));
      // The global options but --version (and those the command has itself: --help).
      const inherited = global.filter(
        (g) => !g.names.includes('--version') && !g.names.some((n) => taken.has(n)),
      );
      return {
        name: command.name(),
        summary: command.summary() || command.description(),
        flags: [...own, ...inherited],
        file: first ? /file|\.md$/.test(first.name()) : false,
        values: command.name() === 'help' ? names : (first?.argChoices ?? []),
      };
    }),
  };
}

export function bashCompletion(program: Command): string {
  const { verbs: all, global } = verbs(program);
  const flags = [...global, ...all.flatMap((v) => v.flags)];
  const valued = [...new Set(flags.filter((f) => f.takesValue).flatMap((f) => f.names))];
  const valueCases = flags
    .filter((f) => f.takesValue)
    .map((f) => {
      const reply = f.values.length
        ? `COMPREPLY=($(compgen -W '${f.values.join(' ')}' -- "$cur"))`
        : f.file
          ? 'mapfile -t COMPREPLY < <(compgen -f -- "$cur")'
          : 'COMPREPLY=()';
      return `    ${f.names.join('|')}) ${reply}; return ;;`;
    });
  const commandCases = all.map((v) => {
    return `    ${v.name}) options='${v.flags.flatMap((f) => f.names).join(' ')}' file=${v.file ? 1 : ''} values='${v.values.join(' ')}' ;;`;
  });
  return `# bash completion for codeframe. Load it with: source <(codeframe completion bash)
_codeframe() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev= command= options= file= values= i word
  (( COMP_CWORD > 0 )) && prev=\${COMP_WORDS[COMP_CWORD-1]}
  local valued=' ${valued.join(' ')} '
  for (( i = 1; i < COMP_CWORD; i++ )); do
    word=\${COMP_WORDS[i]}
    if [[ $word == -* ]]; then
      [[ $valued == *" $word "* ]] && (( i++ ))
    else
      command=$word
      break
    fi
  done
  case $prev in
${[...new Set(valueCases)].join('\n')}
  esac
  if [[ -z $command ]]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W '${global.flatMap((f) => f.names).join(' ')}' -- "$cur"))
    else
      COMPREPLY=($(compgen -W '${all.map((v) => v.name).join(' ')}' -- "$cur"))
    fi
    return
  fi
  case $command in
${commandCases.join('\n')}
    *) return ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$options" -- "$cur"))
  elif (( i == COMP_CWORD - 1 )) && [[ -n $file ]]; then
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  elif (( i == COMP_CWORD - 1 )) && [[ -n $values ]]; then
    COMPREPLY=($(compgen -W "$values" -- "$cur"))
  else
    COMPREPLY=()
  fi
}
complete -F _codeframe codeframe
`;
}

/** zsh runs the bash completion through its bashcompinit. */
export function zshCompletion(program: Command): string {
  return `#compdef codeframe
# zsh completion for codeframe. Load it with: source <(codeframe completion zsh)
autoload -U +X compinit && { (( $+functions[compdef] )) || compinit -u; }
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program).replace(/^# bash completion.*\n/, '')}`;
}

const fishQuote = (text: string) => `'${text.replace(/[\\']/g, '\\$&')}'`;

export function fishCompletion(program: Command): string {
  const { verbs: all, global } = verbs(program);
  const flagLine = (f: Flag, condition: string) => {
    const names = f.names.map((n) =>
      n.startsWith('--') ? `-l ${n.slice(2)}` : `-s ${n.slice(1)}`,
    );
    const value = !f.takesValue
      ? ''
      : f.values.length
        ? ` -x -a ${fishQuote(f.values.join(' '))}`
        : f.file
          ? ' -r -F'
          : ' -x';
    return `complete -c codeframe${condition} ${names.join(' ')}${value} -d ${fishQuote(f.summary)}`;
  };
  return [
    '# fish completion for codeframe. Load it with: codeframe completion fish | source',
    'complete -c codeframe -f',
    ...all.map(
      (v) =>
        `complete -c codeframe -n __fish_use_subcommand -a ${v.name} -d ${fishQuote(v.summary)}`,
    ),
    ...global.map((f) => flagLine(f, ' -n __fish_use_subcommand')),
    ...all.flatMap((v) => {
      const when = ` -n ${fishQuote(`__fish_seen_subcommand_from ${v.name}`)}`;
      return [
        ...v.flags.map((f) => flagLine(f, when)),
        ...(v.file ? [`complete -c codeframe${when} -F`] : []),
        ...(v.values.length
          ? [`complete -c codeframe${when} -a ${fishQuote(v.values.join(' '))}`]
          : []),
      ];
    }),
    '',
  ].join('\n');
}

const SCRIPTS = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion };

export function completionCommands(define: DefineCommand): void {
  define(
    'completion',
    'print a shell completion script (bash, zsh or fish)',
    async (ctx, [shell], _options, command) => {
      ctx.out(SCRIPTS[shell as keyof typeof SCRIPTS](command.parent!));
      return Exit.Ok;
    },
    { needs: 'a shell: bash, zsh or fish', lead: false },
  ).addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(Object.keys(SCRIPTS)));
}
