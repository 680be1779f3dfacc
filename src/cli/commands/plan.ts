/** `copro plan`: read the board (or a snapshot) and print the steps; touches nothing. */
import path from 'node:path';
import type { BoardState } from '../../generated/board-state.js';
import { plan, formatPlan } from '../../planner/index.js';
import { readSnapshot } from '../../drivers/snapshot.js';
import { acquireBoardLock } from '../../runner/lock.js';
import { swdReadWouldDestroyApplication } from '../../runner/swd-guard.js';
import { EXIT } from '../exit-codes.js';
import { assertReadyBeforeBoard, resolveSession, openDriver, stateDir, simulatorDir, type CommonOptions, CliError, lockDir, lockObserver } from '../session.js';
import { selectBoards } from '../boards.js';
import { useColor } from '../output.js';

export interface PlanOptions extends CommonOptions {
  state?: string;
  detailedExitcode?: boolean;
}

export async function planCommand(manifestFile: string, opts: PlanOptions): Promise<number> {
  const s = await resolveSession(manifestFile, opts);
  assertReadyBeforeBoard(s);
  const states: { serial: string; state: BoardState }[] = [];
  if (opts.state) {
    states.push({ serial: path.basename(opts.state), state: await readSnapshot(opts.state) });
  } else {
    const conn = s.loaded.manifest.connection;
    for (const b of await selectBoards(s, opts)) {
      const lock = await acquireBoardLock(lockDir(s.simulated), b.serial);
      try {
        const driver = await openDriver({ simulated: s.simulated, serial: b.portOnly ? undefined : b.serial, port: b.port ?? s.port, transport: s.transport, cubeprogrammer: opts.cubeprogrammer ?? conn?.cubeprogrammer, mode: conn?.mode, baudrate: conn?.baudrate, timeoutSeconds: conn?.timeoutSeconds, logDir: path.join(stateDir(), 'logs'), onChild: lockObserver(lock) });
        try {
          // Over SWD a full read runs the FUS operator over the application (P47): refuse first where policy says so.
          const loss = await swdReadWouldDestroyApplication(driver, s.target);
          if (loss) throw new CliError(`board ${b.serial}: refused (SWD_APPLICATION_LOSS): ${loss}`, EXIT.REFUSED);
          states.push({ serial: b.serial, state: await driver.readState() });
        } finally {
          await driver.close();
        }
      } finally {
        await lock.release();
      }
    }
  }
  const plans = states.map(({ serial, state }) => ({ serial, plan: plan({ state, target: s.target, images: s.images }) }));
  if (opts.json) {
    process.stdout.write(JSON.stringify(plans.length === 1 ? plans[0]!.plan : plans.map((p) => ({ board: p.serial, ...p.plan })), null, 2) + '\n');
  } else {
    for (const p of plans) {
      if (plans.length > 1) process.stdout.write(`\n== board ${p.serial} ==\n`);
      process.stdout.write(formatPlan(p.plan, { color: useColor(opts) }) + '\n');
    }
    if (s.simulated && !opts.state) process.stdout.write(`(simulated board in ${simulatorDir()}; images without a local file are deterministic stand-ins)\n`);
  }
  if (plans.some((p) => p.plan.status === 'refused')) return EXIT.REFUSED;
  if (opts.detailedExitcode && plans.some((p) => p.plan.status === 'changes')) return EXIT.CHANGES;
  return EXIT.OK;
}
