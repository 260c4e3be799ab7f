import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const guide = readFileSync(new URL('../../../docs/protect-a-domain-api.md', import.meta.url), 'utf8');
const fixture = readFileSync(new URL('./fixtures/shop-service.ts', import.meta.url), 'utf8');

describe('docs/protect-a-domain-api.md', () => {
  it('shows the tested example service verbatim', () => {
    expect(guide).toContain(`\`\`\`ts\n${fixture.trimEnd()}\n\`\`\``);
  });
});
