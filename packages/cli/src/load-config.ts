import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BffOptions } from '@gatehouse/bff';
import { CliError } from './errors.js';

/**
 * Reads BFF options from a JSON file, or from a JavaScript module exporting `config` (or a default export).
 *
 * @example
 * const options = await loadConfigFile('gatehouse.config.json');
 */
export async function loadConfigFile(path: string): Promise<BffOptions> {
  const file = resolve(path);
  const extension = extname(file);
  try {
    if (extension === '.json') return JSON.parse(await readFile(file, 'utf8')) as BffOptions;
    if (extension === '.js' || extension === '.mjs') {
      const module = (await import(pathToFileURL(file).href)) as {
        config?: BffOptions;
        default?: BffOptions;
      };
      const options = module.config ?? module.default;
      if (!options || typeof options !== 'object') throw new Error('the module exports no `config` object');
      return options;
    }
  } catch (error) {
    throw new CliError(`Cannot read the configuration file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  throw new CliError(`Unsupported configuration file ${path}: use .json, .js or .mjs`);
}
