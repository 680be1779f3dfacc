// The image catalog for tests that use the Node-free modules directly (catalog-core.ts takes it from its
// shell: in Node, importing images/catalog.ts registers binaries/catalog.json, as the CLI and index.ts do).
import '../src/images/catalog.js';
