/**
 * The design's test: the page's modules import no Node module. web/vite.config.ts's guard fails the build on
 * one (the page's own build runs in page.e2e.test.ts); here it is shown refusing a module that does.
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { build } from 'vite';
import { noNode } from '../../web/vite.config.js';

describe('the page build refuses Node', () => {
  it('fails with the importing module and the Node module named', async () => {
    const entry = path.join(import.meta.dirname, 'fixtures', 'imports-node.ts');
    await expect(
      build({ configFile: false, logLevel: 'silent', plugins: [noNode()], build: { write: false, lib: { entry, formats: ['es'] } } }),
    ).rejects.toThrow(/the page's modules must not import Node: test\/web\/fixtures\/imports-node\.ts imports "node:fs"/);
  }, 60_000);
});
