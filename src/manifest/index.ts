/** Manifests: load and check (with file:line:column issues), then resolve to the planner's Target. */
export { loadManifest, parseManifest, type LoadedManifest, type Manifest, type ParseOptions } from './load.js';
export { ManifestError, formatManifestIssues, type ManifestIssue, type ManifestIssueCode } from './issues.js';
export { resolveTarget, connectionOf, boardsOf, DEFAULT_APPLICATION_ADDRESS, type ResolveContext, type ResolvedConnection, type FleetBoard } from './resolve.js';
export { MAX_MANIFEST_BYTES, type Position } from './yaml-source.js';
