// Finds the functions in the packages' sources that are longer than the style allows (about 80 lines), so a
// test can hold the line and `npx tsx test/function-length.ts` can list them while splitting one.
//
// Every function counts: declarations, methods, accessors, constructors, arrow functions and function
// expressions, nested ones too (a factory that returns closures is as long as all of its lines).
// Length is the number of lines that hold code, from the function's first token to its last: blank lines
// and lines with only a comment are free, so explaining why never pushes a function over.
// A function may be longer when the comment just above the line it starts on says why, with
// `long-function: <reason>` (e.g. a hot path, with the measurement that says splitting it costs).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const maxLines = 80;

/** `long-function:` and a reason of a few words at least. */
const marker = /long-function:\s*(\S.{11,})/;

export interface LongFunction {
  /** Path relative to the repository root, with the line the function starts on. */
  readonly where: string;
  readonly name: string;
  /** Lines holding code. */
  readonly lines: number;
  /** The reason given by a `long-function:` comment, when there is one. */
  readonly reason?: string;
}

const root = fileURLToPath(new URL('../', import.meta.url));

/** Every TypeScript source file under packages/*\/src. */
export function packageSources(): string[] {
  const packages = join(root, 'packages');
  return readdirSync(packages, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => {
      const src = join(packages, entry.name, 'src');
      let files: string[];
      try {
        files = readdirSync(src, { recursive: true, encoding: 'utf8' });
      } catch {
        return [];
      }
      return files
        .filter((file) => /\.tsx?$/.test(file) && !file.endsWith('.d.ts'))
        .map((file) => join(src, file));
    })
    .sort();
}

type FunctionNode = ts.FunctionLikeDeclaration;

const isFunction = (node: ts.Node): node is FunctionNode =>
  ts.isFunctionDeclaration(node) ||
  ts.isMethodDeclaration(node) ||
  ts.isConstructorDeclaration(node) ||
  ts.isGetAccessorDeclaration(node) ||
  ts.isSetAccessorDeclaration(node) ||
  ts.isArrowFunction(node) ||
  ts.isFunctionExpression(node);

/** How many lines hold a token of `node`: comments and blank lines left out. */
function codeLines(file: ts.SourceFile, node: ts.Node): number {
  const lines = new Set<number>();
  const visit = (child: ts.Node) => {
    // getChildren gives a declaration's JSDoc as a child: it is a comment all the same.
    if (ts.isJSDoc(child)) return;
    const children = child.getChildren(file);
    if (children.length > 0) {
      for (const grandchild of children) visit(grandchild);
      return;
    }
    if (child.kind === ts.SyntaxKind.SyntaxList) return;
    // A token: a multi-line one (a template literal, a string of JSX text) holds every line it spans.
    const first = file.getLineAndCharacterOfPosition(child.getStart(file)).line;
    const last = file.getLineAndCharacterOfPosition(child.getEnd()).line;
    for (let line = first; line <= last; line++) lines.add(line);
  };
  visit(node);
  return lines.size;
}

/**
 * The comments just above the line the function starts on: those leading the outermost node that starts
 * on that same line (`export const handle = async () => {` has its comment before `export`).
 */
function commentsAbove(file: ts.SourceFile, node: ts.Node): string {
  const line = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
  let outer = node;
  while (
    outer.parent &&
    !ts.isSourceFile(outer.parent) &&
    file.getLineAndCharacterOfPosition(outer.parent.getStart(file)).line === line
  )
    outer = outer.parent;
  return (ts.getLeadingCommentRanges(file.text, outer.getFullStart()) ?? [])
    .map((range) => plain(file.text.slice(range.pos, range.end)))
    .join(' ');
}

/** A comment's words on one line: its `//`, `/*`, `*` and `*\/` left out. */
const plain = (comment: string) =>
  comment
    .replace(/^\/\/|^\/\*+|\*+\/$/g, '')
    .split('\n')
    .map((line) => line.replace(/^\s*(?:\/\/|\*(?!\/))?\s*/, '').trim())
    .filter(Boolean)
    .join(' ');

function nameOf(file: ts.SourceFile, node: FunctionNode): string {
  if (node.name) return node.name.getText(file);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (
    (ts.isVariableDeclaration(parent) ||
      ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent)) &&
    parent.name
  )
    return parent.name.getText(file);
  if (ts.isCallExpression(parent)) return `(argument of ${parent.expression.getText(file).slice(0, 40)})`;
  return '(anonymous)';
}

/** The functions in one file's text longer than `maxLines`, with their `long-function:` reason if any. */
export function longFunctionsIn(fileName: string, text: string): LongFunction[] {
  const kind = fileName.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, kind);
  const found: LongFunction[] = [];
  const visit = (node: ts.Node) => {
    if (isFunction(node) && node.body) {
      const lines = codeLines(file, node);
      if (lines > maxLines) {
        const start = file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
        const reason = marker.exec(commentsAbove(file, node))?.[1]?.trim();
        found.push({
          where: `${relative(root, fileName)}:${start}`,
          name: nameOf(file, node),
          lines,
          ...(reason ? { reason } : {}),
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** The long functions of every package source. */
export function longFunctions(): LongFunction[] {
  return packageSources().flatMap((file) => longFunctionsIn(file, readFileSync(file, 'utf8')));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const found = longFunctions();
  for (const fn of found)
    console.log(
      `${fn.where} ${fn.name}: ${fn.lines} lines${fn.reason ? ` (long-function: ${fn.reason})` : ''}`,
    );
  const unexplained = found.filter((fn) => !fn.reason).length;
  console.log(`${found.length} functions over ${maxLines} lines, ${unexplained} without a reason`);
}
