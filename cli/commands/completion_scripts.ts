/**
 * The completion scripts of `faaso completions`, written from a
 * {@linkcode CompletionSpec}: bash (`complete -F`), zsh (the same function
 * through zsh's bashcompinit) and fish (`complete -c`).
 *
 * @module
 */
import type { CommandSpec, CompletionSpec, OptionSpec } from "./completions.ts";

/** The bash script: `source <(faaso completions bash)`. */
export function bashScript(spec: CompletionSpec): string {
  const all = [...spec.commands, ...spec.commands.flatMap((command) => command.subcommands)];
  const valueFlags = unique(
    [...spec.options, ...all.flatMap((command) => command.options)]
      .filter((option) => option.takesValue).flatMap((option) => option.flags),
  );
  const cases = spec.commands.map((command) => {
    if (command.subcommands.length === 0) return `    ${command.name}) ${caseBody(command)} ;;`;
    const inner = command.subcommands.map((sub) => `        ${sub.name}) ${caseBody(sub)} ;;`).join("\n");
    return [
      `    ${command.name})`,
      `      case $sub in`,
      `        "") options="${flagsOf(command.options)}" words="${
        command.subcommands.map((s) => s.name).join(" ")
      }" ;;`,
      inner,
      `      esac ;;`,
    ].join("\n");
  }).join("\n");
  return `# faaso completions for bash. Load with: source <(faaso completions bash)
_faaso() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
  local command="" sub="" skip="" i word options="" words="" argument=none
  local value_flags=" ${valueFlags.join(" ")} "
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
    if [[ -n $skip ]]; then skip=""; continue; fi
    case $word in
      -*) [[ $value_flags == *" $word "* ]] && skip=1 ;;
      *) if [[ -z $command ]]; then command=$word; elif [[ -z $sub ]]; then sub=$word; fi ;;
    esac
  done
  case $prev in
    -r|--runtime) COMPREPLY=($(compgen -W "${spec.runtimes.join(" ")}" -- "$cur")); return ;;
  esac
  if [[ $value_flags == *" $prev "* ]]; then COMPREPLY=($(compgen -f -- "$cur")); return; fi
  case $command in
    "") options="${flagsOf(spec.options)}" words="${[...spec.commands.map((c) => c.name), "help"].join(" ")}" ;;
${cases}
    help) words="${spec.commands.map((c) => c.name).join(" ")}" ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$options" -- "$cur"))
  elif [[ $argument == folders ]]; then
    COMPREPLY=($(compgen -d -- "$cur"))
  elif [[ $argument == funkos ]]; then
    COMPREPLY=()
    for word in $(compgen -d -- "$cur"); do [[ -f $word/funko.yml ]] && COMPREPLY+=("$word"); done
  else
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
  fi
}
complete -F _faaso faaso
`;
}

/** The zsh script: the bash function, through zsh's own bashcompinit. */
export function zshScript(spec: CompletionSpec): string {
  return `#compdef faaso
# faaso completions for zsh. Load with: source <(faaso completions zsh)
(( $+functions[compdef] )) || { autoload -U +X compinit && compinit; }
autoload -U +X bashcompinit && bashcompinit
${bashScript(spec).split("\n").slice(1).join("\n")}`;
}

/** The fish script: `faaso completions fish > ~/.config/fish/completions/faaso.fish`. */
export function fishScript(spec: CompletionSpec): string {
  const names = spec.commands.map((c) => c.name);
  const lines = ["# faaso completions for fish", "complete -c faaso -f"];
  for (const option of spec.options) lines.push(fishOption("__fish_use_subcommand", option, spec));
  for (const command of spec.commands) {
    lines.push(`complete -c faaso -n __fish_use_subcommand -a ${command.name} -d ${quote(command.summary)}`);
  }
  lines.push(`complete -c faaso -n '__fish_seen_subcommand_from help' -a ${quote(names.join(" "))}`);
  for (const command of spec.commands) {
    const seen = `__fish_seen_subcommand_from ${command.name}`;
    for (const option of command.options) lines.push(fishOption(seen, option, spec));
    if (command.argument === "folders" || command.argument === "funkos") {
      lines.push(`complete -c faaso -n ${quote(seen)} -a '(__fish_complete_directories)'`);
    }
    if (command.argument === "words") {
      lines.push(`complete -c faaso -n ${quote(seen)} -a ${quote(command.words.join(" "))}`);
    }
    const subs = command.subcommands.map((sub) => sub.name).join(" ");
    for (const sub of command.subcommands) {
      const noSub = `${seen}; and not __fish_seen_subcommand_from ${subs}`;
      lines.push(`complete -c faaso -n ${quote(noSub)} -a ${sub.name} -d ${quote(sub.summary)}`);
      for (const option of sub.options) {
        lines.push(fishOption(`${seen}; and __fish_seen_subcommand_from ${sub.name}`, option, spec));
      }
    }
  }
  return `${lines.join("\n")}\n`;
}

function caseBody(command: CommandSpec): string {
  const words = command.words.length ? ` words="${command.words.join(" ")}"` : "";
  return `options="${flagsOf(command.options)}" argument=${command.argument}${words}`;
}

function flagsOf(options: OptionSpec[]): string {
  return options.flatMap((option) => option.flags).join(" ");
}

function fishOption(condition: string, option: OptionSpec, spec: CompletionSpec): string {
  const parts = [`complete -c faaso -n ${quote(condition)}`];
  for (const flag of option.flags) parts.push(flag.startsWith("--") ? `-l ${flag.slice(2)}` : `-s ${flag.slice(1)}`);
  if (option.flags.includes("--runtime")) parts.push(`-x -a ${quote(spec.runtimes.join(" "))}`);
  else if (option.takesValue) parts.push("-r");
  parts.push(`-d ${quote(option.description)}`);
  return parts.join(" ");
}

function quote(text: string): string {
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
