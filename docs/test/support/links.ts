import { posix } from 'node:path';
import type { MarkdownPage } from './markdown.js';
import { folderOf, foldersOf } from './repo.js';

const EXTERNAL = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;

/** Checks relative links of Markdown pages against the files of one repository. */
export interface LinkChecker {
  /**
   * Why `href`, written in the page `from`, points at nothing, or `undefined` when it points at a file or
   * folder of the repository (and, for a Markdown page with a `#fragment`, at an anchor the page has).
   * Links with a scheme (`https:`, `mailto:`) are not checked.
   */
  broken(from: string, href: string): string | undefined;
}

/**
 * A checker over `files` (repo-relative POSIX paths) and the parsed Markdown `pages` among them.
 *
 * @example
 * linkChecker(files, pages).broken('README.md', 'docs/nope.md') // 'docs/nope.md does not exist'
 */
export function linkChecker(files: readonly string[], pages: ReadonlyMap<string, MarkdownPage>): LinkChecker {
  const existing = new Set(files);
  const folders = foldersOf(files);
  return {
    broken(from, href) {
      if (EXTERNAL.test(href)) return undefined;
      const hashAt = href.indexOf('#');
      const rawPath = (hashAt === -1 ? href : href.slice(0, hashAt)).split('?')[0] as string;
      if (rawPath.startsWith('/')) return `${href}: root-relative; write the link relative to ${from}`;
      let path: string;
      let fragment: string | undefined;
      try {
        path = decodeURIComponent(rawPath);
        fragment = hashAt === -1 ? undefined : decodeURIComponent(href.slice(hashAt + 1));
      } catch {
        return `${href}: malformed percent-encoding`;
      }
      const joined = path === '' ? from : posix.normalize(posix.join(folderOf(from), path));
      const target = joined === '.' || joined === './' ? '' : joined.replace(/\/$/, '');
      if (target === '..' || target.startsWith('../')) return `${href}: outside the repository`;
      if (!existing.has(target) && !folders.has(target)) return `${href}: ${target || '.'} does not exist`;
      const page = pages.get(target);
      if (fragment && page && !page.anchors.has(fragment))
        return `${href}: ${target} has no anchor #${fragment}`;
      return undefined;
    },
  };
}
