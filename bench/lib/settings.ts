// Settings of a run: whole numbers from the environment, and the command-line flags every entry point takes.
import { parseArgs } from 'node:util';

/** The command-line flags of `npm run bench`, `npm run load` and `npm run size`. */
export interface Flags {
  /**
   * `--quick`: short durations and few repetitions for every figure (a check that everything runs, not a
   * record); the environment still overrides each setting.
   */
  readonly quick: boolean;
  /** `--record`: also write the committed record (bench/results.md, load.md, size.md). */
  readonly record: boolean;
}

/** Reads `--quick` and `--record`; anything else ends the process with the usage (exit code 2). */
export function parseFlags(usage: string, args: readonly string[] = process.argv.slice(2)): Flags {
  try {
    const { values } = parseArgs({
      args: [...args],
      options: { quick: { type: 'boolean', default: false }, record: { type: 'boolean', default: false } },
      strict: true,
      allowPositionals: false,
    });
    return { quick: values.quick === true, record: values.record === true };
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\nusage: ${usage}`);
    process.exit(2);
  }
}

/** A whole number from the environment variable `name`, at least `min`, else `fallback`. */
export function envNumber(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name} must be a whole number ≥ ${min}, not ${raw}`);
  return value;
}

/** A comma-separated list from the environment (`undefined` when not set or empty). */
export function envList(name: string): string[] | undefined {
  const list = (process.env[name] ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  return list.length > 0 ? list : undefined;
}
