/**
 * plan(): from a board's state, a target and the images at hand, the ordered steps that reach the target,
 * or the refusal that says why not. Pure: no I/O, the same input always gives the same (deep-equal) plan.
 *
 * Shape of every plan (STM32CubeWB release notes, upgrade procedure, release notes v1.11.1+ STEP 4..9):
 *   [start-fus] [stack-delete] fus-upgrade* [stack-delete] [stack-install] [start-fus anti-rollback] [start-stack]
 *   [restore-option-bytes] [flash-application]
 * The stack is deleted before the FUS update when it changes anyway (after it on WB5xxC/E still on FUS
 * 0.5.3/1.0.1, which must update FUS before anything else); anti-rollback, a FUS command, is the last change
 * to the coprocessor; over SWD the option bytes and the application are restored at the end.
 * Each step carries `requires` (the state it starts from) and `expect` (the state the runner must read back).
 */
import semver from 'semver';
import type { Device } from '../domain/devices.js';
import { hex, parseHex } from '../domain/hex.js';
import type { BoardState } from '../generated/board-state.js';
import type { AvailableImage, ImageIdentity } from '../images/types.js';
import { checkBeforeTouching, checkBoardHealth, resolveDevice } from './checks.js';
import { reachableFus, type FusCandidate, type FusHop } from './fus-path.js';
import {
  dedupe,
  describeImage,
  describeInstalled,
  describeModelStack,
  expectationOf,
  fetchWarning,
  initialModel,
  optionBytesNotRestored,
  stepImage,
  summaryOfModel,
  summaryOfState,
  summaryOfTarget,
  type Ctx,
  type Model,
} from './model.js';
import { footprintStart, placeImage, type NvmArea } from './placement.js';
import { Refused, refuse, refusal, type RefusalCode } from './refusals.js';
import * as R from './rules.js';
import { canonicalStackType, compareImages, contentKey, forFamily, normaliseRange, sameStackType, usableImage } from './select.js';
import type { Expectation, Plan, PlanInput, Step, Target } from './types.js';

type StackGoal =
  | { kind: 'leave' }
  | { kind: 'none' }
  /** `identifiedAs`: the type, when it could not be read but was identified by version and footprint. */
  | { kind: 'keep'; identifiedAs?: string }
  | { kind: 'install'; image: AvailableImage; minFus: R.FusMinimumRule };

interface FusConstraint {
  range: string;
  why: string;
}

// ---------------------------------------------------------------------------------------------------------
// Entry point

export function plan(input: PlanInput): Plan {
  const { state, target } = input;
  const warnings: string[] = [];
  const assumptions: string[] = [];
  try {
    const device = resolveDevice(state, target);
    const ctx: Ctx = { state, target, device, warnings, assumptions };
    return build(ctx, input.images);
  } catch (e) {
    if (!(e instanceof Refused)) throw e;
    return {
      schemaVersion: 1,
      status: 'refused',
      device: target.device ?? state.device.key,
      from: summaryOfState(state),
      target: summaryOfTarget(target, state),
      steps: [],
      refusals: e.refusals,
      warnings: dedupe(warnings),
      assumptions: dedupe(assumptions),
    };
  }
}

