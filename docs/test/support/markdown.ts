import GithubSlugger from 'github-slugger';
import MarkdownIt, { type Token } from 'markdown-it';

/** A link, an image or an HTML `href`/`src` of a Markdown page, with the line it is on (1-based). */
export interface MarkdownLink {
  readonly href: string;
  readonly line: number;
}

/** A code span of a Markdown page (`` `docs/run-the-bff.md` ``), with its line. */
export interface MarkdownCode {
  readonly text: string;
  readonly line: number;
}

/** What a Markdown page links to and which fragments (`#…`) it answers. */
export interface MarkdownPage {
  readonly links: readonly MarkdownLink[];
  /** Heading anchors as GitHub makes them (`## Deviation: x` → `deviation-x`), and HTML `id`/`name`s. */
  readonly anchors: ReadonlySet<string>;
  readonly codeSpans: readonly MarkdownCode[];
}

const parser = new MarkdownIt({ html: true });
const HTML_ATTRIBUTE = /\b(href|src|id|name)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi;

/**
 * Reads a Markdown page with markdown-it (CommonMark and GitHub's tables, so nothing in a code block counts
 * as a link) and github-slugger (GitHub's heading anchors, duplicates numbered as GitHub numbers them).
 *
 * @example
 * readMarkdown('## Errors\nSee [the BFF](../packages/bff/README.md).').anchors // Set { 'errors' }
 */
export function readMarkdown(text: string): MarkdownPage {
  const links: MarkdownLink[] = [];
  const anchors = new Set<string>();
  const codeSpans: MarkdownCode[] = [];
  const slugger = new GithubSlugger();
  const html = (content: string, line: number) => {
    for (const match of content.matchAll(HTML_ATTRIBUTE)) {
      const value = match[2] ?? match[3] ?? '';
      if (/^(?:id|name)$/i.test(match[1] as string)) anchors.add(value);
      else links.push({ href: value, line });
    }
  };
  const tokens = parser.parse(text, {});
  tokens.forEach((token, index) => {
    const line = (token.map?.[0] ?? 0) + 1;
    if (token.type === 'heading_open') anchors.add(slugger.slug(plainText(tokens[index + 1])));
    if (token.type === 'html_block') html(token.content, line);
    if (token.type !== 'inline') return;
    for (const child of token.children ?? []) {
      if (child.type === 'link_open') links.push({ href: String(child.attrGet('href') ?? ''), line });
      else if (child.type === 'image') links.push({ href: String(child.attrGet('src') ?? ''), line });
      else if (child.type === 'html_inline') html(child.content, line);
      else if (child.type === 'code_inline') codeSpans.push({ text: child.content, line });
    }
  });
  return { links, anchors, codeSpans };
}

/** The text GitHub makes a heading's anchor from: its words and code, without markup or HTML. */
function plainText(inline: Token | undefined): string {
  return (inline?.children ?? [])
    .filter((child) => child.type === 'text' || child.type === 'code_inline')
    .map((child) => child.content)
    .join('');
}
