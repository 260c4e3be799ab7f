// Rewrites every reference to the design documents kept outside the repository (the security requirements,
// the contract, the architecture and style notes the project started from) into a reference to the
// repository's own pages, item by item:
//   <security doc> D 29              → docs/security-requirements.md#d29
//   <security doc> A 1–3             → docs/security-requirements.md#a1 to #a3
//   <security doc> D 26 and 29       → docs/security-requirements.md#d26 and #d29
//   <security doc> G                 → docs/security-requirements.md#g-authorization-in-the-apis
//   <contract doc> "API proxy"       → docs/http-contract.md#api-proxy
//   <contract doc> `GET /auth/login` → docs/http-contract.md#auth-login
//   identity context of <contract doc> → docs/http-contract.md#identity-context (and so on by context)
// In Markdown pages the result is a relative link. The architecture and style notes have no page of their
// own: each such reference is listed for a hand edit, and the script then exits 1.
//
//   node scripts/rewrite-spec-references.mjs [--root DIR] [--dry-run]
//
// It prints every change as `file:line: before → after`. After it: `npx biome check --write` on the
// changed files, delete docs/test/known-spec-references.txt, and run `npx vitest run docs/test`.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// The names are spelled in parts so that this file does not name them itself.
const md = (name) => `${name}.md`;
const SECURITY = md('SECURITY');
const CONTRACT = md('CONTRACT');
const ANY = new RegExp(`\\b(${['SECURITY', 'CONTRACT', 'ARCHITECTURE', 'STYLE'].join('|')})\\.md\\b`, 'g');

const REQUIREMENTS_PAGE = 'docs/security-requirements.md';
const CONTRACT_PAGE = 'docs/http-contract.md';

/** Requirement numbers of each group: the letter of an item follows from its number. */
const GROUPS = [
  ['a', 1, 10, 'a-cookies-and-session'],
  ['b', 11, 18, 'b-login-flow'],
  ['c', 19, 25, 'c-tokens-and-proxy'],
  ['d', 26, 30, 'd-csrf-and-cors'],
  ['e', 31, 32, 'e-redirects'],
  ['f', 33, 36, 'f-logout'],
  ['g', 37, 41, 'g-authorization-in-the-apis'],
  ['h', 42, 47, 'h-remote-code-loading'],
  ['i', 48, 50, 'i-logging'],
  ['j', 51, 55, 'j-jwt-validation'],
];
const letterOf = (number) => GROUPS.find(([, first, last]) => number >= first && number <= last)?.[0];
const sectionOf = (letter) => GROUPS.find(([group]) => group === letter.toLowerCase())?.[3];

/** Sections of the contract named in quotes, by their title there. */
const CONTRACT_SECTIONS = {
  origins: 'origins',
  'auth endpoints': 'auth-endpoints',
  'identity context': 'identity-context',
  cookies: 'cookies',
  'api proxy': 'api-proxy',
  errors: 'errors',
  'browser side': 'browser-side',
  'demo users': 'demo-users',
  'shell routes': 'shell-routes',
  'domain apis': 'domain-apis',
  'running the bff on its own': 'running-the-bff-on-its-own',
};

/** An unquoted contract reference takes its section from the words just before it. */
const CONTRACT_CONTEXT = [
  [/identity/i, 'identity-context'],
  [/users/i, 'demo-users'],
  [/events/i, 'shell-events'],
  [/\b(?:ports|origins|listens|defaults)\b/i, 'origins'],
  [/routes/i, 'shell-routes'],
];

// `D 29`, `29`, `A 1–3`, `G (37–41)`: an optional letter, then a number or a range, bare or in parentheses.
const ITEM = /^([A-J])?\s?(?:\((\d{1,2})(?:[–-](\d{1,2}))?\)|(\d{1,2})(?:[–-](\d{1,2}))?)(?![\w])/;
const SECTION = /^([A-J])(?![\w])/;
const SEPARATOR = /^(,\s*|\s+and\s+)/;