function build(ctx: Ctx, images: readonly AvailableImage[]): Plan {
  const { state, target, device } = ctx;
  checkBoardHealth(ctx);
  const current = state.fus.version;
  // Stand-ins (simulated images) only for the simulated board.
  const simulated = target.allowStandIns === true || target.transport === 'simulated' || state.source.driver === 'simulator';
  const usable = images.filter((i) => usableImage(i, simulated)).sort(compareImages(simulated));
  ctx.setAside = images.filter((i) => i.path !== undefined && !usableImage(i, simulated));

  const installed = state.stack.status === 'installed';
  const wasRunning = state.cpu2 === 'stack' || state.stack.running === true;
  const fusImages = usable.filter((i) => i.identity.kind === 'fus' && forFamily(i, device.family));

  // A stack installed under FUS 0.5.3 does not survive its update: FUS >= 1.0.1 "CANNOT BE USED with the previous
  // version of Wireless Coprocessor Binary" (release notes v1.1.0) and the FUS area grows over it (SFSA 0xF6 -> 0xF4,
  // public field reports). So when the chain starts at 0.5.3, a kept stack is deleted (and reinstalled if named).
  let decision = decide(ctx, usable, fusImages, false);
  if (installed && decision.chain[0]?.from === '0.5.3' && (decision.goal.kind === 'keep' || decision.goal.kind === 'leave')) {
    if (decision.goal.kind === 'leave') ctx.warnings.push(`${describeInstalled(state)} cannot run on FUS >= 1.0.1 (release notes v1.1.0) and is deleted before the FUS update; the manifest names no stack to install instead.`);
    decision = decide(ctx, usable, fusImages, true);
  }
  const { goal, chain, unmet, early } = decision;
  const deleteNeeded = installed && (goal.kind === 'none' || goal.kind === 'install');
  const startNeeded = goal.kind === 'keep' && !wasRunning;
  const finalFus = chain.length > 0 ? chain[chain.length - 1]!.to : current;
  const antiRollbackWanted = wantsAntiRollback(state, target, goal);
  // Anti-rollback with no stack at the end blocks every future install (FUS registers 0xFFFFFFFF, field report
  // public field reports): refused whatever can be read, not only where anti-rollback reads back as inactive.
  if (target.policy.antiRollback && state.antiRollback !== 'active' && !antiRollbackWanted) checkAntiRollbackSafe(ctx, goal, finalFus, { fusCheck: false });
  if (target.policy.antiRollback && state.antiRollback === 'unknown' && !antiRollbackWanted) {
    ctx.warnings.push('Anti-rollback cannot be read over this connection: copro activates it only in the run that installs the stack, so it is not planned again here.');
  }

  if (antiRollbackWanted) checkAntiRollbackSafe(ctx, goal, finalFus);

  // Steps.
  const steps: Step[] = [];
  const m = initialModel(state, device);
  if (goal.kind === 'keep' && goal.identifiedAs !== undefined && m.stack.status === 'installed') m.stack.type = goal.identifiedAs;
  const add = (s: Omit<Step, 'n' | 'requires' | 'expect'>, change: (m: Model) => void, requires: Expectation = expectationOf(m)) => {
    change(m);
    steps.push({ n: steps.length + 1, ...s, requires, expect: expectationOf(m) });
    m.written = undefined; // what a step wrote is that step's to verify only
  };

  const fusOpsNeeded = chain.length > 0 || deleteNeeded || goal.kind === 'install' || startNeeded;
  if (fusOpsNeeded && m.cpu2 !== 'fus') {
    if (m.cpu2 === 'unknown') ctx.warnings.push('What CPU2 runs could not be read: FUS is started first (harmless if it already runs).');
    add(
      {
        kind: 'start-fus',
        title: 'Start FUS',
        reason:
          m.cpu2 === 'stack'
            ? 'CPU2 runs the wireless stack; FUS must run to delete, install or start firmware (resets the chip).'
            : 'It is not known whether CPU2 runs FUS; FUS must run for the next steps.',
        rule: R.ruleText(R.START_FUS),
        irreversible: false,
        warnings: [],
      },
      (x) => {
        x.cpu2 = 'fus';
        if (x.stack.status === 'installed') x.running = false;
      },
      { fusVersion: m.fus },
    );
  }

  const stackDesc = describeInstalled(state);
  const deleteStep = (why: string) =>
    add(
      {
        kind: 'stack-delete',
        title: `Delete the wireless stack (${stackDesc})`,
        reason: why,
        rule: R.ruleText(deleteFirstBeforeFus ? R.DELETE_BEFORE_FUS : R.STACK_DELETE),
        irreversible: state.antiRollback === 'active',
        warnings: state.antiRollback === 'active' ? ['Anti-rollback is active: the deleted version can never be installed again.'] : [],
      },
      (x) => {
        x.stack = { status: 'none' };
        x.running = false;
        x.cpu2 = 'fus';
        x.secureStart = undefined; // SFSA moves up to the FUS (AN5185 via ST, public field reports)
      },
    );
  const deleteWhy =
    goal.kind === 'none'
      ? target.stack === 'none'
        ? `The manifest asks for no wireless stack; ${stackDesc} is installed.`
        : `${stackDesc} was installed under FUS 0.5.3 and cannot run on FUS >= 1.0.1 (release notes v1.1.0); the FUS update needs its flash.`
      : goal.kind === 'install'
        ? `${stackDesc} is installed and must be replaced by ${describeImage(goal.image.identity)}; FUS installs a stack only after FW_DELETE.`
        : '';
  // Delete before the FUS update when the stack changes anyway, so the FUS image goes at ST's table address
  // (rules.DELETE_BEFORE_FUS); never on WB5xxC/E on FUS 0.5.3/1.0.1, which must update FUS before anything else.
  const deleteFirstBeforeFus = deleteNeeded && chain.length > 0 && !early;
  if (deleteFirstBeforeFus) deleteStep(`${deleteWhy} Deleted before the FUS update so the FUS image can go at ST's address.`);

  if (chain.length > 0 && m.stack.status === 'installed') ctx.assumptions.push(R.DELETE_BEFORE_FUS.keepAssumption);
  const chainWhy = unmet.map((c) => c.why).join('; ');
  for (const hop of chain) {
    const img = hop.candidate.available!;
    const placed = place(ctx, img.identity, m);
    if (hop.edge.assumption) ctx.assumptions.push(hop.edge.assumption);
    add(
      {
        kind: 'fus-upgrade',
        title: `Update FUS ${hop.from} -> ${hop.to}`,
        image: stepImage(img),
        address: hex(placed.address),
        reason: `${hop.edge.reason.replace('{from}', hop.from).replace('{to}', hop.to)}. Needed because ${chainWhy}.${placed.note}`,
        rule: R.ruleText(hop.edge),
        irreversible: true,
        warnings: [R.FUS_UPDATE_NEEDS_STABLE_POWER.warning, R.FUS_INSTALL_ERASES_KEYS.warning, ...(img.path === undefined ? [fetchWarning(img)] : [])],
      },
      (x) => {
        x.written = { address: placed.address, sha256: img.identity.sha256 };
        x.fus = hop.to;
        x.cpu2 = 'fus'; // FUS runs after its own update (it resets the chip several times)
        x.running = x.stack.status === 'installed' ? false : x.running;
        if (x.stack.status !== 'installed') x.secureStart = undefined;
      },
    );
  }

  if (deleteNeeded && !deleteFirstBeforeFus) deleteStep(deleteWhy);

  if (goal.kind === 'install') {
    const img = goal.image;
    const id = img.identity;
    const placed = place(ctx, id, m);
    add(
      {
        kind: 'stack-install',
        title: `Install ${describeImage(id)}`,
        image: stepImage(img),
        address: hex(placed.address),
        reason: installReason(state, id, target) + placed.note,
        rule: `${R.ruleText(R.STACK_INSTALL)}; ${R.ruleText(goal.minFus)}`,
        irreversible: false,
        warnings: img.path === undefined ? [fetchWarning(img)] : [],
      },
      (x) => {
        x.written = { address: placed.address, sha256: id.sha256, fusV2Only: id.fusV2Only };
        x.stack = { status: 'installed', version: id.version, type: id.stackType };
        x.running = true; // installed with startstack=1: the stack runs afterwards (STM32CubeWB release notes, upgrade procedure)
        x.cpu2 = 'stack';
      },
    );
  }

  // The stack should run at the end when the manifest names it, or it ran before and is left as it is.
  const shouldRun = goal.kind === 'keep' || goal.kind === 'install' || (goal.kind === 'leave' && m.stack.status === 'installed' && wasRunning);
  const startFusStep = (why: string) =>
    add(
      { kind: 'start-fus', title: 'Start FUS', reason: why, rule: R.ruleText(R.START_FUS), irreversible: false, warnings: [] },
      (x) => {
        x.cpu2 = 'fus';
        if (x.stack.status === 'installed') x.running = false;
      },
      { fusVersion: m.fus },
    );

  // Anti-rollback is a FUS command (FUS must run: start it, the stack is verified running by then), and the last
  // change to the coprocessor; the stack is started again afterwards.
  if (antiRollbackWanted) {
    if (m.cpu2 !== 'fus') startFusStep(`Anti-rollback is a FUS command; CPU2 runs ${m.cpu2 === 'stack' ? 'the wireless stack' : 'an unknown firmware'}.`);
    add(
      {
        kind: 'anti-rollback',
        title: 'Activate anti-rollback',
        reason: `The manifest asks for anti-rollback; FUS ${m.fus} (>= ${R.ANTI_ROLLBACK.minFus}) with ${describeModelStack(m)} installed${goal.kind === 'install' ? ' and verified running in the step before' : ''}.`,
        rule: R.ruleText(R.ANTI_ROLLBACK),
        irreversible: true,
        warnings: ['Irreversible: FUS will refuse any older wireless stack from now on.'],
      },
      (x) => {
        // Expected (and verified) only where it can be read back; the target summary says active either way.
        if (x.antiRollback !== 'unknown') x.antiRollback = 'active';
        x.antiRollbackActivated = true;
      },
    );
  }

  // Start the stack when it should run but CPU2 is left in FUS (after a FUS update, anti-rollback, or found so).
  if (shouldRun && m.stack.status === 'installed' && m.running !== true) {
    if (m.cpu2 !== 'fus') startFusStep('It is not known whether CPU2 runs FUS or the stack; FUS must run to start the stack.');
    add(
      {
        kind: 'start-stack',
        title: `Start the wireless stack (${describeModelStack(m)})`,
        reason:
          antiRollbackWanted || chain.length > 0
            ? `CPU2 is left in FUS after the ${antiRollbackWanted ? 'anti-rollback activation' : 'FUS update'}; the stack must run.`
            : 'The stack is installed but CPU2 runs FUS; the stack must run (public field reports).',
        rule: R.ruleText(R.START_STACK),
        irreversible: false,
        warnings: [],
      },
      (x) => {
        x.cpu2 = 'stack';
        x.running = true;
      },
    );
  }

  // Over SWD, every FUS command goes through CubeProgrammer's FUS operator: it overwrites 0x08000000.. and sets nSWboot0=0.
  const late: string[] = [];
  const swd = target.transport === 'swd';
  const swdFusWork = swd && steps.length > 0;
  if (swd && target.policy.restoreOptionBytes && (swdFusWork || optionBytesNotRestored(state))) {
    add(
      {
        kind: 'restore-option-bytes',
        title: 'Restore option bytes nSWboot0=1 nBOOT0=1 nBOOT1=1',
        reason: swdFusWork
          ? "CubeProgrammer's FUS operator sets nSWboot0=0 over SWD; restored so the board boots its application."
          : 'The option bytes still boot the system bootloader (nSWboot0/nBOOT0/nBOOT1 not 1), as left by an earlier FUS operation (public field reports).',
        rule: R.ruleText(R.RESTORE_OPTION_BYTES),
        irreversible: false,
        warnings: [],
      },
      (x) => {
        x.optionBytes = { nSWboot0: 1, nBOOT0: 1, nBOOT1: 1 };
      },
    );
  }
  const app = target.application;
  const appPresent = state.application.present !== false && state.application.clobberedByFusOperator !== true;
  if (swdFusWork && !app?.file && appPresent) {
    if (target.policy.swdApplicationLoss === 'accept') late.push(`${R.SWD_FUS_OPERATOR.warning} The manifest accepts this (policy.swdApplicationLoss: accept).`);
    else
      refuse(
        'SWD_APPLICATION_LOSS',
        `${R.SWD_FUS_OPERATOR.warning} The manifest gives no application file to re-flash, and its policy is ${target.policy.swdApplicationLoss}.`,
        'Set `application.file` (copro re-flashes it after the FUS work), use USB DFU (no FUS operator), or set `policy.swdApplicationLoss: accept`.',
        R.SWD_FUS_OPERATOR.source,
      );
  }
  if (swd && app?.file && (swdFusWork || state.application.clobberedByFusOperator === true)) {
    add(
      {
        kind: 'flash-application',
        title: `Re-flash the application ${app.file}`,
        address: hex(app.address),
        reason: swdFusWork
          ? "The SWD FUS operator overwrites the application's first sectors; the application is written back."
          : 'The application was overwritten by the SWD FUS operator earlier; it is written back.',
        rule: R.ruleText(R.SWD_FUS_OPERATOR),
        irreversible: false,
        warnings: [],
      },
      (x) => {
        if (app.fileSha256 !== undefined) x.applicationSha256 = app.fileSha256;
      },
    );
    if (swdFusWork) late.push(`${R.SWD_FUS_OPERATOR.warning} copro re-flashes ${app.file} afterwards.`);
  }

  if (steps.length > 0) checkBeforeTouching(ctx, steps);
  // Warnings about what the steps do, only once the plan stands.
  if (chain.length > 0) ctx.warnings.push(R.FUS_UPDATE_NEEDS_STABLE_POWER.warning, R.FUS_INSTALL_ERASES_KEYS.warning);
  ctx.warnings.push(...late);
  ctx.warnings.push(...misnamedNotes(ctx, images, steps, simulated));
  const imagesToFetch = steps.filter((s) => s.image && s.image.path === undefined && s.image.origin === 'catalog' && s.image.nameTakenBy === undefined);
  if (imagesToFetch.length > 0) ctx.warnings.push(`${imagesToFetch.map((s) => s.image!.name).join(', ')} must be downloaded first: run \`copro fetch\`.`);

  return {
    schemaVersion: 1,
    status: steps.length > 0 ? 'changes' : 'up-to-date',
    device: device.key,
    from: summaryOfState(state),
    target: summaryOfModel(m),
    steps,
    refusals: [],
    warnings: dedupe(ctx.warnings),
    assumptions: dedupe(ctx.assumptions),
  };
}

