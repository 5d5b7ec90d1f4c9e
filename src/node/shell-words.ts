/**
 * A small POSIX-shell tokenizer, enough to find `sysctl` and `echo … > /proc/sys/…` inside a container's
 * `sh -c` script. No shell-words package is installed in this project, so this follows the token rules of
 * POSIX.1-2017 XCU §2.3 ("Token Recognition") and §2.2 ("Quoting") directly:
 *
 * - single quotes keep everything literally; double quotes keep everything except `\` before `$ \` " \\ newline`;
 *   an unquoted `\` quotes the next character; `\`+newline is a line continuation and disappears;
 * - operators `; & && | || ;; ( ) < > >> >| <& >& <> << <<-` (and bash's `&> &>> |&`) end a word; a word of
 *   digits directly followed by `<` or `>` is an IO_NUMBER (`2>`, `1>`), not an argument;
 * - an unquoted `#` at the start of a word starts a comment to the end of the line;
 * - here-document bodies (`<<EOF … EOF`) are skipped, not read as commands.
 *
 * Parameter expansion, command substitution and arithmetic (`$X`, `${X}`, `$(…)`, `` `…` ``, `$((…))`) are not
 * performed: their text is kept as written and the word is marked `dynamic`, because its value is not known
 * statically. Bash's `$'…'` (ANSI-C quoting) is decoded. Nothing here throws: unterminated quotes run to the
 * end of the input.
 */

/** A word after quote removal. */
export interface ShellWord {
  kind: 'word';
  /** The word's value after quote removal; expansions are kept as written. */
  text: string;
  /** True when the word contains an expansion (`$…`, `` `…` ``) whose value is unknown statically. */
  dynamic: boolean;
  /** 0-based offset in the script (UTF-16 code units) where the word starts. */
  offset: number;
}

/** A control or redirection operator; `'\n'` stands for a newline (a command separator). */
export interface ShellOp {
  kind: 'op';
  op: string;
  /** File descriptor written before a redirection operator (`2>` → 2); absent when none was written. */
  fd?: number;
  /** 0-based offset in the script (UTF-16 code units). */
  offset: number;
}

export type ShellToken = ShellWord | ShellOp;

/** Operators, longest first so that the first match is the longest (POSIX XCU §2.3 rule 2). */
const OPERATORS = ['<<-', '&>>', '&&', '||', ';;', '>>', '>|', '<&', '>&', '<>', '<<', '&>', '|&', ';', '&', '|', '(', ')', '<', '>'];
const OPERATOR_START = new Set([';', '&', '|', '<', '>', '(', ')']);
const REDIRECTIONS = new Set(['<', '>', '>>', '>|', '<&', '>&', '<>', '<<', '<<-', '&>', '&>>']);

/** True for a redirection operator (as opposed to a control operator). */
export function isRedirection(op: string): boolean {
  return REDIRECTIONS.has(op);
}

/**
 * Split a shell script into words and operators.
 *
 * @param script the script text, e.g. the string after `sh -c`.
 * @returns tokens in order; newlines appear as `{kind:'op', op:'\n'}`.
 */
