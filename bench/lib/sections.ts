// The report of a suite as sections (a title, paragraphs, tables and bullet lines), rendered for the terminal
// and for bench/results.md alike, so both say the same.
import { cell } from './format.js';
import { OTHER_LOAD_LIMIT } from './machine-load.js';
import { type NotMeasured, reasonOf } from './suite.js';

/** A table: its head and rows of cells; the first column names the figure. */
export interface Table {
  readonly title?: string;
  readonly head: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
}

/** One suite's report. */
export interface Section {
  readonly title: string;
  readonly paragraphs?: readonly string[];
  readonly tables?: readonly Table[];
  readonly lines?: readonly string[];
}

/** The section of a suite that did not measure. */
export function notMeasuredSection(title: string, result: NotMeasured): Section {
  return { title, paragraphs: [`Not measured: ${reasonOf(result)}.`] };
}

/** A note when other processes used more than {@link OTHER_LOAD_LIMIT} cores while `label` was measured. */
export function disturbedNote(label: string, cores: number | undefined): string[] {
  return cores !== undefined && cores > OTHER_LOAD_LIMIT
    ? [`${label}: other processes used ${cores.toFixed(2)} cores meanwhile; its timings are disturbed`]
    : [];
}

/** The sections in Markdown (results.md), then the notes. */
export function sectionsMarkdown(sections: readonly Section[], notes: readonly string[]): string {
  const out: string[] = [];
  for (const section of sections) {
    out.push(`## ${section.title}`, '');
    for (const paragraph of section.paragraphs ?? []) out.push(paragraph, '');
    for (const table of section.tables ?? []) {
      if (table.title) out.push(`${table.title}:`, '');
      out.push(`| ${table.head.map(cell).join(' | ')} |`);
      out.push(`| ${table.head.map(() => '---').join(' | ')} |`);
      for (const row of table.rows) out.push(`| ${row.map(cell).join(' | ')} |`);
      out.push('');
    }
    for (const line of section.lines ?? []) out.push(`- ${line}`);
    if (section.lines?.length) out.push('');
  }
  if (notes.length) out.push(...notes.map((note) => `- note: ${note}`), '');
  return out.join('\n').trim();
}

/** The sections for the terminal: each table row on one line, with its goal and verdict; then the notes. */
export function sectionsText(sections: readonly Section[], notes: readonly string[]): string {
  const out: string[] = [];
  for (const section of sections) {
    out.push(`${section.title}`, '-'.repeat(section.title.length));
    for (const paragraph of section.paragraphs ?? [])
      if (paragraph.startsWith('Not measured')) out.push(paragraph);
    for (const table of section.tables ?? []) {
      if (table.title) out.push(`${table.title}:`);
      for (const row of table.rows) {
        const rest = row.slice(1).map((value, i) => [table.head[i + 1], value] as const);
        out.push(
          `  ${row[0]}: ${rest
            .filter(([, value]) => value !== '–' && value !== '')
            .map(([head, value]) => (head === 'measured' ? value : `${head} ${value}`))
            .join('; ')}`,
        );
      }
      out.push('');
    }
  }
  for (const note of notes) out.push(`note: ${note}`);
  return out.join('\n').trim();
}