interface Decision {
  goal: StackGoal;
  chain: FusHop[];
  /** The constraints the running FUS does not meet (why the chain exists). */
  unmet: FusConstraint[];
  /** The WB5xxC/E rule applies: FUS first, before any other operation. */
  early: boolean;
}

/**
 * Whether to activate anti-rollback. It has no read-out over USB/UART/SWD (state 'unknown'): then only in the run
 * that installs the stack, so a board that matches the manifest plans to 'up-to-date' (idempotent).
 */
function wantsAntiRollback(state: BoardState, target: Target, goal: StackGoal): boolean {
  if (!target.policy.antiRollback || state.antiRollback === 'active') return false;
  return state.antiRollback === 'inactive' || goal.kind === 'install';
}

/** What happens to the stack, and the FUS chain that follows from it and the target. */
function decide(ctx: Ctx, usable: readonly AvailableImage[], fusImages: readonly AvailableImage[], replaceStack: boolean): Decision {
  const { state, target, device } = ctx;
  const current = state.fus.version;
  const goal = resolveStack(ctx, usable, replaceStack);
  const installed = state.stack.status === 'installed';
  const wasRunning = state.cpu2 === 'stack' || state.stack.running === true;
  const deleteNeeded = installed && (goal.kind === 'none' || goal.kind === 'install');
  const startNeeded = goal.kind === 'keep' && !wasRunning;
  const antiRollbackWanted = wantsAntiRollback(state, target, goal);

  // FUS: constraints from the target, the stack and the device; then the shortest chain to the newest FUS that meets them.
  const constraints: FusConstraint[] = [];
  if (target.fus !== 'keep' && target.fus !== 'latest') {
    if (semver.validRange(target.fus) === null) {
      refuse('TARGET_INVALID', `FUS target ${JSON.stringify(target.fus)} is not a version, a semver range, "latest" or "keep".`, 'Fix `fus:` in the manifest (e.g. 2.2.0, >=2.1.0, latest).', 'manifest.schema.json');
    }
    if (!semver.satisfies(current, target.fus) && semver.gtr(current, target.fus)) {
      refuse(
        'FUS_DOWNGRADE',
        `The board runs FUS ${current}; the manifest asks for FUS ${target.fus}, which is older. FUS can never be downgraded.`,
        `Set \`fus: ">=${current}"\`, \`latest\` or \`keep\` in the manifest.`,
        R.NO_FUS_DOWNGRADE.source,
      );
    }
    constraints.push({ range: target.fus, why: `the manifest asks for FUS ${target.fus}` });
  }
  if (target.fus === 'latest') {
    const newest = fusImages[0]?.identity.version;
    if (newest !== undefined && semver.gt(newest, current)) constraints.push({ range: `>=${newest}`, why: `the manifest asks for the latest FUS (${newest})` });
    if (newest === undefined) ctx.warnings.push(`No FUS image for ${device.family} is available: "latest" is taken as the running FUS ${current}.`);
  }
  if (goal.kind === 'install') {
    const id = goal.image.identity;
    constraints.push({ range: `>=${goal.minFus.minFus}`, why: `${describeImage(id)} needs FUS >= ${goal.minFus.minFus} (${goal.minFus.id})` });
  }
  const otherOps = deleteNeeded || goal.kind === 'install' || startNeeded || antiRollbackWanted;
  const early = R.EARLY_FUS_UPDATE.devices.includes(device.key) && R.EARLY_FUS_UPDATE.fusVersions.includes(current) && otherOps;
  if (early) {
    constraints.push({
      range: R.EARLY_FUS_UPDATE.mustReach,
      why: `${device.key} on FUS ${current} must update FUS before any other operation, or may lock up for good (release notes v1.1.1)`,
    });
  }

  const unmet = constraints.filter((c) => !semver.satisfies(current, c.range));
  if (unmet.length === 0) return { goal, chain: [], unmet, early };
  if (target.policy.fusUpgrade === 'forbid') {
    refuse(
      'FUS_UPGRADE_FORBIDDEN',
      `FUS ${current} must be updated because ${unmet.map((c) => c.why).join('; ')}, but the manifest's policy forbids FUS updates.`,
      `Set \`policy.fusUpgrade: allow\` (a FUS update is irreversible and erases user keys stored in FUS), or choose a target FUS ${current} supports: ${acceptedStacks(ctx, usable, current)}.`,
      early ? R.EARLY_FUS_UPDATE.source : 'manifest policy.fusUpgrade',
    );
  }
  return { goal, chain: findFusChain(ctx, current, constraints, fusImages), unmet, early };
}

