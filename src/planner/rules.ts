/**
 * ST's upgrade rules for the coprocessor, AS DATA: each rule has an id and its source, so a plan can say
 * which rule a step follows and a reviewer can check it against the quote.
 *
 * Sources: STM32CubeWB Release_Notes.html of Projects/STM32WB_Copro_Wireless_Binaries (tags v1.1.0..v1.24.0,
 * summarised in st-release-notes-rules.md), AN5185 as quoted by ST staff on community.st.com, and
 * STM32CubeWB release notes, install address tables-§6. Versions are semver strings compared numerically (never as text: "1.13" < "1.9" as text.
 */
import semver from 'semver';
import type { Family } from '../domain/devices.js';
import type { DeviceKey } from '../domain/devices.js';
import type { ImageIdentity } from '../images/types.js';

/** Which FUS image an edge may use. */
export type FusImageSelector =
  /** One of these exact images (by content: sha256, or a stand-in made for it). */
  | { by: 'sha256'; sha256: readonly string[]; describe: string }
  /** Any FUS image whose (footer) version satisfies the range. */
  | { by: 'version'; range: string; describe: string };

/** One allowed FUS update: a board running a FUS in `from` may install `image` and then runs `gives`. */
export interface FusEdge {
  id: string;
  /** Semver range of the running FUS. */
  from: string;
  image: FusImageSelector;
  /** The FUS version after the update; `image` = the version of the image itself. */
  gives: string | 'image';
  families: readonly Family[];
  /** The plain-words reason a step following this edge prints; {from} and {to} are filled in. */
  reason: string;
  source: string;
  /** Set when ST does not state the edge: the plan lists this in `assumptions`. */
  assumption?: string;
}

const WB53: readonly Family[] = ['STM32WB5x', 'STM32WB3x'];
const ALL: readonly Family[] = ['STM32WB5x', 'STM32WB3x', 'STM32WB1x'];

/** The FUS images ST published that the edges name (st-release-notes-rules.md §1), for messages about missing files. */
export interface KnownFusImage {
  sha256: string;
  version: string;
  families: readonly Family[];
  /** File names per family, newest first. */
  names: readonly string[];
  releases: string;
}

export const KNOWN_FUS_IMAGES: readonly KnownFusImage[] = [
  {
    sha256: '3f73a9be93eec3de7ff663d4b8a7669064c86f841db401c8ccee4f6ccd4e4b30',
    version: '1.2.0',
    families: WB53,
    names: ['stm32wb5x_FUS_fw_for_fus_0_5_3.bin', 'stm32wb3x_FUS_fw_for_fus_0_5_3.bin'],
    releases: 'STM32CubeWB v1.11.1..v1.24.0',
  },
  {
    sha256: '2712d4d23417c00af9a0fb6337c6f93118d8ffce02c61db7f4e611b74baddbfd',
    version: '1.2.0',
    families: WB53,
    names: ['stm32wb5x_FUS_fw_1_2_0.bin', 'stm32wb3x_FUS_fw_1_2_0.bin'],
    releases: 'STM32CubeWB v1.22.1..v1.24.0 (named *_FUS_fw.bin in v1.11.1..v1.22.0)',
  },
  {
    sha256: 'd814b0a0bfc19d1864064e7992bd8219558e71c4c7e2bdddb6d8628bf218bb70',
    version: '2.0.0',
    families: WB53,
    names: ['stm32wb5x_FUS_fw.bin', 'stm32wb3x_FUS_fw.bin'],
    releases: 'STM32CubeWB v1.22.1',
  },
  {
    sha256: 'c7f6caca0e410978b142d6a327e019dc965bb7c24e95534835ffeb891b36a117',
    version: '2.1.0',
    families: WB53,
    names: ['stm32wb5x_FUS_fw.bin', 'stm32wb3x_FUS_fw.bin'],
    releases: 'STM32CubeWB v1.23.0',
  },
  {
    sha256: 'bbab9b42d92c31f8a04e2f04ef9361c3f6f01714c14408cd34fb1583a6edf30d',
    version: '2.2.0',
    families: WB53,
    names: ['stm32wb5x_FUS_fw.bin', 'stm32wb3x_FUS_fw.bin'],
    releases: 'STM32CubeWB v1.24.0',
  },
  {
    sha256: '6e3bbcd802907f27fbb10d43de68b0f40cfcfa5edc2a7afe43b840a77080fe1c',
    version: '2.1.0',
    families: ['STM32WB1x'],
    names: ['stm32wb1x_FUS_fw.bin'],
    releases: 'STM32CubeWB v1.23.0',
  },
  {
    sha256: 'e64bf8a8d3e653acfd0c8f0e4631f226c285d61e2bc120a1246cf68e5f920077',
    version: '2.2.0',
    families: ['STM32WB1x'],
    names: ['stm32wb1x_FUS_fw.bin'],
    releases: 'STM32CubeWB v1.24.0',
  },
];

