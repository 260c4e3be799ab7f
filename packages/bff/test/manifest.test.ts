import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NAVIGATION_HEADERS, TestBrowser } from '@gatehouse/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { BffError, readSignedManifest } from '../src/index.js';
import { type Stack, startStack } from './support/stack.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-manifest-'));
const keys = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const publicKey = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const file = join(dir, 'manifest.json');

function write(content: object, key = keys.privateKey): void {
  const bytes = Buffer.from(JSON.stringify(content));
  writeFileSync(file, bytes);
  writeFileSync(`${file}.sig`, sign(null, bytes, key).toString('base64'));
}

const good = { remotes: [{ name: 'orders', version: '1.0.0', entry: 'https://cdn.example/orders.js' }] };

describe('the signed remote manifest (docs/security-requirements.md#h-remote-code-loading; issue 6)', () => {
  const stacks: Stack[] = [];
  afterAll(async () => {
    for (const stack of stacks) await stack.close();
  });

  it('verifies a manifest signed with the key, and refuses a changed byte, another key or no signature', () => {
    write(good);
    expect(readSignedManifest({ file, publicKey })).toEqual(good);
    writeFileSync(file, JSON.stringify({ ...good, extra: 1 }));
    expect(() => readSignedManifest({ file, publicKey })).toThrow(BffError);
    write(good, other.privateKey);
    expect(() => readSignedManifest({ file, publicKey })).toThrow(/signature does not match/);
    writeFileSync(`${file}.sig`, '');
    expect(() => readSignedManifest({ file, publicKey })).toThrow(BffError);
    expect(() =>
      readSignedManifest({
        file,
        publicKey: other.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      }),
    ).toThrow();
  });

  it('refuses to start with a manifest that does not verify', async () => {
    write(good, other.privateKey);
    await expect(startStack({ bff: { manifest: { file, publicKey, watch: false } } })).rejects.toThrow(
      /GH_BFF_MANIFEST_INVALID|not valid/,
    );
  });

  it('hands the verified manifest to the page, fails closed when it is swapped, and recovers when fixed', async () => {
    write(good);
    const pages: unknown[] = [];
    const stack = await startStack({ bff: { manifest: { file, publicKey, watch: true } } });
    stacks.push(stack);
    // The stack uses the built-in page; read what the runtime holds, and render through a page renderer too.
    expect(stack.bff.runtime.manifest?.current()).toEqual(good);
    const swapped = { remotes: [{ name: 'orders', version: '6.6.6', entry: 'https://evil.example/x.js' }] };
    writeFileSync(file, JSON.stringify(swapped));
    await expect
      .poll(() => stack.bff.runtime.manifest?.current(), { timeout: 5000, interval: 200 })
      .toBeUndefined();
    expect(stack.logs.events('manifest_invalid').length).toBeGreaterThan(0);
    write({ ...good, version: 2 });
    await expect
      .poll(() => stack.bff.runtime.manifest?.current(), { timeout: 5000, interval: 200 })
      .toEqual({ ...good, version: 2 });
    const page = await new TestBrowser().get(`${stack.bffUrl}/`, NAVIGATION_HEADERS);
    expect(page.status).toBe(200);
    pages.push(page.status);
    expect(pages).toEqual([200]);
  });
});