// ---------------------------------------------------------------------------------------------------------
// Stack

/** `replaceStack`: the installed stack cannot stay (FUS 0.5.3 update), even if it matches. */
function resolveStack(ctx: Ctx, usable: readonly AvailableImage[], replaceStack: boolean): StackGoal {
  const { state, target, device } = ctx;
  const want = target.stack;
  if (want === undefined) return replaceStack ? { kind: 'none' } : { kind: 'leave' };
  if (state.stack.status === 'unknown') {
    refuse('STATE_UNKNOWN', 'Whether a wireless stack is installed could not be read.', 'Read it with `copro status --full` (it starts FUS: a chip reset) or let `copro apply` read it.', 'STM32CubeWB release notes and AN5185, reading versions (stack version in the FUS info table at 0x20030024+20');
  }
  if (want === 'none') return { kind: 'none' };
  const range = normaliseRange(want.range);
  if (semver.validRange(range) === null) {
    refuse('TARGET_INVALID', `Stack version ${JSON.stringify(want.range)} is not a version, a semver range or "latest".`, 'Fix `stack.version` in the manifest (e.g. 1.24.0, ^1.23.0, latest).', 'manifest.schema.json');
  }
  const type = canonicalStackType(want.type);
  const ofType = usable.filter((i) => i.identity.kind === 'stack' && sameStackType(i.identity.stackType, type));
  const inRange = ofType.filter((i) => semver.satisfies(i.identity.version, range));
  const forBoard = inRange.filter((i) => forFamily(i, device.family));
  // `latest` is the newest image of the type for this family: an installed older one is not enough.
  const latest = want.range.trim() === 'latest' ? forBoard[0]?.identity.version : undefined;
  const acceptable = (v: string) => semver.satisfies(v, range) && (latest === undefined || semver.gte(v, latest));
  const st = state.stack;
  if (st.status === 'installed') {
    const typeKnown = st.type !== null && st.type !== 'unknown';
    const versionKnown = st.version !== null && st.version !== 'unknown';
    if (!replaceStack && typeKnown && versionKnown && sameStackType(st.type, type) && acceptable(st.version!)) return { kind: 'keep' };
    if (!replaceStack && versionKnown && !typeKnown && acceptable(st.version!)) {
      // FUS does not report the type (STM32CubeWB release notes and AN5185, reading versions). The installed stack sits right below FUS, so its start (SFSA)
      // tells its size: the same version with the footprint of the wanted image is taken as that image.
      const twin = forBoard.find((i) => i.identity.version === st.version);
      const start = installedStackStart(state, device);
      if (twin && start !== undefined && start === footprintStart(twin.identity, device)) {
        ctx.warnings.push(`The installed stack's type cannot be read; ${st.version} at ${hex(start)} has the version and flash footprint of ${type} ${st.version}, so it is taken as that.`);
        return { kind: 'keep', identifiedAs: type };
      }
      if (state.antiRollback === 'active') {
        refuse(
          'STATE_UNKNOWN',
          `A stack ${st.version} is installed but its type could not be read (FUS does not report it), and anti-rollback is active, so it cannot be reinstalled to be sure.`,
          'Start the wireless stack and read the state again (`copro status`): a running stack reports its type.',
          'STM32CubeWB release notes and AN5185, reading versions (the stack type is known only from the running stack or from the install',
        );
      }
      ctx.warnings.push(`The installed stack ${st.version} has an unknown type (FUS does not report it): it is reinstalled as ${type} to be sure.`);
    }
  }

  const chosen = forBoard[0];
  if (!chosen) {
    if (inRange.length > 0) {
      const other = inRange[0]!;
      refuse(
        'IMAGE_WRONG_FAMILY',
        `${describeImage(other.identity)} (${other.name}) is for ${other.identity.families.join('/') || 'an unknown family'}, not for this ${device.family} board (${device.key}); no ${type} ${want.range} image for ${device.family} is available.`,
        `Use the ${device.family.toLowerCase()}_${type}_fw.bin file of the same release (\`copro fetch\`), or put it in binaries/.`,
        'AN5185 image footer-§3 (images are built per family: stm32wb5x_/stm32wb3x_/stm32wb1x_; WB1x counts flash in 2 KiB pages',
      );
    }
    const versions = [...new Set(ofType.filter((i) => forFamily(i, device.family)).map((i) => i.identity.version))].sort(semver.rcompare);
    const setAside = (ctx.setAside ?? []).filter((i) => i.identity.kind === 'stack' && sameStackType(i.identity.stackType, type));
    const why = (i: AvailableImage) =>
      i.origin === 'stand-in' || i.identity.signature === 'simulated'
        ? 'a simulated stand-in: only the simulated board takes it'
        : i.identity.signature === 'none'
          ? 'it has no signature trailer'
          : 'not a known ST image (sha256 not in the catalog): name it in images.files to use it on purpose';
    const asideText = setAside.length > 0 ? ` Set aside: ${setAside.map((i) => `${i.path ?? i.name} (${why(i)})`).join('; ')}.` : '';
    refuse(
      'IMAGE_MISSING',
      `No ${type} image ${want.range} for ${device.family} among the ${usable.length} usable images (local files, ST catalog${target.transport === 'simulated' ? ', stand-ins' : ''})${versions.length > 0 ? `; available versions: ${versions.slice(0, 6).join(', ')}` : ''}.${asideText}`,
      'Put the stack file in binaries/ (or images.dir), run `copro fetch` for ST\'s catalog images, or widen `stack.version`.',
      'st-copro-images.json (every image ST published in STM32CubeWB v1.1.0..v1.24.0)',
    );
  }

  const id = chosen.identity;
  if (state.antiRollback === 'active') {
    const cur = st.status === 'installed' && st.version !== null && st.version !== 'unknown' ? st.version : undefined;
    if (cur === undefined || semver.lte(id.version, cur)) {
      refuse(
        'ANTI_ROLLBACK_ACTIVE_BLOCKS',
        cur === undefined
          ? `Anti-rollback is active and no stack version is installed to compare with: FUS registered 0xFFFFFFFF and refuses every stack (AN5185 §2.4; public field reports).`
          : `Anti-rollback is active: FUS refuses ${describeImage(id)} because it is not newer than the installed ${cur}.`,
        cur === undefined ? 'None: the part cannot take a wireless stack any more. Use another part.' : `Target a ${type} version newer than ${cur}.`,
        R.ANTI_ROLLBACK.source,
      );
    }
  }
  const minFus = R.minimumFusFor(id);
  if ('note' in minFus && typeof minFus.note === 'string') ctx.assumptions.push(minFus.note);
  return { kind: 'install', image: chosen, minFus };
}

