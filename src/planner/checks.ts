/**
 * Checks before planning (which device; is the board in a state copro can plan from) and before touching
 * the board (read protection; the tool over SWD). Each failure is a refusal with its rule and remedy.
 */
import semver from 'semver';
import { deviceByKey, devicesMatching, type Device } from '../domain/devices.js';
import { hex, parseHex } from '../domain/hex.js';
import { isSafebootForDeviceId } from '../domain/families.js';
import type { BoardState } from '../generated/board-state.js';
import type { Ctx } from './model.js';
import { refuse } from './refusals.js';
import * as R from './rules.js';
import type { Step, Target } from './types.js';

export function resolveDevice(state: BoardState, target: Target): Device {
  const key = state.device.key;
  const id = parseHex(state.device.deviceId);
  const candidates = id === undefined ? [] : devicesMatching(id, state.device.flashSizeKB * 1024);
  if (target.device !== undefined) {
    const wanted = deviceByKey(target.device);
    if (key !== 'unknown' && key !== target.device) {
      refuse(
        'DEVICE_MISMATCH',
        `The manifest is for ${target.device}, but the board is ${key} (device id ${state.device.deviceId}, ${state.device.flashSizeKB} KB).`,
        'Connect the right board, or fix `device:` in the manifest.',
        'STM32CubeWB release notes, install address tables (device id 0x495 = WB5x/WB3x, 0x494 = WB1x; flash size from the connect header',
      );
    }
    if (key === 'unknown' && (id === undefined || !candidates.some((d) => d.key === wanted.key))) {
      refuse(
        'DEVICE_MISMATCH',
        `The manifest is for ${target.device} (device id ${hex(wanted.deviceId, 3)}, ${wanted.flashSize / 1024} KB), but the board reports device id ${state.device.deviceId} with ${state.device.flashSizeKB} KB.`,
        'Connect the right board, or fix `device:` in the manifest.',
        'STM32CubeWB release notes, install address tables',
      );
    }
    return wanted;
  }
  if (key === 'unknown') {
    refuse(
      'DEVICE_AMBIGUOUS',
      `The board (device id ${state.device.deviceId}, ${state.device.flashSizeKB} KB) could be ${candidates.map((d) => d.key).join(' or ') || 'no known STM32WB part'}; WB5x and WB3x share device id 0x495 and copro will not guess.`,
      `Name the part in the manifest, e.g. \`device: ${candidates[0]?.key ?? 'STM32WB55RG'}\`.`,
      'STM32CubeWB release notes, install address tables (device id 0x495 = WB55/WB35 family',
    );
  }
  return deviceByKey(key);
}