const FOR_FUS_053 = KNOWN_FUS_IMAGES[0]!.sha256;
const FUS_1_2_0 = KNOWN_FUS_IMAGES[1]!.sha256;

/**
 * The FUS graph (STM32CubeWB release notes, upgrade procedure; st-release-notes-rules.md §2). The planner searches it breadth-first from the
 * running FUS, so the chain it finds is the shortest one. No edge ever goes to an older or equal FUS
 * (community.st.com, ST: "FUS downgrade is not possible for any combination of versions").
 */
export const FUS_EDGES: readonly FusEdge[] = [
  {
    id: 'fus-0.5.3-to-1.2.0',
    from: '0.5.3',
    image: { by: 'sha256', sha256: [FOR_FUS_053], describe: '*_FUS_fw_for_fus_0_5_3.bin (FUS 1.2.0 made for FUS 0.5.3)' },
    gives: '1.2.0',
    families: WB53,
    reason: 'FUS {from} can only go to {to} with the image made for it, *_FUS_fw_for_fus_0_5_3.bin (release notes v1.11.1+ STEP 5)',
    source:
      'STM32CubeWB release notes v1.11.1..v1.24.0 STEP 5: "Download FUS v1.2.0 only for FUSv0.5.3 upgrade"; v1.11.1: "to be installed exclusively on STM32WB5x containing FUS V0.5.3"',
  },
  {
    id: 'fus-1.x-to-1.2.0',
    from: '>=1.0.0 <1.2.0',
    image: { by: 'sha256', sha256: [FUS_1_2_0], describe: '*_FUS_fw_1_2_0.bin (FUS 1.2.0 for FUS 1.x)' },
    gives: '1.2.0',
    families: WB53,
    reason: 'FUS {from} must first go to {to} with *_FUS_fw_1_2_0.bin (release notes v1.22.1+ STEP 6: "when x < 2")',
    source:
      'STM32CubeWB release notes v1.22.1..v1.24.0 STEP 6: "Download FUS v1.2.0 for FUSv1.x.y upgrade (when x < 2)"; the same image is *_FUS_fw.bin in v1.11.1..v1.22.0',
  },
  {
    id: 'fus-1.2.0-to-2.x',
    from: '1.2.0',
    image: { by: 'version', range: '>=2.0.0 <3.0.0', describe: '*_FUS_fw.bin of v1.22.1+ (FUS 2.x)' },
    gives: 'image',
    families: ALL,
    reason: 'FUS {from} goes to {to} with *_FUS_fw.bin of v1.22.1+ (release notes STEP 7: "Download latest FUS for FUSv1.2.0 upgrade")',
    source:
      'STM32CubeWB release notes v1.22.1..v1.24.0 STEP 7 ("01020X00: FUSv1.2.0 => Must be updated to latest FUS using STEP 7"); WB1x v1.23.0+ STEP 5 with stm32wb1x_FUS_fw.bin',
  },
  {
    id: 'fus-2.x-to-newer-2.x',
    from: '>=2.0.0 <3.0.0',
    image: { by: 'version', range: '>=2.0.0 <3.0.0', describe: 'a newer *_FUS_fw.bin (FUS 2.x)' },
    gives: 'image',
    families: ALL,
    reason: 'FUS {from} goes to the newer {to} with *_FUS_fw.bin (assumed: ST lists no FUS 2.x -> 2.y step)',
    source: 'Not stated by ST: release notes v1.24.0 give no row for FUS 2.0.0/2.1.0; STEP 7 presumably applies (st-release-notes-rules.md §2)',
    assumption: 'FUS 2.x -> newer 2.x with the newer *_FUS_fw.bin is assumed allowed: ST does not state it (release notes v1.24.0 list no FUS 2.0.0/2.1.0 row).',
  },
];

export const NO_FUS_DOWNGRADE = {
  id: 'fus-no-downgrade',
  source: 'community.st.com, ST: "FUS downgrade is not possible for any combination of versions" (STM32CubeWB release notes, upgrade procedure)',
} as const;

/** A minimum FUS for an image to be installed (st-release-notes-rules.md §4). */
export interface FusMinimumRule {
  id: string;
  minFus: string;
  source: string;
}

