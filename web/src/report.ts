/** The run report: the same NDJSON events (`copro apply --json`) and JUnit XML (`--junit`) as the CLI. */
import type { CoproEvent } from '../../src/runner/events.js';
import { junitFromEvents } from '../../src/runner/junit.js';

export function ndjsonOf(events: readonly CoproEvent[]): string {
  return events.map((e) => JSON.stringify(e) + '\n').join('');
}

export function junitOf(events: readonly CoproEvent[]): string {
  return junitFromEvents(events, 'copro apply (web)');
}
