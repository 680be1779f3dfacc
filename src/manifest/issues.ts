/**
 * Manifest problems, reported like a compiler: `file:line:column: message`, each with a stable code
 * that tests and tools can match on.
 */

export type ManifestIssueCode =
  // Before YAML parsing
  | 'file-unreadable'
  | 'too-large'
  | 'binary'
  | 'empty'
  // YAML
  | 'yaml-syntax'
  | 'yaml-tab'
  | 'yaml-duplicate-key'
  | 'yaml-multi-document'
  | 'yaml-alias'
  | 'yaml-tag'
  | 'yaml-version'
  | 'yaml-boolean'
  // Schema
  | 'unknown-key'
  | 'missing-key'
  | 'wrong-type'
  | 'bad-enum'
  | 'bad-format-version'
  | 'bad-pattern'
  | 'bad-value'
  // Meaning
  | 'unknown-device'
  | 'unknown-stack-type'
  | 'unknown-release'
  | 'bad-version'
  | 'impossible-range'
  | 'unaligned-address'
  | 'bad-region'
  | 'path-outside-project'
  | 'file-missing'
  | 'duplicate-board'
  | 'policy-conflict'
  | 'ignored-setting'
  | 'stack-type-case'
  | 'too-many-issues';

export interface ManifestIssue {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units of the line (a leading BOM is not counted). */
  column: number;
  message: string;
  code: ManifestIssueCode;
  hint?: string;
}

/** Thrown by the loader when the manifest cannot be used; `issues` lists every problem found, in file order. */
export class ManifestError extends Error {
  constructor(readonly issues: ManifestIssue[]) {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super(first ? `${formatIssue(first)}${more}` : 'invalid manifest');
    this.name = 'ManifestError';
  }
}

function formatIssue(i: ManifestIssue, severity?: 'warning'): string {
  return `${i.file}:${i.line}:${i.column}: ${severity ? `${severity}: ` : ''}${i.message}`;
}

/** `file:line:col: message` lines (and `  remedy: ...` lines, copro's one remedy word), like a compiler; warnings say `warning:`. */
export function formatManifestIssues(issues: readonly ManifestIssue[], severity: 'error' | 'warning' = 'error'): string {
  return issues
    .map((i) => formatIssue(i, severity === 'warning' ? 'warning' : undefined) + (i.hint ? `\n  remedy: ${i.hint}` : ''))
    .join('\n');
}

export function byPosition(a: ManifestIssue, b: ManifestIssue): number {
  return a.line - b.line || a.column - b.column;
}