export const FUS_MINIMUMS = {
  anyStack: {
    id: 'stack-needs-fus-1.0.1',
    minFus: '1.0.1',
    source: 'STM32CubeWB release notes v1.1.0: "This stm32wb5x_FUS_fw.bin v1.0.1 MUST be installed to use Wireless Coprocessor Binaries v1.1.0"',
  },
  fusV2OnlyV1221: {
    id: 'fusv2-only-stack-v1.22.1',
    minFus: '2.0.0',
    source: 'STM32CubeWB release notes v1.22.1: "FUSv2 only" stacks (footer magic 0xB10C8B99) "can only be installed with FUS v2.0.0"',
  },
  fusV2OnlyV123: {
    id: 'fusv2-only-stack-v1.23.0+',
    minFus: '2.1.0',
    source: 'STM32CubeWB release notes v1.23.0/v1.24.0: "FUSv2 only" stacks (footer magic 0xB10C8B99) "can only be installed with FUS v2.1.0"',
  },
  safeboot200: {
    id: 'safeboot-2.0.0-needs-fus-1.1.0',
    minFus: '1.1.0',
    source: 'STM32CubeWB release notes v1.13.0: Safeboot_fw 2.0.0 "is intended only for FUS versions V1.1.0 and higher"',
  },
  safeboot201: {
    id: 'safeboot-2.0.1-needs-fus-2.x',
    minFus: '2.0.0',
    source: 'STM32CubeWB release notes v1.24.0: Safeboot_fw 2.0.1 "can be installed on STM32WB devices where FUS V2.x.y is present"',
  },
} as const satisfies Record<string, FusMinimumRule>;

function shippedIn123OrLater(identity: ImageIdentity): boolean | undefined {
  const releases = identity.catalog?.releases;
  if (!releases || releases.length === 0) return undefined;
  return releases.some((r) => {
    const v = semver.coerce(r);
    return v !== null && semver.gte(v, '1.23.0');
  });
}

/**
 * The lowest FUS an image can be installed with, and the rule that says so. For "FUSv2 only" stacks the
 * v1.22.1 wording says 2.0.0 and the v1.23.0+ wording 2.1.0: images shipped in v1.23.0+, and images we
 * cannot place in a release, get the stricter 2.1.0 (`note` says so, for the plan's assumptions).
 */
export function minimumFusFor(identity: ImageIdentity): FusMinimumRule & { note?: string } {
  if (identity.kind === 'safeboot') return identity.fusV2Only ? FUS_MINIMUMS.safeboot201 : FUS_MINIMUMS.safeboot200;
  if (!identity.fusV2Only) return FUS_MINIMUMS.anyStack;
  const recent = shippedIn123OrLater(identity);
  if (recent === false) return FUS_MINIMUMS.fusV2OnlyV1221;
  if (recent === undefined) {
    return {
      ...FUS_MINIMUMS.fusV2OnlyV123,
      note: `${identity.stackType ?? 'the stack'} ${identity.version} is "FUSv2 only" (magic 0xB10C8B99) but not in ST's catalog: the stricter minimum of the v1.23.0+ notes, FUS 2.1.0, is required.`,
    };
  }
  return {
    ...FUS_MINIMUMS.fusV2OnlyV123,
    note: `${identity.stackType ?? 'the stack'} ${identity.version} ships in STM32CubeWB v1.23.0+: its "FUSv2 only" minimum is taken as FUS 2.1.0 (v1.23.0+ wording), not 2.0.0 (v1.22.1 wording).`,
  };
}

/**
 * WB5xxC/E still on FUS 0.5.3 or 1.0.1 must update FUS before any other operation (release notes v1.1.1).
 * Applied to the WB3x 256K/512K parts too, on purpose: over USB/SWD they read back exactly like WB5xxC/E
 * (device id 0x495, same flash size), so the drivers cannot tell them apart and never restart a stack there
 * (src/drivers/early-fus.ts); updating FUS first is always allowed, so the stricter rule costs nothing.
 */
export const EARLY_FUS_UPDATE = {
  id: 'wb5x-c-e-fus-first',
  devices: ['STM32WB5xxC_256K', 'STM32WB5xxE_512K', 'STM32WB3xxC_256K', 'STM32WB3xxE_512K'] as readonly DeviceKey[],
  fusVersions: ['0.5.3', '1.0.1'] as readonly string[],
  /** The FUS they must reach before anything else (today: 1.2.0 via STEP 5/6; anything above 1.0.1). */
  mustReach: '>1.0.1',
  source:
    'STM32CubeWB release notes v1.1.1: "On STM32WB5xxC and STM32WB5xxE, it is mandatory to install FUS V1.0.2 before any other operation. Otherwise, the device might be locked in an unrecoverable state."',
} as const;

