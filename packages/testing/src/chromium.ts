import { type Browser, chromium } from 'playwright-core';
import { chromiumPath } from './services.js';

/** Flags for the system Chromium on this machine's closed network (see DEVELOPERS.md). */
export const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
]);

/**
 * Launches the system Chromium (`CHROMIUM_PATH` or `/usr/bin/chromium`) headless through playwright-core,
 * with {@link CHROMIUM_ARGS} and `extraArgs`. Never a downloaded browser.
 *
 * @example
 * const browser = await launchChromium();
 * const reporting = await launchChromium(['--short-reporting-delay']);
 */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath)
    throw new Error('Chromium is not installed (apt-get install -y chromium, or set CHROMIUM_PATH)');
  return chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
}
