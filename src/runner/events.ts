/**
 * Run events: what happened, per board and step. The NDJSON sink prints one JSON object per line
 * (`copro apply --json`, schemas/events.schema.json); the JUnit report and summaries are built from the
 * same events, so every output tells the same story.
 */
import type { CoproEvent } from '../generated/events.js';

export type { CoproEvent };
export type EventSink = (e: CoproEvent) => void;

export function stamp<E extends Omit<CoproEvent, 'time'>>(e: E): E & { time: string } {
  return { ...e, time: new Date().toISOString() };
}

export function ndjsonSink(write: (line: string) => void): EventSink {
  return (e) => write(JSON.stringify(e) + '\n');
}

/** Keeps every event, for reports written at the end of a run. */
export class EventLog {
  readonly events: CoproEvent[] = [];
  readonly sink: EventSink = (e) => {
    this.events.push(e);
  };
}

export function fanOut(...sinks: (EventSink | undefined)[]): EventSink {
  const live = sinks.filter((s): s is EventSink => s !== undefined);
  return (e) => {
    for (const s of live) s(e);
  };
}