/** FUS 2.x over ST-LINK with an old CubeProgrammer cannot delete/install (release notes v1.22.1 Warning 1). */
export const SWD_FUS2_TOOL = {
  id: 'fus2-swd-needs-cubeprogrammer-2.20',
  fusRange: '>=2.0.0',
  minTool: '2.20.0',
  source:
    'STM32CubeWB release notes v1.22.1 Warning 1: "With FUS v2.0.0, Coprocessor Binaries can be installed only through the USB interface, Currently CubeProgrammer versions do not support “FW_delete” command when using the ST-Link interface"; v1.23.0: "install latest Cube programmer version >= v2.20x"',
} as const;

/** Anti-rollback only after FUS >= 1.2.0 and a successfully installed stack. */
export const ANTI_ROLLBACK = {
  id: 'anti-rollback-after-stack',
  minFus: '1.2.0',
  source:
    'STM32CubeWB release notes v1.11.1..v1.24.0: "activate it only after installing the latest FUS version (>= V1.2.0) and after successfully installing a wireless stack (without deleting it). Otherwise, further wireless stack installation will be blocked." AN5185 §2.4',
} as const;

/** A power cut while FUS updates itself can damage FUS for good: say so before every FUS update. */
export const FUS_UPDATE_NEEDS_STABLE_POWER = {
  id: 'fus-update-needs-stable-power',
  warning:
    'Keep the board powered and connected until this step is verified: a power cut or unplug while FUS updates itself can damage FUS for good (the stack keeps running, but no FUS or wireless stack can ever be installed again). Use a stable supply, not a weak battery or a loose cable or hub.',
  source:
    'ST community, "STM32WB5MMG power removed while updating FUS" (m-p/106679): "your board became unusable as the FUS managing the secure updates has been damaged"; "Wireless stack update process fault recovery" (td-p/272587)',
} as const;

export const FUS_INSTALL_ERASES_KEYS = {
  id: 'fus-install-erases-user-keys',
  warning: 'Installing FUS deletes the user keys stored in FUS (the "crypto enclave"); they cannot be recovered.',
  source: 'STM32CubeWB release notes, upgrade procedure; Flipper Zero qFlipper: "NEVER FLASH FUS, IT WILL ERASE CRYPTO ENCLAVE"',
} as const;

/**
 * Delete the stack before a FUS update when the stack is going to change anyway.
 * v1.1.0..v1.10.x procedures delete first (STEP 3); psdb asserts the stack is deleted before a FUS update;
 * ST's install-address tables assume free flash up to the FUS. v1.11.1+ has no delete step: a stack that is
 * kept stays installed across the FUS update, and the FUS image then goes just below SFSA (FUS finds the
 * image by its footer; AN5185 as quoted by ST: "FUS is not using the source address").
 */
export const DELETE_BEFORE_FUS = {
  id: 'delete-stack-before-fus-update',
  source:
    'STM32CubeWB release notes v1.1.0..v1.10.x STEP 3 "Delete current wireless stack" before the FUS update; psdb asserts the stack is deleted; v1.11.1+ has no delete step (the kept stack stays installed)',
  keepAssumption:
    'A stack that is kept stays installed across a FUS update (release notes v1.11.1+ have no delete step before the FUS steps); the FUS image is written just below SFSA and FUS finds it by its footer.',
} as const;

export const STACK_DELETE = {
  id: 'delete-before-install',
  source:
    'AN5185 as quoted on community.st.com: "It is advised to perform a FUS_FW_DELETE operation before starting a wireless stack installation"; release notes v1.11.1+ STEP 8 "after “FW Delete” if requested"',
} as const;

export const STACK_INSTALL = {
  id: 'stack-install',
  source: 'STM32CubeWB release notes v1.11.1..v1.24.0 STEP 8: "Download new wireless stack"; install address from the release-note tables / STM32CubeWB release notes, install address tables formula',
} as const;

export const START_FUS = {
  id: 'start-fus',
  source: 'STM32CubeWB release notes: read/operate FUS after `-startfus`; FUS commands need CPU2 in FUS (STM32CubeWB release notes and AN5185, reading versions)',
} as const;

export const START_STACK = {
  id: 'start-stack',
  source: 'STM32CubeWB release notes, upgrade procedure: "if CPU2 is left in FUS, -startwirelessstack"; ST FAQ "why is the wireless stack not running after..." (public field reports',
} as const;

export const RESTORE_OPTION_BYTES = {
  id: 'restore-option-bytes-after-swd',
  source: 'STM32CubeWB release notes STEP 9 (SWD): `-ob nSWboot0=1 nboot1=1 nboot0=1`; CubeProgrammer\'s FUS operator sets nSWboot0=0 (public field reports)',
} as const;

