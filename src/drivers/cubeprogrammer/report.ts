/**
 * Turns a parsed CLI result into the driver's OperationReport: `ok` is the tool's claim only (a success line
 * for this command, no Error line, no line the parser did not understand); `error` is typed from the Error
 * lines, else from the last FUS status. The runner judges the step by read-back (STM32CubeProgrammer CLI, UM2237).
 */
import { fusErrorByCliStatus } from '../../domain/fus.js';
import type { DriverErrorCode, OperationReport } from '../driver.js';
import { canonical, type CliEvent, type CliResult, type ParseProblem } from './parse.js';

export function eventText(e: CliEvent): string {
  switch (e.kind) {
    case 'fus':
      return `FUS state is ${e.state}${e.status ? ` / FUS status is ${e.status}` : ''}`;
    case 'error':
      return `Error: ${e.text}`;
    case 'warning':
      return `Warning: ${e.text}`;
    case 'success':
      return e.text;
    case 'r32':
      return `0x${e.block.address.toString(16).toUpperCase().padStart(8, '0')} : ${e.block.words.map((w) => w.toString(16).toUpperCase().padStart(8, '0')).join(' ')}`;
    case 'fus-operator':
      return e.text;
  }
}

/** The DriverErrorCode an `Error:` line means. Unknown text is TOOL_ERROR, never a guess at something more specific. */
export function classifyErrorText(printed: string): DriverErrorCode {
  // Classified on the canonical wording: padding and punctuation differ between versions, the meaning does not.
  const text = canonical(printed);
  // The bootloader or the probe stopped answering mid-command: a lost connection, not a tool error
  // (v2.10 `Connection to device 0x495 is lost`, community.st.com m-p/605983; UART acknowledgement timeouts,
  // community.st.com m-p/167616).
  if (/Connection to (?:the )?device(?: 0x[0-9a-f]+)? is lost|connection (?:was )?lost|Timeout error occur+ed while waiting for acknowledgement|No response from target/i.test(text)) return 'DISCONNECTED';
  if (/No STM32 target found|Unable to get core ID|No ST-?Link detected|DEV_CONNECT_ERR|Activating device: KO|No (USB|DFU) device|device not found/i.test(text)) return 'NO_TARGET';
  if (/not authentic|IMG_NOT_AUTHENTIC|IMAGE_NOT_AUTHENTIC/i.test(text)) return 'NOT_AUTHENTIC';
  if (/IMG_NOT_FOUND|IMAGE_NOT_FOUND|no image found/i.test(text)) return 'IMG_NOT_FOUND';
  if (/NOT_ENOUGH_SPACE|NO_ENOUGH_SPACE|IMG_NO_SPACE|no space/i.test(text)) return 'NOT_ENOUGH_SPACE';
  if (/not yet running|FUS_NOT_RUNNING|not in IDLE state/i.test(text)) return 'FUS_NOT_RUNNING';
  if (/Option Byte/i.test(text)) return 'OPTION_BYTES';
  if (/not supported for such device|Security extension not instantiated|Impossible to install|not supported/i.test(text)) return 'UNSUPPORTED';
  if (/FUS_STATE_|FUS_ERROR|Operation Failure|Firmware .*(Error|fail)/i.test(text)) return 'FUS_ERROR';
  return 'TOOL_ERROR';
}

/** The DriverErrorCode of a FUS status name as the CLI prints it (`FUS_IMAGE_NOT_FOUND`). */
export function classifyFusStatus(status: string): DriverErrorCode | undefined {
  const e = fusErrorByCliStatus(status);
  if (!e || e.name === 'NO_ERROR') return undefined;
  switch (e.name) {
    case 'IMG_NOT_FOUND':
      return 'IMG_NOT_FOUND';
    case 'IMG_NOT_AUTHENTIC':
      return 'NOT_AUTHENTIC';
    case 'IMG_NOT_ENOUGH_SPACE':
      return 'NOT_ENOUGH_SPACE';
    case 'STATE_NOT_RUNNING':
      return 'FUS_NOT_RUNNING';
    default:
      return 'FUS_ERROR';
  }
}

/**
 * `succeeded` says whether the output holds this command's success line. ok = succeeded, no Error line,
 * nothing unparsed. Extra messages (e.g. what the SWD operator destroyed) are appended.
 */
export function reportFrom(parsed: CliResult, exitCode: number | undefined, succeeded: boolean, extra: string[] = []): OperationReport {
  const messages = parsed.events.map(eventText);
  for (const line of parsed.unknownLines) messages.push(`unrecognised output (not guessed at): ${JSON.stringify(line)}`);
  for (const p of parsed.problems) messages.push(`not guessed at: ${p.message}`);
  messages.push(...extra);
  const ok = succeeded && parsed.errors.length === 0 && parsed.unknownLines.length === 0 && parsed.problems.length === 0;
  const report: OperationReport = { ok, messages };
  if (exitCode !== undefined) report.exitCode = exitCode;
  if (!ok) report.error = errorOf(parsed);
  return report;
}

function errorOf(parsed: CliResult): DriverErrorCode {
  const first = parsed.errors[0];
  if (first !== undefined) return classifyErrorText(first);
  if (parsed.unknownLines.length > 0) return 'TOOL_ERROR';
  const problem = parsed.problems[0];
  if (problem) return problemCode(problem);
  const last = parsed.fusStates[parsed.fusStates.length - 1];
  const fromStatus = last?.status ? classifyFusStatus(last.status) : undefined;
  // No success line and no error: the tool did not confirm anything.
  return fromStatus ?? 'TOOL_ERROR';
}

/** The DriverErrorCode of a parse problem: another board answering is WRONG_BOARD, the rest are outputs not guessed at. */
export function problemCode(p: ParseProblem): DriverErrorCode {
  return p.kind === 'foreign-serial' ? 'WRONG_BOARD' : 'TOOL_ERROR';
}

/** A `<name> command execution finished` line for this command. */
export function finished(parsed: CliResult, command: RegExp): boolean {
  return parsed.events.some((e) => e.kind === 'success' && e.success === 'command-finished' && command.test(e.text));
}