export function checkBoardHealth(ctx: Ctx): void {
  const { state } = ctx;
  const ob = state.optionBytes;
  // SFSA = 0 with SBRV 0x3FC00 (ST wiki); 0x3FC00 is a WB5x value: on a WB1x SFSA = 0 alone (community m-p/580319).
  const inSafeboot = state.cpu2 === 'safeboot' || (ob !== 'unknown' && isSafebootForDeviceId(parseHex(state.device.deviceId), parseHex(ob.sfsa) ?? -1, parseHex(ob.sbrv) ?? -1));
  if (inSafeboot) {
    const obText = ob === 'unknown' ? '' : ` (SFSA=${ob.sfsa}, SBRV=${ob.sbrv}${ob.ese !== undefined ? `, ESE=${ob.ese}` : ''})`;
    refuse(
      'SAFEBOOT',
      `CPU2 is in safeboot${obText}: the option bytes are corrupted and neither FUS nor a stack can run.`,
      R.SAFEBOOT.recovery + (ob !== 'unknown' && ob.ese === 0 ? ' ESE reads 0 here, so the C2BOOT write is unlikely to work: contact ST support.' : ''),
      R.SAFEBOOT.source,
    );
  }
  const v = state.fus.version;
  if (v === 'unknown' || v === '0.0.0' || semver.valid(v) === null) {
    refuse(
      'STATE_UNKNOWN',
      v === '0.0.0'
        ? 'The FUS version reads 0.0.0: FUS is not running or its info table is not valid (public field reports); copro cannot plan from it.'
        : state.cpu2 === 'stack'
          ? `CPU2 runs the wireless stack, so the FUS version cannot be read over ${state.source.transport} without starting FUS; every rule depends on it.`
          : 'The FUS version could not be read; every rule depends on it.',
      'Read it with `copro status --full` (it starts FUS: a chip reset; over SWD the FUS operator) or let `copro apply` read it; over SWD use STM32CubeProgrammer >= 2.20 or USB DFU.',
      'STM32CubeWB release notes and AN5185, reading versions (FUS version at 0x20030030 after -startfus; 0x20010010 with the SWD FUS operator',
    );
  }
  if (state.fus.state === 'FUS_UPGRADE_ONGOING' || state.fus.state === 'WIRELESS_STACK_UPGRADE_ONGOING' || state.fus.state === 'FUS_SERVICE_ONGOING') {
    refuse('STATE_UNKNOWN', `FUS is busy (${state.fus.state}): an operation is still running.`, 'Wait for it to finish, then read the state again (`copro status`).', 'AN5185 and shci.h: FUS states, observed timings (FUS state machine');
  }
  // FUS_ERROR / STATE_NOT_RUNNING is simply what FUS answers while the wireless stack runs (STM32CubeProgrammer CLI, UM2237).
  const stackAnswers = state.cpu2 === 'stack' && state.fus.error === 'STATE_NOT_RUNNING';
  if (state.fus.state === 'FUS_ERROR' && !stackAnswers) ctx.warnings.push(`FUS reports an error from an earlier operation (${state.fus.error}); the next FUS command clears it.`);
  if (state.antiRollback === 'unknown') ctx.warnings.push('Whether anti-rollback is active could not be read: if it is, FUS refuses older stacks.');
}

export function checkBeforeTouching(ctx: Ctx, steps: readonly Step[]): void {
  const { state, target } = ctx;
  const ob = state.optionBytes;
  if (ob === 'unknown') ctx.warnings.push('RDP could not be read; copro requires level 0 (0xAA) for FUS work.');
  else if (ob.rdp !== '0xAA') {
    refuse(
      'RDP_NOT_LEVEL0',
      `Read protection is ${ob.rdp}, not level 0 (0xAA): FUS operations fail and may leave CPU2 unusable (public field reports).`,
      'Set RDP back to 0xAA (this mass-erases the user flash) and plan again.',
      R.RDP_LEVEL0.source,
    );
  }
  if (target.transport === 'swd') {
    const blocked = steps.filter((s) => (s.kind === 'stack-delete' || s.kind === 'stack-install' || s.kind === 'fus-upgrade') && s.requires.fusVersion !== undefined && semver.satisfies(s.requires.fusVersion, R.SWD_FUS2_TOOL.fusRange));
    if (blocked.length > 0) {
      // The version the manifest/CLI gives, else the one the read-back's banner showed.
      const toolText = target.toolVersion ?? (ctx.state.source.driver === 'cubeprogrammer' ? ctx.state.source.toolVersion : undefined);
      const tool = toolText === undefined ? null : semver.coerce(toolText);
      if (tool !== null && semver.lt(tool, R.SWD_FUS2_TOOL.minTool)) {
        refuse(
          'TOOL_TOO_OLD',
          `Step ${blocked[0]!.n} (${blocked[0]!.title}) runs with FUS ${blocked[0]!.requires.fusVersion} over SWD, which STM32CubeProgrammer ${toolText} cannot do (no FW_delete/install with FUS 2.x over ST-LINK before 2.20; public field reports).`,
          'Use USB DFU (BOOT0 high, `port: usb1`), or update STM32CubeProgrammer to 2.20 or newer.',
          R.SWD_FUS2_TOOL.source,
        );
      }
      if (tool === null) ctx.warnings.push(`FUS 2.x over SWD needs STM32CubeProgrammer >= 2.20 (release notes v1.22.1 Warning 1); its version is not known here.`);
    }
  }
}