/** Where the installed stack starts: SFSA from the option bytes, else the recorded install address. */
function installedStackStart(state: BoardState, device: Device): number | undefined {
  const ob = state.optionBytes;
  const sfsa = ob === 'unknown' ? undefined : parseHex(ob.sfsa);
  if (sfsa !== undefined && sfsa !== 0) return device.flashBase + sfsa * device.pageSize;
  return state.stack.installAddress === undefined ? undefined : parseHex(state.stack.installAddress);
}

function installReason(state: BoardState, id: ImageIdentity, target: Target): string {
  const want = target.stack !== undefined && target.stack !== 'none' ? `${target.stack.type} ${target.stack.range}` : '';
  const st = state.stack;
  const from =
    st.status !== 'installed'
      ? 'no stack is installed'
      : `${describeInstalled(state)} is installed${st.type !== null && st.type !== 'unknown' && !sameStackType(st.type, id.stackType) ? ' (another stack type)' : ''}`;
  return `The manifest asks for ${want}; ${from}. ${describeImage(id)} is the newest matching image for this family${id.fusV2Only ? ' ("FUSv2 only": footer magic 0xB10C8B99)' : ''}.`;
}

// ---------------------------------------------------------------------------------------------------------
// FUS

function fusCandidates(images: readonly AvailableImage[]): FusCandidate[] {
  return images.map((i) => ({ version: i.identity.version, key: contentKey(i), available: i }));
}

