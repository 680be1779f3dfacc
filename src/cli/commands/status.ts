/** `copro status`: the board's state, and what the manifest (if given) would change. */
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { BoardState } from '../../generated/board-state.js';
import { plan } from '../../planner/index.js';
import { writeSnapshot } from '../../drivers/snapshot.js';
import { acquireBoardLock } from '../../runner/lock.js';
import { EXIT } from '../exit-codes.js';
import { assertReadyBeforeBoard, resolveSession, openDriver, stateDir, transportOf, defaultManifestPath, type CommonOptions, lockDir } from '../session.js';
import { selectBoards, oneSimulatedBoard, refuseDuplicates, parseSerialList, canonicalSerial, type BoardRef } from '../boards.js';
import { writeJson } from '../json-output.js';
import type { StatusOutput } from '../../generated/cli-output.js';
import { isQuiet } from '../verbosity.js';
import { wantedType } from '../../runner/run-plan.js';

export interface StatusOptions extends CommonOptions {
  save?: string;
  full?: boolean;
}

/** The board's state as text; `expectedType`: the stack type the manifest asks for, said where FUS does not report one (as apply says it). */
export function formatState(s: BoardState, expectedType?: string): string {
  const ob = s.optionBytes;
  const stack =
    s.stack.status === 'none'
      ? 'none'
      : s.stack.status === 'unknown'
        ? 'unknown'
        : `${s.stack.type && s.stack.type !== 'unknown' ? `${s.stack.type} ` : ''}${s.stack.version}${s.stack.type === 'unknown' ? ` (type not reported by FUS${expectedType ? `: expected ${expectedType}` : ''})` : ''}${s.stack.running === true ? ', running' : s.stack.running === false ? ', NOT running (CPU2 in FUS)' : ''}`;
  const lines = [
    `Board      ${s.device.key} (device id ${s.device.deviceId}, ${s.device.flashSizeKB} KB), UID ${s.device.uid64}${s.device.probeSerial ? `, serial ${s.device.probeSerial}` : ''}`,
    `Read via   ${s.source.driver} over ${s.source.transport}${s.source.toolVersion ? ` (${s.source.driver === 'cubeprogrammer' ? 'STM32CubeProgrammer ' : ''}${s.source.toolVersion})` : ''}`,
    `CPU2 runs  ${s.cpu2}`,
    `FUS        ${s.fus.version} (state ${s.fus.state}, error ${s.fus.error})`,
    `Stack      ${stack}${s.stack.installAddress ? ` at ${s.stack.installAddress}` : ''}`,
    `Option     ${ob === 'unknown' ? 'unknown' : `RDP ${ob.rdp}, SFSA ${ob.sfsa}, SBRV ${ob.sbrv}, nSWboot0 ${ob.nSWboot0}, nBOOT0 ${ob.nBOOT0}, nBOOT1 ${ob.nBOOT1}${ob.ese !== undefined ? `, ESE ${ob.ese}` : ''}`}`,
    `Anti-rollback ${s.antiRollback}`,
    `Application ${s.application.present === true ? 'present' : s.application.present === false ? 'absent' : 'unknown'}${s.application.clobberedByFusOperator ? ' (OVERWRITTEN by the SWD FUS operator: re-flash it)' : ''}`,
    ...s.notes.map((n) => `note: ${n}`),
  ];
  return lines.join('\n');
}

export async function statusCommand(manifestFile: string | undefined, opts: StatusOptions): Promise<number> {
  const file = manifestFile ?? (existsSync(defaultManifestPath()) ? defaultManifestPath() : undefined);
  const s = file ? await resolveSession(file, opts) : undefined;
  // With a manifest, status plans too: what can be refused without a board is refused before reading it.
  if (s) assertReadyBeforeBoard(s);
  const simulated = s?.simulated ?? opts.simulate === true;
  const port = opts.port ?? s?.port ?? 'usb1';
  const transport = s?.transport ?? transportOf(opts.port, simulated);
  let boards: BoardRef[];
  if (s) boards = await selectBoards(s, opts);
  else if (simulated) {
    // As with a manifest: named boards must exist; none named, the only board (several: refused).
    const named = opts.serial ? refuseDuplicates(parseSerialList(opts.serial).map((x) => ({ serial: canonicalSerial(x) })), `--serial ${opts.serial}`) : undefined;
    boards = named ? await Promise.all(named.map(async (b) => ({ serial: await oneSimulatedBoard(b.serial) }))) : [{ serial: await oneSimulatedBoard() }];
  } else if (opts.serial) boards = parseSerialList(opts.serial).map((serial) => ({ serial: canonicalSerial(serial) }));
  else boards = [{ serial: port, portOnly: true }];
  const results: { serial: string; state: BoardState }[] = [];
  for (const b of boards) {
    const lock = await acquireBoardLock(lockDir(simulated), b.serial);
    try {
      // Without --full the driver may only read what costs nothing (no reset, no FUS start, no SWD FUS operator);
      // what it could not read is "unknown" with a note saying what reading it would cost.
      const access = opts.full ? 'full' : 'free';
      const driver = await openDriver({ simulated, serial: b.portOnly ? undefined : b.serial, port: b.port ?? port, transport, cubeprogrammer: opts.cubeprogrammer ?? s?.loaded.manifest.connection?.cubeprogrammer, logDir: path.join(stateDir(), 'logs'), access });
      try {
        const state = await driver.readState({ scope: access });
        results.push({ serial: b.serial, state });
      } finally {
        await driver.close();
      }
    } finally {
      await lock.release();
    }
  }
  if (opts.save) {
    if (results.length !== 1) process.stderr.write(`copro: warning: --save writes the first board only (${results[0]!.serial})\n`);
    await writeSnapshot(opts.save, results[0]!.state);
  }
  if (opts.json) {
    // One shape whatever the board count (schemas/cli-output.schema.json).
    writeJson({
      schemaVersion: 1,
      command: 'status',
      boards: results.map((r) => ({ board: r.serial, state: r.state, ...(s ? { plan: plan({ state: r.state, target: s.target, images: s.images }) } : {}) })),
    } satisfies StatusOutput);
    return EXIT.OK;
  }
  for (const r of results) {
    process.stdout.write(formatState(r.state, s ? wantedType(s.target) : undefined) + '\n');
    if (s) {
      const p = plan({ state: r.state, target: s.target, images: s.images });
      // A free read that did not reach FUS leaves the plan unknown, not refused: apply reads FUS before it plans.
      const notRead = p.status === 'refused' && p.refusals.every((x) => x.code === 'STATE_UNKNOWN');
      process.stdout.write(
        p.status === 'up-to-date'
          ? 'Manifest   matches: nothing to do\n'
          : notRead
            ? `Manifest   not judged: ${p.refusals.map((x) => x.message).join('; ')} (copro status --full reads it; copro apply reads it before it plans)\n`
            : p.status === 'refused'
              ? `Manifest   cannot be applied: ${p.refusals.map((x) => `${x.code}: ${x.message}`).join('; ')}\n`
              : `Manifest   would change: ${p.steps.map((x) => x.title).join(' -> ')} (copro plan for details)\n`,
      );
    }
  }
  if (opts.save && !isQuiet()) process.stdout.write(`saved ${opts.save}\n`);
  return EXIT.OK;
}