export function tokenizeShell(script: string): ShellToken[] {
  const tokens: ShellToken[] = [];
  const n = script.length;
  let i = 0;
  let text = '';
  let dynamic = false;
  let quoted = false;
  let start = -1;

  const finish = (): void => {
    if (start >= 0) tokens.push({ kind: 'word', text, dynamic, offset: start });
    text = '';
    dynamic = false;
    quoted = false;
    start = -1;
  };
  const begin = (): void => {
    if (start < 0) start = i;
  };

  /** Consume an expansion starting at `script[i] === '$'` or '`'; returns its raw text. */
  const readExpansion = (): string => {
    const from = i;
    if (script[i] === '`') {
      i++;
      while (i < n && script[i] !== '`') i += script[i] === '\\' ? 2 : 1;
      i = Math.min(n, i + 1);
      return script.slice(from, i);
    }
    // script[i] === '$'
    const next = script[i + 1];
    if (next === '(' || next === '{') {
      const open = next;
      const close = open === '(' ? ')' : '}';
      let depth = 0;
      i++;
      while (i < n) {
        const c = script[i];
        if (c === '\\') {
          i += 2;
          continue;
        }
        if (c === "'") {
          const end = script.indexOf("'", i + 1);
          i = end < 0 ? n : end + 1;
          continue;
        }
        if (c === open) depth++;
        else if (c === close) {
          depth--;
          if (depth === 0) {
            i++;
            break;
          }
        }
        i++;
      }
      return script.slice(from, i);
    }
    i++;
    if (next !== undefined && /[A-Za-z_]/.test(next)) {
      while (i < n && /[A-Za-z0-9_]/.test(script[i]!)) i++;
    } else if (next !== undefined && /[0-9@*#?$!-]/.test(next)) {
      i++;
    }
    return script.slice(from, i);
  };

  /** After a newline: skip the bodies of here-documents opened on the line that just ended. */
  const skipHereDocs = (lineTokensFrom: number): void => {
    const delimiters: { word: string; stripTabs: boolean }[] = [];
    for (let t = lineTokensFrom; t < tokens.length - 1; t++) {
      const tok = tokens[t]!;
      const next = tokens[t + 1]!;
      if (tok.kind === 'op' && (tok.op === '<<' || tok.op === '<<-') && next.kind === 'word') {
        delimiters.push({ word: next.text, stripTabs: tok.op === '<<-' });
      }
    }
    for (const d of delimiters) {
      while (i < n) {
        let end = script.indexOf('\n', i);
        if (end < 0) end = n;
        let line = script.slice(i, end);
        if (d.stripTabs) line = line.replace(/^\t+/, '');
        i = Math.min(n, end + 1);
        if (line === d.word) break;
      }
    }
  };

  let lineStart = 0; // index in `tokens` of the first token of the current line
  while (i < n) {
    const c = script[i]!;
    if (c === '\\' && script[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (c === '\n') {
      finish();
      tokens.push({ kind: 'op', op: '\n', offset: i });
      i++;
      skipHereDocs(lineStart);
      lineStart = tokens.length;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      finish();
      i++;
      continue;
    }
    if (c === '#' && start < 0) {
      while (i < n && script[i] !== '\n') i++;
      continue;
    }
    if (OPERATOR_START.has(c)) {
      let fd: number | undefined;
      if ((c === '<' || c === '>') && start >= 0 && !quoted && !dynamic && /^[0-9]+$/.test(text)) {
        fd = Number(text);
        text = '';
        start = -1;
      } else {
        finish();
      }
      const op = OPERATORS.find((o) => script.startsWith(o, i))!;
      tokens.push(fd === undefined ? { kind: 'op', op, offset: i } : { kind: 'op', op, fd, offset: i });
      i += op.length;
      continue;
    }
    begin();
    if (c === "'") {
      quoted = true;
      const end = script.indexOf("'", i + 1);
      const stop = end < 0 ? n : end;
      text += script.slice(i + 1, stop);
      i = end < 0 ? n : end + 1;
      continue;
    }
    if (c === '"') {
      quoted = true;
      i++;
      while (i < n && script[i] !== '"') {
        const d = script[i]!;
        if (d === '\\' && i + 1 < n) {
          const e = script[i + 1]!;
          if (e === '\n') {
            i += 2;
          } else if (e === '$' || e === '`' || e === '"' || e === '\\') {
            text += e;
            i += 2;
          } else {
            text += d;
            i++;
          }
          continue;
        }
        if (d === '$' || d === '`') {
          const raw = readExpansion();
          if (raw === '$') text += raw;
          else {
            text += raw;
            dynamic = true;
          }
          continue;
        }
        text += d;
        i++;
      }
      i++; // closing quote
      continue;
    }
    if (c === '\\') {
      quoted = true;
      if (i + 1 < n) text += script[i + 1];
      i += 2;
      continue;
    }
    if (c === '$' && script[i + 1] === "'") {
      quoted = true;
      i += 2;
      while (i < n && script[i] !== "'") {
        const d = script[i]!;
        if (d === '\\' && i + 1 < n) {
          const e = script[i + 1]!;
          text += ({ n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' } as Record<string, string>)[e] ?? '\\' + e;
          i += 2;
          continue;
        }
        text += d;
        i++;
      }
      i++;
      continue;
    }
    if (c === '$' || c === '`') {
      const raw = readExpansion();
      text += raw;
      if (raw !== '$') dynamic = true;
      continue;
    }
    text += c;
    i++;
  }
  finish();
  return tokens;
}

/** A redirection attached to a simple command, e.g. `> /proc/sys/net/ipv4/tcp_tw_reuse`. */
export interface ShellRedirect {
  op: string;
  fd?: number;
  /** The word after the operator; absent when the script ends or an operator follows. */
  target?: ShellWord;
}

/** A simple command: its words (assignments and reserved words included, as written) and its redirections. */
export interface ShellCommand {
  words: ShellWord[];
  redirects: ShellRedirect[];
}

/** Commands joined by `|` (or `|&`): the output of each feeds the next. */
export interface ShellPipeline {
  commands: ShellCommand[];
}

/**
 * Split a script into pipelines of simple commands. Lists (`;`, `&`, `&&`, `||`, newlines) and
 * grouping (`(`, `)`) separate pipelines; `|` and `|&` join commands within one. Compound-command
 * reserved words (`if`, `then`, `do`, `{`…) stay as the first words of the command that follows them.
 *
 * @param script shell script text.
 */
export function parseShellScript(script: string): ShellPipeline[] {
  const pipelines: ShellPipeline[] = [];
  let commands: ShellCommand[] = [];
  let cmd: ShellCommand = { words: [], redirects: [] };
  const endCommand = (): void => {
    if (cmd.words.length > 0 || cmd.redirects.length > 0) commands.push(cmd);
    cmd = { words: [], redirects: [] };
  };
  const endPipeline = (): void => {
    endCommand();
    if (commands.length > 0) pipelines.push({ commands });
    commands = [];
  };
  const tokens = tokenizeShell(script);
  for (let t = 0; t < tokens.length; t++) {
    const tok = tokens[t]!;
    if (tok.kind === 'word') {
      cmd.words.push(tok);
      continue;
    }
    if (isRedirection(tok.op)) {
      const next = tokens[t + 1];
      const redirect: ShellRedirect = { op: tok.op };
      if (tok.fd !== undefined) redirect.fd = tok.fd;
      if (next?.kind === 'word') {
        redirect.target = next;
        t++;
      }
      cmd.redirects.push(redirect);
      continue;
    }
    if (tok.op === '|' || tok.op === '|&') endCommand();
    else endPipeline();
  }
  endPipeline();
  return pipelines;
}