function findFusChain(ctx: Ctx, current: string, constraints: readonly FusConstraint[], fusImages: readonly AvailableImage[]): FusHop[] {
  const { device } = ctx;
  const meets = (v: string) => v !== current && constraints.every((c) => semver.satisfies(v, c.range));
  // The newest FUS that meets every constraint; with `keep` (change FUS only when needed) the fewest
  // updates first, then the newest (ST's procedure brings FUS to the latest it reaches).
  const keep = ctx.target.fus === 'keep';
  const pick = (paths: Map<string, FusHop[]>) =>
    [...paths.keys()].filter(meets).sort((a, b) => (keep ? paths.get(a)!.length - paths.get(b)!.length : 0) || semver.rcompare(a, b))[0];

  const paths = reachableFus(current, device.family, fusCandidates(fusImages));
  const best = pick(paths);
  if (best !== undefined) return paths.get(best)!;

  // Would ST's published images make a path? Then say which files are missing; otherwise there is no path.
  const known: FusCandidate[] = R.KNOWN_FUS_IMAGES.filter((k) => k.families.includes(device.family) && !fusImages.some((i) => contentKey(i) === k.sha256))
    .map((k) => ({ version: k.version, key: k.sha256, known: k }))
    .sort((a, b) => semver.rcompare(a.version, b.version));
  const ideal = reachableFus(current, device.family, [...fusCandidates(fusImages), ...known]);
  const idealBest = pick(ideal);
  const wanted = constraints.map((c) => c.why).join('; ');
  if (idealBest !== undefined) {
    const missing = ideal.get(idealBest)!.filter((h) => h.candidate.available === undefined);
    const first = missing[0]!;
    const k = first.candidate.known!;
    const name = k.names.find((n) => n.toLowerCase().startsWith(device.family.toLowerCase())) ?? k.names[0]!;
    refuse(
      'IMAGE_MISSING',
      `FUS ${current} -> ${idealBest} needs ${missing.map((h) => `${nameFor(h.candidate, device)} (FUS ${h.from} -> ${h.to})`).join(', ')}, which is not available here. Wanted because ${wanted}.`,
      `Get ${name} from ${k.releases}: run \`copro fetch\`, or put the file in binaries/ (copro identifies it by content, sha256 ${k.sha256.slice(0, 16)}...).`,
      first.edge.source,
    );
  }
  const reachable = [...paths.keys()].filter((v) => v !== current);
  refuse(
    'NO_FUS_PATH',
    `No chain of FUS updates leads from FUS ${current} to a version that satisfies: ${wanted}.${reachable.length > 0 ? ` Reachable from here: ${reachable.sort(semver.compare).join(', ')}.` : ''}`,
    'Check the FUS and stack targets against ST\'s upgrade rules (`copro rules`); FUS 0.5.3 -> 1.2.0 -> 2.x is the only path, and FUS never goes down.',
    R.FUS_EDGES.map((e) => e.id).join(', ') + ' (STM32CubeWB release notes, upgrade procedure)',
  );
}

