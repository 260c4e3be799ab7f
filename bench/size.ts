// `npm run size`: bytes a browser downloads for Gatehouse's runtime, beside SPA auth SDKs and single-spa, all
// bundled the same way in one run (size/measure.ts). Prints one table and the rule's line (the whole
// shell runtime ≤ 9.5 KB gzip), and writes it with the machine and tool versions to .bench-results/size.md;
// `--record` also writes the committed bench/size.md. No build is needed first.

import { writeReport } from './lib/output.js';
import { parseFlags } from './lib/settings.js';
import { measure } from './size/measure.js';
import { type SizeRow, sizeFigures, sizeMarkdown, sizeText } from './size/report.js';
import { TARGETS } from './size/targets.js';

const flags = parseFlags('npm run size -- [--record]');
const rows: SizeRow[] = [];
for (const target of TARGETS) rows.push({ ...target, ...(await measure(target)) });
const figures = sizeFigures(rows);
console.log(sizeText(figures));
console.log(`\nWrote ${writeReport('size.md', sizeMarkdown(figures), flags.record).join(' and ')}`);
if (!flags.record) console.log('(npm run size -- --record writes bench/size.md, the committed record.)');
