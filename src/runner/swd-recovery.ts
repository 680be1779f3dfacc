/**
 * After a failure over SWD: put back what CubeProgrammer's FUS operator took. Every SWD FUS command (and every
 * full read) writes the operator at 0x08000000 and sets nSWboot0=0 STM32CubeProgrammer CLI, UM2237; community reports of "Read FUS
 * infos" overwriting 0x08000000-0x08002000): a run that stops there leaves a board that boots nothing of the
 * user's. ST's procedure ends with `-ob nSWboot0=1 nboot1=1 nboot0=1` (release notes, SWD STEP 9) and the
 * application written back. This does the same on every failure path, checks both with a read that does not load
 * the operator again, and says what it tried and what it restored.
 */
import type { Driver, OptionBytesWrite } from '../drivers/driver.js';
import type { Plan, Target } from '../planner/types.js';

export interface SwdRecovery {
  /** What was attempted, in order (human-readable). */
  tried: string[];
  /** What is back, confirmed by a read that does not run the operator. */
  restored: string[];
  /** What could not be put back (and why): the next `copro apply` plans it again. */
  failed: string[];
}

const DEFAULT_OB: OptionBytesWrite = { nSWboot0: 1, nBOOT0: 1, nBOOT1: 1 };

/** The option bytes the plan restores (its restore step's expectation), else ST's SWD defaults. */
function wantedOptionBytes(plan: Plan | undefined): OptionBytesWrite {
  const step = plan?.steps.find((s) => s.kind === 'restore-option-bytes');
  return { ...DEFAULT_OB, ...(step?.expect.optionBytes ?? {}) } as OptionBytesWrite;
}

function describeOb(ob: OptionBytesWrite): string {
  return Object.entries(ob)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/**
 * Restores the option bytes and re-flashes the application after a failure over SWD (nothing on other transports).
 * Never throws: whatever fails is reported in `failed`.
 */
export async function recoverAfterSwdFailure(driver: Driver, target: Target, plan: Plan | undefined, signal?: AbortSignal): Promise<SwdRecovery | undefined> {
  if (target.transport !== 'swd') return undefined;
  const r: SwdRecovery = { tried: [], restored: [], failed: [] };
  const ob = target.policy.restoreOptionBytes ? wantedOptionBytes(plan) : undefined;
  const app = target.application?.file ? { file: target.application.file, address: Number(target.application.address ?? 0x08000000), sha256: target.application.fileSha256 } : undefined;
  let before;
  try {
    before = await driver.readState({ scope: 'flash', signal });
  } catch (e) {
    before = undefined;
    r.tried.push(`read the option bytes (flash-only read): ${(e as Error).message}`);
  }
  const obNow = before?.optionBytes;
  const obNeeded = ob !== undefined && (obNow === undefined || obNow === 'unknown' || Object.entries(ob).some(([k, v]) => obNow[k as keyof typeof obNow] !== v));
  const appNeeded = app !== undefined && !(before && before.application.clobberedByFusOperator !== true && app.sha256 !== undefined && before.application.sha256 === app.sha256);
  if (obNeeded && ob) {
    r.tried.push(`write option bytes ${describeOb(ob)}`);
    try {
      const rep = await driver.writeOptionBytes(ob, { signal });
      if (!rep.ok) r.tried.push(`the tool reported ${rep.error ?? 'a failure'} writing the option bytes`);
    } catch (e) {
      r.tried.push(`option bytes: ${(e as Error).message}`);
    }
  }
  if (appNeeded && app) {
    r.tried.push(`re-flash ${app.file} at 0x${app.address.toString(16).toUpperCase()}`);
    try {
      const rep = await driver.flash(app.file, app.address, { signal });
      if (!rep.ok) r.tried.push(`the tool reported ${rep.error ?? 'a failure'} writing the application`);
    } catch (e) {
      r.tried.push(`application: ${(e as Error).message}`);
    }
  }
  let after;
  try {
    after = await driver.readState({ scope: 'flash', signal });
  } catch (e) {
    if (ob) r.failed.push(`option bytes not confirmed: ${(e as Error).message}`);
    if (app) r.failed.push(`application not confirmed: ${(e as Error).message}`);
    return r;
  }
  if (ob) {
    const now = after.optionBytes;
    const wrong = now === 'unknown' ? ['unreadable'] : Object.entries(ob).filter(([k, v]) => now[k as keyof typeof now] !== v).map(([k, v]) => `${k} is ${String(now[k as keyof typeof now])}, not ${v}`);
    if (wrong.length === 0) r.restored.push(`option bytes ${describeOb(ob)}${obNeeded ? '' : ' (were intact)'}`);
    else r.failed.push(`option bytes: ${wrong.join(', ')}`);
  }
  if (app) {
    const ok = after.application.clobberedByFusOperator !== true && app.sha256 !== undefined && after.application.sha256 === app.sha256;
    if (ok) r.restored.push(`application ${app.file} (sha256 read back${appNeeded ? '' : '; was intact'})`);
    else r.failed.push(`application ${app.file}: not confirmed by read-back (${after.application.clobberedByFusOperator ? 'the FUS operator is still at 0x08000000' : `sha256 ${after.application.sha256 ?? 'unknown'}`})`);
  }
  return r;
}

export function describeRecovery(r: SwdRecovery): string {
  const parts = [`tried: ${r.tried.length ? r.tried.join('; ') : 'nothing (all intact)'}`];
  if (r.restored.length) parts.push(`restored: ${r.restored.join('; ')}`);
  if (r.failed.length) parts.push(`NOT restored: ${r.failed.join('; ')} (the next copro apply plans it again)`);
  return `SWD recovery after the failure: ${parts.join('. ')}`;
}
