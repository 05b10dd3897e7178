// The command line's conventions in one place: every command declares its
// options once (type, default, range, help), and that one table gives the
// parser, the validation of every value before any work starts, and the
// `--help` text. Exit codes: 0 success, 1 a failure while working (a bad
// file, a non-finite loss), 2 a usage error (an unknown or malformed option,
// a value out of range), reported as one line and the command's usage.

import { parseArgs } from 'node:util';

/** A usage error: the command line itself is wrong (exit code 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** One option of a command. */
export type OptionSpec =
  | { type: 'int'; default?: number; min?: number; max?: number; help: string; arg?: string }
  | { type: 'number'; default?: number; min?: number; max?: number; above?: number; below?: number; help: string; arg?: string }
  | { type: 'string'; default?: string; help: string; arg?: string }
  | { type: 'enum'; values: readonly string[]; default?: string; help: string }
  /** Positive integers separated by commas; `length` of them when given. */
  | { type: 'list'; length?: number; help: string; arg?: string }
  | { type: 'boolean'; help: string };

/** A command: its name, what it does, its positional arguments and its options. */
export interface CommandSpec<O extends Record<string, OptionSpec>> {
  name: string;
  summary: string;
  /** Positional arguments as shown in the usage line ('IMAGE...'), or none. */
  positionals?: { usage: string; min: number; max?: number };
  options: O;
}

type ValueOf<S> = S extends { type: 'int' | 'number' } ? number
  : S extends { type: 'boolean' } ? boolean
  : S extends { type: 'list' } ? number[]
  : string;

/** The parsed values: options with a default (and booleans) always set, the others possibly undefined. */
export type Values<O extends Record<string, OptionSpec>> = {
  [K in keyof O]: O[K] extends { type: 'boolean' } ? boolean : O[K] extends { default: unknown } ? ValueOf<O[K]> : ValueOf<O[K]> | undefined;
};

/** What parseCommand returns: the values, the positionals, and which options the user gave. */
export interface Parsed<O extends Record<string, OptionSpec>> {
  values: Values<O>;
  positionals: string[];
  given: Set<keyof O & string>;
}

function describeRange(s: OptionSpec): string {
  if (s.type === 'int') return `an integer${s.min !== undefined ? ` >= ${s.min}` : ''}${s.max !== undefined ? ` and <= ${s.max}` : ''}`;
  if (s.type === 'number') {
    const parts = [s.min !== undefined ? `>= ${s.min}` : '', s.max !== undefined ? `<= ${s.max}` : '', s.above !== undefined ? `> ${s.above}` : '', s.below !== undefined ? `< ${s.below}` : ''].filter(Boolean);
    return `a number${parts.length ? ` ${parts.join(' and ')}` : ''}`;
  }
  if (s.type === 'enum') return `one of ${s.values.join(', ')}`;
  if (s.type === 'list') return `${s.length ?? 'one or more'} positive integers separated by commas`;
  return 'a value';
}

/** Converts and range-checks one option's text; a UsageError names the option, what it got and what it takes. */
export function convertOption(name: string, s: OptionSpec, text: string): number | string | number[] {
  const bad = () => new UsageError(`--${name} must be ${describeRange(s)}, got '${text}'`);
  switch (s.type) {
    case 'int': {
      const n = text.trim() === '' ? NaN : Number(text);
      if (!Number.isInteger(n) || (s.min !== undefined && n < s.min) || (s.max !== undefined && n > s.max)) throw bad();
      return n;
    }
    case 'number': {
      const n = text.trim() === '' ? NaN : Number(text);
      if (!Number.isFinite(n) || (s.min !== undefined && n < s.min) || (s.max !== undefined && n > s.max)
        || (s.above !== undefined && !(n > s.above)) || (s.below !== undefined && !(n < s.below))) throw bad();
      return n;
    }
    case 'enum':
      if (!s.values.includes(text)) throw bad();
      return text;
    case 'list': {
      const a = text.split(',').map((t) => (t.trim() === '' ? NaN : Number(t)));
      if ((s.length !== undefined && a.length !== s.length) || !a.every((x) => Number.isInteger(x) && x >= 1)) throw new UsageError(`--${name} takes ${describeRange(s)}, got '${text}'`);
      return a;
    }
    default:
      return text;
  }
}

/** Parses and validates argv for a command; throws UsageError on anything malformed. */
export function parseCommand<O extends Record<string, OptionSpec>>(cmd: CommandSpec<O>, argv: string[]): Parsed<O> {
  const config: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const [k, s] of Object.entries(cmd.options)) config[k] = { type: s.type === 'boolean' ? 'boolean' : 'string' };
  // node:util reads '--lr -1' as an option followed by an unknown flag: join a negative number to its option.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : undefined;
    if (name && cmd.options[name] && cmd.options[name].type !== 'boolean' && /^-\d|^-\.\d/.test(argv[i + 1] ?? '')) args.push(`${argv[i]}=${argv[++i]}`);
    else args.push(argv[i]);
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options: config, allowPositionals: true, strict: true });
  } catch (e) {
    // node:util's messages are long and name its own API; keep the part that says what was wrong.
    const msg = (e as Error).message;
    const unknown = /Unknown option '([^']+)'/.exec(msg);
    if (unknown) throw new UsageError(`unknown option '${unknown[1]}'`);
    const missing = /Option '(--[a-z-]+)[^']*' argument missing/.exec(msg);
    if (missing) throw new UsageError(`option '${missing[1]}' needs a value`);
    throw new UsageError(msg.split('\n')[0]);
  }
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  for (const [k, s] of Object.entries(cmd.options)) {
    const raw = (parsed.values as Record<string, unknown>)[k];
    if (raw !== undefined) given.add(k);
    if (s.type === 'boolean') values[k] = raw === true;
    else if (raw !== undefined) values[k] = convertOption(k, s, raw as string);
    else values[k] = 'default' in s ? s.default : undefined;
  }
  const positionals = parsed.positionals;
  if (!cmd.positionals && positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (cmd.positionals && positionals.length < cmd.positionals.min) throw new UsageError(`needs ${cmd.positionals.usage}`);
  if (cmd.positionals?.max !== undefined && positionals.length > cmd.positionals.max) throw new UsageError(`takes one ${cmd.positionals.usage}, got '${positionals.join(' ')}'`);
  return { values: values as Values<O>, positionals, given: given as Set<keyof O & string> };
}

/** The usage line of a command: `alexnet train [options]`, with its positionals. */
export function usageLine(cmd: CommandSpec<Record<string, OptionSpec>>): string {
  return `usage: alexnet ${cmd.name}${cmd.positionals ? ` ${cmd.positionals.usage}` : ''} [options]`;
}

/** The `--help` text of a command: usage, summary, then every option with its argument, default and meaning. */
export function helpText(cmd: CommandSpec<Record<string, OptionSpec>>): string {
  const rows = Object.entries(cmd.options).map(([k, s]) => {
    const arg = s.type === 'boolean' ? '' : s.type === 'enum' ? ` ${s.values.join('|')}` : ` ${'arg' in s && s.arg ? s.arg : s.type === 'list' ? 'A,B,...' : s.type === 'string' ? 'TEXT' : 'N'}`;
    const def = 'default' in s && s.default !== undefined ? ` (default ${s.default})` : '';
    return [`  --${k}${arg}`, `${s.help}${def}`];
  });
  rows.push(['  --help', 'this text']);
  const w = Math.max(...rows.map((r) => r[0].length)) + 2;
  return [usageLine(cmd), '', cmd.summary, '', 'options:', ...rows.map(([a, b]) => a.padEnd(w) + b)].join('\n');
}