export const SWD_FUS_OPERATOR = {
  id: 'swd-fus-operator-clobbers-application',
  warning: "Over SWD, STM32CubeProgrammer's FUS operator is written at 0x08000000 (sectors 0-1; 0-3 on WB1x): the application there is overwritten.",
  source: 'STM32CubeProgrammer CLI, UM2237; public field reports (0x495_FUS_Operator.bin, 0x494_ on a WB1x, at 0x08000000',
} as const;

export const RDP_LEVEL0 = {
  id: 'rdp-level-0',
  source: 'STM32CubeWB release notes, upgrade procedure: "Refuse while RDP is not 0xAA (level 0"; public field reports (RDP 0xBB + FUS update -> SFSA=0, unrecoverable)',
} as const;

export const SAFEBOOT = {
  id: 'safeboot-recovery',
  recovery:
    'Recovery: write 0x00008000 to 0x5800040C (C2BOOT; works only if the ESE option byte is set), then read the state again; if that fails, contact ST support (public field reports). copro will not touch the board.',
  source: 'STM32CubeWB release notes and AN5185, reading versions ("SFSA = 0 with SBRV 0x3FC00 means the chip is in safeboot"; ST wiki quoted in public field reports; ST on community.st.com',
} as const;

/** All rules, for `copro rules` and for tests that check every step cites one of them. */
export const rules = {
  fusEdges: FUS_EDGES,
  knownFusImages: KNOWN_FUS_IMAGES,
  noFusDowngrade: NO_FUS_DOWNGRADE,
  fusMinimums: FUS_MINIMUMS,
  earlyFusUpdate: EARLY_FUS_UPDATE,
  swdFus2Tool: SWD_FUS2_TOOL,
  antiRollback: ANTI_ROLLBACK,
  fusInstallErasesKeys: FUS_INSTALL_ERASES_KEYS,
  deleteBeforeFus: DELETE_BEFORE_FUS,
  stackDelete: STACK_DELETE,
  stackInstall: STACK_INSTALL,
  startFus: START_FUS,
  startStack: START_STACK,
  restoreOptionBytes: RESTORE_OPTION_BYTES,
  swdFusOperator: SWD_FUS_OPERATOR,
  rdpLevel0: RDP_LEVEL0,
  safeboot: SAFEBOOT,
} as const;

/** `id: source`, the form a Step's `rule` takes. */
export function ruleText(rule: { id: string; source: string }): string {
  return `${rule.id}: ${rule.source}`;
}

/**
 * Which running FUS versions an image may be installed on, in words and as a semver range: for `identify`
 * and for plan notes about misnamed files. FUS images follow the FUS graph (by sha256 where ST made an image
 * for one FUS only); stacks and safeboot their minimum FUS. Older FUS images (before the 1.2.0 era) are
 * described by their version only: copro's graph no longer uses them.
 */
export function installsOn(identity: ImageIdentity): { range: string; text: string; source: string } {
  if (identity.kind === 'fus') {
    const key = identity.standInFor ?? identity.sha256;
    const edges = FUS_EDGES.filter((e) => (e.image.by === 'sha256' ? e.image.sha256.includes(key) : identity.catalog !== undefined && semver.satisfies(identity.version, e.image.range) && semver.valid(identity.version) !== null));
    if (edges.length === 0) return { range: '', text: 'not used by copro\'s FUS upgrade path (an older FUS image, superseded by ST)', source: 'st-release-notes' };
    const only053 = edges.every((e) => e.from === '0.5.3');
    const range = edges.map((e) => e.from).join(' || ');
    const text = only053
      ? 'installs only on FUS 0.5.3 (ST: "to be installed exclusively on STM32WB5x containing FUS V0.5.3")'
      : edges.some((e) => e.id === 'fus-1.x-to-1.2.0')
        ? 'installs on FUS 1.0.x and 1.1.x (ST STEP 6, "when x < 2"), not on FUS 0.5.3'
        : `installs on FUS 1.2.0${edges.some((e) => e.assumption) ? ' (and, assumed, on an older FUS 2.x)' : ''}`;
    return { range, text, source: edges.map((e) => e.id).join(', ') };
  }
  const min = minimumFusFor(identity);
  if (identity.fusV2Only) return { range: `>=${min.minFus}`, text: `FUS 2.x only (FUS >= ${min.minFus}; footer magic 0x${identity.imageMagic.toString(16).toUpperCase()})`, source: min.id };
  return { range: `>=${min.minFus}`, text: `installs on FUS >= ${min.minFus}`, source: min.id };
}