/** The requirement references that follow a mention of the security document at `text[at]`. */
function readItems(text, at) {
  const items = [];
  const lead = /^(\s+items?)?\s+/.exec(text.slice(at));
  if (!lead) return { items, end: at };
  let pos = at + lead[0].length;
  let separator = '';
  for (;;) {
    const rest = text.slice(pos);
    const item = ITEM.exec(rest);
    const section = item ? undefined : SECTION.exec(rest);
    if (item && (item[1] || items.length > 0 || lead[1] || /^\d/.test(rest))) {
      const first = Number(item[2] ?? item[4]);
      const last = (item[3] ?? item[5]) ? Number(item[3] ?? item[5]) : first;
      if (!letterOf(first) || !letterOf(last) || last < first) break;
      items.push({ separator, first, last });
      pos += item[0].length;
    } else if (section) {
      items.push({ separator, section: section[1] });
      pos += section[0].length;
    } else break;
    const next = SEPARATOR.exec(text.slice(pos));
    if (!next) break;
    const after = text.slice(pos + next[0].length);
    if (!ITEM.test(after) && !SECTION.test(after)) break;
    separator = next[0];
    pos += next[0].length;
  }
  return items.length === 0 ? { items, end: at } : { items, end: pos };
}

/** A link to `page#anchor` from Markdown page `file`. */
function link(file, page, anchor, label) {
  return `[${label}](${posix.relative(posix.dirname(file), page)}${anchor})`;
}

/**
 * Writes references to `page`: in source, the first as `page#anchor` and the rest as `#anchor`; in Markdown,
 * each as a relative link.
 */
function writer(file, page) {
  let first = true;
  return (anchor, label) => {
    if (file.endsWith('.md')) return link(file, page, anchor, label);
    const written = first ? `${page}${anchor}` : anchor;
    first = false;
    return written;
  };
}

/** Rewrites the security-document reference at `at`; answers the new text and where the old one ended. */
function rewriteSecurity(file, text, at) {
  const { items, end } = readItems(text, at + SECURITY.length);
  const write = writer(file, REQUIREMENTS_PAGE);
  if (items.length === 0) return { text: write('', 'the security requirements'), end };
  const one = (number) =>
    write(`#${letterOf(number)}${number}`, `${letterOf(number).toUpperCase()}${number}`);
  const parts = items.map((item) => {
    if (item.section) {
      return (
        item.separator + write(`#${sectionOf(item.section)}`, `requirements ${item.section.toUpperCase()}`)
      );
    }
    const written = item.first === item.last ? one(item.first) : `${one(item.first)} to ${one(item.last)}`;
    return item.separator + written;
  });
  return { text: parts.join(''), end };
}

/** Rewrites the contract reference at `at`. */
function rewriteContract(file, text, at) {
  const end = at + CONTRACT.length;
  const rest = text.slice(end);
  const write = writer(file, CONTRACT_PAGE);
  const quoted = /^ ("[^"]+"(?:, "[^"]+")*)/.exec(rest);
  if (quoted) {
    const titles = [...quoted[1].matchAll(/"([^"]+)"/g)].map((match) => match[1]);
    const anchors = titles.map((title) => CONTRACT_SECTIONS[title.toLowerCase()]);
    if (anchors.every(Boolean)) {
      const written = anchors.map((anchor, index) => write(`#${anchor}`, titles[index]));
      return { text: written.join(', '), end: end + quoted[0].length };
    }
  }
  const endpoint = /^ `(?:GET|POST|PUT|PATCH|DELETE) (\/[a-z/-]+)[^`]*`/.exec(rest);
  if (endpoint) {
    const anchor = `#${endpoint[1].slice(1).replaceAll('/', '-')}`;
    return { text: write(anchor, endpoint[0].trim()), end: end + endpoint[0].length };
  }
  // The words just before the reference (comment markers and line breaks folded) say which section it means.
  const before = text
    .slice(Math.max(0, at - 80), at)
    .replace(/\n\s*(?:\*|\/\/)?\s*/g, ' ')
    .slice(-50);
  let best;
  for (const [pattern, anchor] of CONTRACT_CONTEXT) {
    const found = [...before.matchAll(new RegExp(pattern.source, `${pattern.flags}g`))].at(-1);
    if (found && (!best || found.index > best.index)) best = { index: found.index, anchor };
  }
  if (/^: domain APIs on/.test(rest)) best = { index: 0, anchor: 'origins' };
  return { text: write(best ? `#${best.anchor}` : '', 'the HTTP contract'), end, guessed: !best };
}

