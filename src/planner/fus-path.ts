/**
 * The shortest chain of FUS updates from the running FUS to each reachable version: a breadth-first search
 * over the edge data of rules.ts, using only the images given. Pure.
 */
import semver from 'semver';
import type { Family } from '../domain/devices.js';
import type { AvailableImage } from '../images/types.js';
import { FUS_EDGES, type FusEdge, type KnownFusImage } from './rules.js';

/** A FUS image the search may use: an available one, or (to explain what is missing) one ST published. */
export interface FusCandidate {
  version: string;
  /** sha256 of the ST image (a stand-in's `standInFor`). */
  key: string;
  available?: AvailableImage;
  known?: KnownFusImage;
}

export interface FusHop {
  edge: FusEdge;
  from: string;
  to: string;
  candidate: FusCandidate;
}

function selects(edge: FusEdge, c: FusCandidate): boolean {
  const sel = edge.image;
  return sel.by === 'sha256' ? sel.sha256.includes(c.key) : semver.satisfies(c.version, sel.range);
}

/**
 * Every FUS version reachable from `current`, with the shortest chain of hops to it (BFS: fewest updates;
 * ties go to the earlier edge and the earlier candidate, so the result is deterministic).
 * Candidates must come ordered by preference. No hop ever goes to an older or equal FUS.
 */
export function reachableFus(current: string, family: Family, candidates: readonly FusCandidate[]): Map<string, FusHop[]> {
  const paths = new Map<string, FusHop[]>([[current, []]]);
  const queue = [current];
  while (queue.length > 0) {
    const at = queue.shift()!;
    const pathHere = paths.get(at)!;
    for (const edge of FUS_EDGES) {
      if (!edge.families.includes(family) || !semver.satisfies(at, edge.from)) continue;
      for (const c of candidates) {
        if (!selects(edge, c)) continue;
        const to = edge.gives === 'image' ? c.version : edge.gives;
        // STM32CubeWB release notes, upgrade procedure: FUS can never be downgraded (nor re-installed at the same version.
        if (!semver.gt(to, at) || paths.has(to)) continue;
        paths.set(to, [...pathHere, { edge, from: at, to, candidate: c }]);
        queue.push(to);
      }
    }
  }
  return paths;
}
