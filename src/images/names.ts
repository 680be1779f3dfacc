/**
 * What a file name claims about an image. Names are claims, not facts AN5185 image footer: "File names lie";
 * a `_for_fus_0_5_3.bin` once held FUS 1.2.0 for another FUS): copro identifies by content and uses a
 * name only to warn when it disagrees, or to guess a stack type the footer cannot carry.
 */
import { basename } from 'pathe';
import { STACK_TYPE_NAMES } from '../domain/stack-types.js';
import type { Family } from '../domain/devices.js';
import type { ImageKind } from './types.js';

export interface NameClaims {
  family?: Family;
  kind?: ImageKind;
  stackType?: string;
  /** `x.y.z` from a version token (`_1_23_0`, `_v1.2.0`, `-1.24.0`). */
  version?: string;
  /** `x.y.z` of `_for_fus_0_5_3`: the FUS the image is meant to be installed on. */
  forFus?: string;
}

// Longest first, so `BLE_Stack_full_extended` wins over `BLE_Stack_full` and `BLE_Stack`.
const TYPES_LONGEST_FIRST = [...STACK_TYPE_NAMES].sort((a, b) => b.length - a.length);
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const TYPE_PATTERNS = TYPES_LONGEST_FIRST.map((name) => ({ name, re: new RegExp(`(^|[_\\-])${escape(name)}(?=[_\\-.]|$)`, 'i') }));

export function claimsFromFileName(fileName: string): NameClaims {
  let rest = basename(fileName).replace(/\.bin$/i, '');
  const claims: NameClaims = {};
  const fam = /^stm32wb([135])x(?=[_\-.]|$)/i.exec(rest);
  if (fam) {
    claims.family = `STM32WB${fam[1]}x` as Family;
    rest = rest.slice(fam[0].length);
  }
  const forFus = /(^|[_-])for_fus_v?(\d{1,2})[_.](\d{1,2})[_.](\d{1,2})(?=[_\-.]|$)/i.exec(rest);
  if (forFus) {
    claims.forFus = `${Number(forFus[2])}.${Number(forFus[3])}.${Number(forFus[4])}`;
    rest = rest.replace(forFus[0], forFus[1] ?? '');
  }
  if (/(^|[_-])fus(?=[_\-.]|$)/i.test(rest)) claims.kind = 'fus';
  else if (/safeboot/i.test(rest)) claims.kind = 'safeboot';
  else {
    const t = TYPE_PATTERNS.find((p) => p.re.test(rest));
    if (t) {
      claims.kind = 'stack';
      claims.stackType = t.name;
      // Drop the type so `Mac_802_15_4` is not read as version 802.15.4.
      rest = rest.replace(t.re, '$1');
    }
  }
  const v = /(?:^|[_\-.])v?(\d{1,2})[_.](\d{1,2})[_.](\d{1,2})(?=[_\-.]|$)/i.exec(rest);
  if (v) claims.version = `${Number(v[1])}.${Number(v[2])}.${Number(v[3])}`;
  return claims;
}