function nameFor(c: FusCandidate, device: Device): string {
  if (c.available) return c.available.name;
  const names = c.known!.names;
  return names.find((n) => n.toLowerCase().startsWith(device.family.toLowerCase())) ?? names[0]!;
}

/**
 * Every local file whose name is ST's name of one image and whose content is another: what it is, what the
 * name claims, and whether this plan uses it, could use it, or cannot (file names lie: identify by content).
 */
function misnamedNotes(ctx: Ctx, images: readonly AvailableImage[], steps: readonly Step[], simulated: boolean): string[] {
  return images
    .filter((i) => i.misnamed !== undefined && i.path !== undefined)
    .map((i) => {
      const m = i.misnamed!;
      const used = steps.find((s) => s.image?.sha256 === i.identity.sha256);
      const on = R.installsOn(i.identity).text;
      const use = used
        ? `used for step ${used.n} (${used.title})`
        : usableImage(i, simulated) && forFamily(i, ctx.device.family)
          ? `not needed by this plan; it could serve as ${describeImage(i.identity)}, which ${on}`
          : `not usable on this ${ctx.device.family} board`;
      return `${i.path} is named like ST's ${m.name} (${m.what}, sha256 ${m.sha256}) but holds ${describeImage(i.identity)} for ${i.identity.families.join('/') || 'an unknown family'} (sha256 ${i.identity.sha256}; ${on}): ${use}.`;
    });
}