/**
 * Rewrites every reference in `text` (the contents of repo-relative `file`). Answers the new text, the changed
 * lines and the references it could not rewrite.
 */
export function rewriteText(file, text) {
  let out = '';
  let from = 0;
  const unresolved = [];
  const guessed = [];
  for (const match of text.matchAll(ANY)) {
    if (match.index < from) continue;
    out += text.slice(from, match.index);
    const line = text.slice(0, match.index).split('\n').length;
    if (match[0] !== SECURITY && match[0] !== CONTRACT) {
      unresolved.push(`${file}:${line}: ${match[0]} has no page in the repository; rewrite it by hand`);
      out += match[0];
      from = match.index + match[0].length;
      continue;
    }
    const done =
      match[0] === SECURITY
        ? rewriteSecurity(file, text, match.index)
        : rewriteContract(file, text, match.index);
    // In Markdown a link replaces the code span the name was in.
    const inCode = file.endsWith('.md') && out.endsWith('`') && text[done.end] === '`';
    out = (inCode ? out.slice(0, -1) : out) + done.text;
    from = done.end + (inCode ? 1 : 0);
    if (done.guessed) guessed.push(`${file}:${line}`);
  }
  out += text.slice(from);
  return { text: out, unresolved, guessed };
}

/** The files to look at: git's view of the repository when `root` is a work tree, else every file under it. */
function filesUnder(root) {
  if (existsSync(join(root, '.git'))) {
    return execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: root,
      encoding: 'utf8',
    })
      .split('\0')
      .filter((file) => file && existsSync(join(root, file)));
  }
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (['node_modules', '.git', 'dist', '.data'].includes(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(relative(root, path).split(sep).join('/'));
    }
  };
  walk(root);
  return files;
}

function main(argv) {
  const rootAt = argv.indexOf('--root');
  const root = rootAt === -1 ? fileURLToPath(new URL('..', import.meta.url)) : argv[rootAt + 1];
  const dryRun = argv.includes('--dry-run');
  const unresolved = [];
  let changed = 0;
  for (const file of filesUnder(root)) {
    const bytes = readFileSync(join(root, file));
    if (bytes.subarray(0, 8192).includes(0)) continue;
    const before = bytes.toString('utf8');
    if (before.search(ANY) === -1) continue;
    const result = rewriteText(file, before);
    unresolved.push(...result.unresolved);
    for (const place of result.guessed)
      console.log(`${place}: no section found, linked the whole page; check by hand`);
    if (result.text === before) continue;
    changed++;
    const oldLines = before.split('\n');
    const newLines = result.text.split('\n');
    for (let i = 0; i < Math.max(oldLines.length, newLines.length); i++) {
      if (oldLines[i] !== newLines[i])
        console.log(`${file}:${i + 1}: ${oldLines[i]?.trim()}\n    → ${newLines[i]?.trim()}`);
    }
    if (!dryRun) writeFileSync(join(root, file), result.text);
  }
  console.log(`${changed} file(s) ${dryRun ? 'would change' : 'changed'}`);
  for (const line of unresolved) console.log(line);
  return unresolved.length === 0 ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
  process.exitCode = main(process.argv.slice(2));