/** The stacks (of the wanted type first) that the running FUS installs, from the images at hand: for a remedy. */
function acceptedStacks(ctx: Ctx, usable: readonly AvailableImage[], fus: string): string {
  const want = ctx.target.stack;
  const type = want !== undefined && want !== 'none' ? canonicalStackType(want.type) : undefined;
  const ok = usable.filter((i) => i.identity.kind === 'stack' && forFamily(i, ctx.device.family) && semver.gte(fus, R.minimumFusFor(i.identity).minFus));
  const ofType = type === undefined ? [] : ok.filter((i) => sameStackType(i.identity.stackType, type));
  const list = (imgs: readonly AvailableImage[]) => [...new Set(imgs.map((i) => describeImage(i.identity)))].slice(0, 4).join(', ');
  if (ofType.length > 0) return `${list(ofType)}${ofType.length > 4 ? ' (and older)' : ''} (stack.version: ${ofType[0]!.identity.version})`;
  if (ok.length > 0) return `no ${type ?? 'stack'} image here runs on it; other stacks that do: ${list(ok)}`;
  return `no stack image available here runs on FUS ${fus}`;
}

function checkAntiRollbackSafe(ctx: Ctx, goal: StackGoal, finalFus: string, o: { fusCheck: boolean } = { fusCheck: true }): void {
  const { state } = ctx;
  const stackAtEnd = goal.kind === 'install' || goal.kind === 'keep' || (goal.kind === 'leave' && state.stack.status === 'installed');
  if (!stackAtEnd) {
    refuse(
      'ANTI_ROLLBACK_WITHOUT_STACK',
      'The manifest asks for anti-rollback, but no wireless stack will be installed: activated without a stack, FUS registers 0xFFFFFFFF and no stack can ever be installed again (public field reports).',
      'Install a stack in the same manifest (`stack:`), or drop `policy.antiRollback`.',
      R.ANTI_ROLLBACK.source,
    );
  }
  if (o.fusCheck && semver.lt(finalFus, R.ANTI_ROLLBACK.minFus)) {
    refuse(
      'ANTI_ROLLBACK_FUS_TOO_OLD',
      `The manifest asks for anti-rollback, but FUS would stay at ${finalFus}; ST requires FUS >= ${R.ANTI_ROLLBACK.minFus} first.`,
      'Target `fus: latest` (or >= 1.2.0), or drop `policy.antiRollback`.',
      R.ANTI_ROLLBACK.source,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// Addresses

/**
 * FUS 2.x's NVM area for a stack written while FUS runs `fus` (STM32CubeWB v1.23.0 release notes): none
 * under FUS 1.x or when this plan brings FUS to 2.x (FUS 1.x never installed a "FUS_v2 only" binary);
 * present when the board says so or runs a "FUS_v2 only" stack; otherwise as read, or unknown.
 */
function nvmAreaFor(state: BoardState, fus: string): NvmArea {
  if (semver.valid(fus) === null || semver.lt(fus, '2.0.0')) return 'absent';
  if (semver.valid(state.fus.version) !== null && semver.lt(state.fus.version, '2.0.0')) return 'absent';
  if (state.stack.status === 'installed' && state.stack.fusV2Only === true) return 'present';
  return state.fus.nvmArea ?? 'unknown';
}

function place(ctx: Ctx, id: ImageIdentity, m: Model): { address: number; note: string } {
  const { device, target } = ctx;
  const result = placeImage(id, device, { secureStart: m.secureStart, applicationEnd: target.application?.end, nvmArea: nvmAreaFor(ctx.state, m.fus) });
  ctx.warnings.push(...result.warnings);
  if (result.assumption) ctx.assumptions.push(result.assumption);
  if (result.problem) {
    const p = result.problem;
    // No room: below the flash start (bigger than all the flash below TOP), or no address above the application.
    const code: RefusalCode =
      p.code === 'OVERLAPS_APPLICATION' ? (p.roomAboveApplication ? 'ADDRESS_OVERLAPS_APPLICATION' : 'STACK_TOO_BIG') : p.code === 'BELOW_FLASH' ? 'STACK_TOO_BIG' : 'ADDRESS_INVALID';
    const remedy =
      code === 'STACK_TOO_BIG'
        ? target.application
          ? `Shrink the application region (application.end ${hex(target.application.end)}), or pick a smaller stack (e.g. BLE_Stack_light or BLE_HCILayer).`
          : `This image does not fit in ${device.key}'s flash below ${hex(device.top)}; pick a smaller stack or a part with more flash.`
        : code === 'ADDRESS_OVERLAPS_APPLICATION'
          ? 'Check `application.end` in the manifest; it must end below the image.'
          : 'This image cannot be installed on this device at a valid address; check the image and the device.';
    throw new Refused([refusal(code, `${describeImage(id)} at ${hex(p.address)}: ${p.message}`, remedy, 'STM32CubeWB release notes, install address tables (install address = TOP - ceil(size/page*page - (FUSv2-only ? 0x4000 : 0); never over SFSA, past the flash end or over the application)')]);
  }
  return { address: result.address, note: result.note ? ` ${result.note}` : '' };
}
