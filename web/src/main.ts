/**
 * The page's shell: DOM events in, the DOM out. The decisions are the CLI's own modules (parse, identify,
 * plan, run, verify) through manifest.ts, images.ts and session.ts; this file only renders their results and
 * the run events.
 */
import { ManifestError, type ManifestIssue } from '../../src/manifest/issues.js';
import type { LoadedManifest } from '../../src/manifest/parse.js';
import { resolveTarget } from '../../src/manifest/resolve.js';
import { deviceFromName, type Family } from '../../src/domain/devices.js';
import { checkTargetOffline } from '../../src/planner/preflight.js';
import { plan as makePlan } from '../../src/planner/plan.js';
import type { Plan, Target } from '../../src/planner/types.js';
import type { BoardState } from '../../src/generated/board-state.js';
import { isStDfu, realClock, scaledClock, ST_DFU, type UsbLike } from '../../src/drivers/bootloader/dfu/usb.js';
import type { BootloaderDriver } from '../../src/drivers/bootloader/driver.js';
import type { CoproEvent } from '../../src/runner/events.js';
import { describeStack } from '../../src/runner/run-plan.js';
import { ensureCatalog } from './catalog.js';
import { EXAMPLES, parseManifestText } from './manifest.js';
import { collectDropped, type Collected } from './images.js';
import { applyRun, openDriver, readAndPlan, type Bus } from './session.js';
import { createVirtualBoard, hooksFor, VirtualWebUsb, type VirtualBoard, type VirtualHooks } from './virtual.js';
import { junitOf, ndjsonOf } from './report.js';

declare global {
  interface Window {
    /** Test hook, set before the page loads: put a virtual DfuSe device behind navigator.usb. */
    __coproTestUsb?: { speed?: number };
    /** Set by the page when it runs a virtual device (simulate mode or the test hook). */
    __coproVirtual?: VirtualHooks;
  }
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
};

const params = new URLSearchParams(location.search);
const simulate = params.get('simulate') === '1';
const speed = Number(params.get('speed') ?? window.__coproTestUsb?.speed ?? 10) || 10;

interface PageState {
  manifestName: string;
  loaded?: LoadedManifest;
  target?: Target;
  family?: Family;
  files: { name: string; bytes: Uint8Array }[];
  collected?: Collected;
  virtual?: VirtualBoard;
  bus?: Bus;
  driver?: BootloaderDriver;
  serial?: string;
  /** The DFU serial of the device the user chose in the browser's picker (re-found by it without asking). */
  chosenSerial?: string;
  plan?: Plan;
  state?: BoardState;
  busy: boolean;
  /** The board changed (or may have) since it was last read: Apply reads it again first. */
  stale: boolean;
}
const page: PageState = { manifestName: 'manifest.yaml', files: [], busy: false, stale: false };

function setStatus(text: string, cls = ''): void {
  const s = $('status');
  s.textContent = text;
  s.className = `status ${cls}`;
}

function usbAvailable(): boolean {
  return 'usb' in navigator && (navigator as unknown as { usb?: unknown }).usb !== undefined;
}

// ---- 1. Manifest ---------------------------------------------------------------------------------

function showIssues(list: HTMLElement, issues: readonly ManifestIssue[]): void {
  list.replaceChildren(
    ...issues.map((i) => {
      const li = el('li', `${i.file.replace(/^\//, '')}:${i.line}:${i.column}: ${i.message}`, 'bad');
      li.dataset.line = String(i.line);
      li.dataset.column = String(i.column);
      // Worded as the CLI prints it (src/cli/errors.ts).
      if (i.hint) li.append(el('div', `remedy: ${i.hint}`, 'muted'));
      return li;
    }),
  );
}

async function checkManifest(): Promise<void> {
  const text = $<HTMLTextAreaElement>('manifest-text').value;
  const list = $('manifest-issues');
  page.loaded = undefined;
  page.target = undefined;
  page.plan = undefined;
  renderPlan();
  $('manifest-summary').replaceChildren();
  $('manifest-name').textContent = page.manifestName;
  await ensureCatalog();
  try {
    const loaded = parseManifestText(text, page.manifestName);
    page.loaded = loaded;
    const m = loaded.manifest;
    page.target = { ...resolveTarget(m, { manifestDir: '/', transport: 'usb' }), ...(simulate || window.__coproTestUsb ? { allowStandIns: true } : {}) };
    const device = m.device && m.device !== 'detect' ? deviceFromName(m.device) : undefined;
    page.family = device?.family;
    showIssues(list, loaded.warnings);
    const summary = el('p', `${page.manifestName}: ${m.device ?? 'device from the board'}, FUS ${m.fus ?? '(latest with a stack)'}, stack ${typeof m.stack === 'object' ? `${m.stack.type} ${m.stack.version}` : (m.stack ?? 'keep')}, images of ${m.images?.release ?? 'any release'}.`, 'ok');
    summary.id = 'manifest-ok';
    const port = m.connection?.port;
    const nodes: HTMLElement[] = [summary];
    if (port && !/^usb\d*$/i.test(port)) nodes.push(el('p', `connection.port is ${port}: this page talks to the ROM bootloader over USB DFU only (use the command line for ${port}).`, 'warn'));
    $('manifest-summary').replaceChildren(...nodes);
    await refreshImages();
  } catch (e) {
    if (e instanceof ManifestError) {
      showIssues(list, e.issues);
      $('manifest-summary').replaceChildren(el('p', 'The manifest is invalid; nothing was done.', 'bad'));
    } else {
      list.replaceChildren(el('li', (e as Error).message, 'bad'));
    }
  }
  updateButtons();
}

function loadManifestText(name: string, text: string): void {
  page.manifestName = name;
  $<HTMLTextAreaElement>('manifest-text').value = text;
  void checkManifest();
}

// ---- 2. Images -----------------------------------------------------------------------------------

async function refreshImages(): Promise<void> {
  await ensureCatalog();
  const m = page.loaded?.manifest;
  const collected = await collectDropped({ files: page.files, release: m?.images?.release, family: page.family, standIns: simulate || window.__coproTestUsb !== undefined ? simulate : false });
  page.collected = collected;
  const problems = $('image-problems');
  problems.replaceChildren(
    ...collected.problems.map((p) => {
      const li = el('li', p.message, 'bad');
      li.dataset.code = p.code;
      if (p.expected) li.dataset.expected = p.expected;
      if (p.actual) li.dataset.actual = p.actual;
      return li;
    }),
    ...collected.notes.map((n) => el('li', n, 'muted')),
  );
  if (collected.problems.length) problems.prepend(el('li', 'Image problems: nothing will be touched and the board is not read until they are fixed.', 'bad'));
  const shown = collected.images.filter((i) => i.origin !== 'catalog');
  const table = $('image-table');
  table.classList.toggle('hidden', shown.length === 0);
  table.querySelector('tbody')!.replaceChildren(
    ...shown.map((i) => {
      const tr = el('tr');
      const id = i.identity;
      const what = `${id.kind === 'stack' ? (id.stackType ?? 'stack') : id.kind.toUpperCase()} ${id.version}${id.families.length ? ` for ${id.families.join('/')}` : ''}`;
      tr.append(el('td', i.name), el('td', what + (id.warnings.length ? ` (${id.warnings.join('; ')})` : '')), el('td', id.sha256, 'mono'), el('td', i.origin === 'stand-in' ? (i.path?.startsWith('/stand-ins/') ? 'stand-in made in the page (simulation)' : 'stand-in (simulation only)') : 'your file'));
      return tr;
    }),
  );
  const missing = $('image-missing');
  missing.replaceChildren();
  if (collected.missing.length && m?.images?.release) {
    const details = el('details');
    details.append(el('summary', `${collected.missing.length} image(s) of ST's STM32CubeWB ${m.images.release} not dropped (the plan says which it needs): where each comes from`));
    const ul = el('ul', undefined, 'issues');
    for (const r of collected.missing) {
      const li = el('li');
      li.append(el('span', `${r.kind === 'stack' ? (r.stackType ?? 'stack') : r.kind.toUpperCase()} ${r.version}: `), el('code', r.rawUrl.replace(/^.*\//, '')), el('span', ` (release ${r.latestRelease}, ${r.rawUrl})`, 'muted'));
      ul.append(li);
    }
    details.append(ul);
    missing.append(details);
  }
  if (page.target && page.collected && page.loaded) {
    const offline = checkTargetOffline({ target: page.target, images: collected.images, family: page.family, release: m?.images?.release, simulated: page.target.allowStandIns === true });
    for (const r of offline) {
      const pos = page.loaded.locate(r.pointer);
      problems.append(el('li', `${page.manifestName}:${pos.line}:${pos.column}: refused (${r.code}): ${r.message} Remedy: ${r.remedy}`, 'bad'));
    }
  }
  if (page.driver && page.state) replan();
  updateButtons();
}

async function addFiles(list: FileList | readonly File[]): Promise<void> {
  for (const f of Array.from(list)) {
    const bytes = new Uint8Array(await f.arrayBuffer());
    page.files = [...page.files.filter((x) => x.name !== f.name), { name: f.name, bytes }];
  }
  await refreshImages();
}

// ---- 3. Board ------------------------------------------------------------------------------------

async function busFor(): Promise<Bus | undefined> {
  if (simulate) {
    page.virtual ??= await createVirtualBoard(speed);
    window.__coproVirtual = hooksFor(page.virtual);
    return { usb: page.virtual.usb, clock: scaledClock(speed), speed, label: 'bootloader (simulated board in the page)' };
  }
  const usb = (navigator as unknown as { usb: UsbLike & { requestDevice(o: { filters: { vendorId: number; productId: number }[] }): Promise<{ serialNumber?: string | null }> } }).usb;
  // The board chosen before is found again by its serial among the devices the browser still grants (after a
  // reset or a re-plug it is a new USBDevice object): no picker. Only a board the browser no longer lists
  // (another board, or the grant is gone) needs the picker, and the click on Connect is the gesture it wants.
  const granted = page.chosenSerial ? (await usb.getDevices()).find((d) => isStDfu(d) && d.serialNumber === page.chosenSerial) : undefined;
  const device = granted ?? (await usb.requestDevice({ filters: [{ vendorId: ST_DFU.vendorId, productId: ST_DFU.productId }] }));
  page.chosenSerial = device.serialNumber ?? undefined;
  const virtual = window.__coproTestUsb !== undefined;
  return { usb, ...(device.serialNumber ? { serial: device.serialNumber } : {}), clock: virtual ? scaledClock(speed) : realClock, speed: virtual ? speed : 1, label: virtual ? 'bootloader (WebUSB, virtual DfuSe device)' : 'bootloader (WebUSB)' };
}

function renderBoard(s: BoardState): void {
  const box = $('board-state');
  const p = el('p');
  p.id = 'board-summary';
  p.textContent = `${s.device.key} (DFU serial ${page.serial ?? '?'}${s.device.uid64 ? `, UID64 ${s.device.uid64}` : ''}): FUS ${s.fus.version}, stack ${describeStack(s)}, CPU2 runs ${s.cpu2}.`;
  box.replaceChildren(p, ...s.notes.slice(0, 4).map((n) => el('p', n, 'muted')));
}

async function connect(): Promise<void> {
  if (page.busy) return;
  page.busy = true;
  updateButtons();
  setStatus('Connecting…');
  try {
    await page.driver?.close().catch(() => undefined);
    page.driver = undefined;
    const bus = await busFor();
    if (!bus) return;
    page.bus = bus;
    page.serial = bus.serial ?? (simulate ? 'simulated' : undefined);
    page.driver = openDriver(bus, () => page.collected?.bytes ?? new Map());
    setStatus('Reading the board (FUS is started to read its version: the board resets twice)…');
    if (!page.target || !page.collected) {
      const state = await page.driver.readState();
      page.state = state;
      renderBoard(state);
      setStatus('Board read. Check a manifest to see the plan.');
      return;
    }
    const { state, plan } = await readAndPlan(page.driver, page.target, page.collected.images);
    page.serial = page.serial ?? state.device.uid64 ?? 'board';
    page.state = state;
    page.plan = plan;
    page.stale = false;
    renderBoard(state);
    renderPlan();
    setStatus(plan.status === 'up-to-date' ? 'The board is up to date: nothing to do.' : plan.status === 'refused' ? 'The plan is refused: see why above. Nothing was touched.' : `Plan ready: ${plan.steps.length} step(s). Review it, then Apply.`, plan.status === 'refused' ? 'bad' : '');
  } catch (e) {
    const err = e as Error;
    page.driver = undefined;
    setStatus(err.name === 'NotFoundError' ? 'No device chosen. Put the chip in its ROM bootloader (BOOT0 high, then reset or plug in), then Connect.' : `Could not read the board: ${err.message}`, 'bad');
  } finally {
    page.busy = false;
    updateButtons();
  }
}

function replan(): void {
  // The images changed after the board was read: the plan is made again from the same read.
  void (async () => {
    if (!page.driver || !page.state || !page.target || !page.collected) return;
    page.plan = makePlan({ state: page.state, target: page.target, images: page.collected.images });
    renderPlan();
    updateButtons();
  })();
}

// ---- 4. Plan and apply ---------------------------------------------------------------------------

function renderPlan(): void {
  const table = $('plan-table');
  const summary = $('plan-summary');
  const p = page.plan;
  if (!p) {
    table.classList.add('hidden');
    summary.textContent = 'Check a manifest and connect a board to see the plan.';
    return;
  }
  const irreversible = p.steps.filter((s) => s.irreversible).length;
  summary.textContent =
    p.status === 'up-to-date'
      ? 'Nothing to do: the board already matches the manifest.'
      : p.status === 'refused'
        ? `Refused: ${p.refusals.map((r) => `${r.code}: ${r.message} Remedy: ${r.remedy}`).join(' ')}`
        : `Plan: ${p.steps.length} step(s) (${irreversible} irreversible), FUS ${p.from.fus} -> ${p.target.fus}, stack ${p.target.stack}.`;
  summary.className = p.status === 'refused' ? 'bad' : '';
  summary.id = 'plan-summary';
  table.classList.toggle('hidden', p.steps.length === 0);
  table.querySelector('tbody')!.replaceChildren(
    ...p.steps.map((s) => {
      const tr = el('tr');
      tr.id = `step-${s.n}`;
      tr.dataset.kind = s.kind;
      const title = el('td', `${s.n}. ${s.title}`);
      if (s.irreversible) title.append(el('strong', ' [irreversible]', 'bad'));
      const image = s.image ? `${s.image.name} (${s.image.kind === 'stack' ? (s.image.stackType ?? 'stack') : s.image.kind.toUpperCase()} ${s.image.version}${s.image.origin === 'stand-in' ? ', stand-in' : ''})` : '';
      const progressCell = el('td');
      const bar = el('progress');
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute('aria-label', `step ${s.n} progress`);
      const state = el('span', 'pending', 'muted step-state');
      progressCell.append(bar, el('br'), state);
      tr.append(title, el('td', image), el('td', s.address ?? '', 'mono'), el('td', s.reason + (s.warnings.length ? ` Warning: ${s.warnings.join('; ')}` : '')), el('td', s.rule, 'muted'), progressCell);
      return tr;
    }),
  );
}

function onEvent(e: CoproEvent): void {
  const row = 'step' in e && typeof e.step === 'number' ? document.getElementById(`step-${e.step}`) : null;
  const stateOf = (r: HTMLElement) => r.querySelector<HTMLElement>('.step-state')!;
  const barOf = (r: HTMLElement) => r.querySelector<HTMLProgressElement>('progress')!;
  switch (e.type) {
    case 'step-started':
      if (row) {
        stateOf(row).textContent = 'running';
        stateOf(row).className = 'step-state';
        setStatus(`Step ${e.step}: ${(e as { title?: string }).title ?? ''}…`);
      }
      break;
    case 'step-progress': {
      const ev = e as { phase: string; percent?: number; fusState?: string; message?: string };
      if (row) {
        if (ev.percent !== undefined) barOf(row).value = ev.percent;
        stateOf(row).textContent = [ev.phase, ev.percent !== undefined ? `${Math.round(ev.percent)}%` : '', ev.fusState ?? ''].filter(Boolean).join(' ');
      }
      break;
    }
    case 'step-finished': {
      const ev = e as { verification?: string; verified?: { fus?: string; stack?: string }; unverifiable?: string };
      if (row) {
        barOf(row).value = 100;
        const s = stateOf(row);
        s.textContent = ev.verification === 'not-verifiable' ? `done, not verifiable by read-back (${ev.unverifiable ?? ''})` : `verified: FUS ${ev.verified?.fus ?? '?'}, stack ${ev.verified?.stack ?? '?'}`;
        s.className = `step-state ${ev.verification === 'not-verifiable' ? 'warn' : 'ok'}`;
        row.dataset.result = ev.verification === 'not-verifiable' ? 'not-verifiable' : 'verified';
      }
      break;
    }
    case 'step-failed': {
      const ev = e as { error: string; code: string };
      if (row) {
        const s = stateOf(row);
        s.textContent = `failed (${ev.code}): ${ev.error}`;
        s.className = 'step-state bad';
        row.dataset.result = 'failed';
      }
      break;
    }
    default:
      break;
  }
}

function confirmIrreversible(steps: string[]): Promise<boolean> {
  const dialog = $<HTMLDialogElement>('confirm');
  $('confirm-steps').replaceChildren(...steps.map((s) => el('li', s)));
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes'), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
    $('confirm-yes').focus();
  });
}

let lastEvents: CoproEvent[] = [];

function offerReport(events: CoproEvent[]): void {
  const set = (id: string, text: string, type: string) => {
    const a = $<HTMLAnchorElement>(id);
    if (a.href.startsWith('blob:')) URL.revokeObjectURL(a.href);
    a.href = URL.createObjectURL(new Blob([text], { type }));
    a.classList.remove('hidden');
  };
  set('report-ndjson', ndjsonOf(events), 'application/x-ndjson');
  set('report-junit', junitOf(events), 'application/xml');
}

const DISCONNECTS = new Set(['DISCONNECTED', 'TIMEOUT', 'NO_TARGET']);

async function apply(): Promise<void> {
  if (page.busy || !page.driver || !page.target || !page.collected || !page.loaded) return;
  if (page.collected.problems.length) {
    setStatus('Image problems: nothing was touched. Fix them first.', 'bad');
    return;
  }
  page.busy = true;
  updateButtons();
  $('run-notes').replaceChildren();
  lastEvents = [];
  const emit = (e: CoproEvent) => {
    lastEvents.push(e);
    onEvent(e);
  };
  setStatus('Reading the board again before applying…');
  try {
    const out = await applyRun({
      driver: page.driver,
      serial: page.serial ?? 'board',
      target: page.target,
      images: page.collected.images,
      bytes: page.collected.bytes,
      manifestName: page.manifestName,
      label: page.bus?.label ?? 'bootloader (WebUSB)',
      emit,
      signal: new AbortController().signal,
      confirm: confirmIrreversible,
      onPlan: (plan, state) => {
        page.plan = plan;
        page.state = state;
        renderBoard(state);
        renderPlan();
      },
    });
    page.stale = true;
    if (out.state) {
      page.state = out.state;
      renderBoard(out.state);
    }
    const notes = $('run-notes');
    for (const n of out.run?.notes ?? []) notes.append(el('li', n, 'muted'));
    offerReport(lastEvents);
    const fin = out.state ? `FUS ${out.state.fus.version}, stack ${describeStack(out.state)}` : '';
    switch (out.result) {
      case 'provisioned':
        setStatus(`Done: every step verified by reading the board back. The board now has ${fin}.`, 'ok');
        break;
      case 'up-to-date':
        setStatus(`Nothing to do: the board already matches the manifest (${fin}).`, 'ok');
        break;
      case 'planned':
        setStatus('Not confirmed: nothing was changed.', 'warn');
        break;
      case 'refused':
        setStatus(`Refused: ${out.error ?? ''} Nothing was touched.`, 'bad');
        break;
      default: {
        const lost = out.errorCode !== undefined && DISCONNECTS.has(out.errorCode);
        setStatus(
          lost
            ? `The board disconnected: ${out.error ?? ''} Plug it back in if it is unplugged (BOOT0 high), click Connect, then Apply: copro reads the board again and continues from where it really is. (Connect opens the browser's device picker only if the browser no longer lists the board.)`
            : `Failed: ${out.error ?? ''} Apply again: copro reads the board again and continues from where it really is.`,
          'bad',
        );
        if (lost) {
          await page.driver?.close().catch(() => undefined);
          page.driver = undefined;
        }
      }
    }
  } catch (e) {
    setStatus(`Stopped: ${(e as Error).message}`, 'bad');
  } finally {
    page.busy = false;
    updateButtons();
  }
}

// ---- wiring --------------------------------------------------------------------------------------

function updateButtons(): void {
  const ready = !page.busy && page.driver !== undefined && page.target !== undefined && page.collected !== undefined && page.collected.problems.length === 0;
  $<HTMLButtonElement>('apply').disabled = !ready;
  $<HTMLButtonElement>('connect').disabled = page.busy || (!simulate && !usbAvailable());
}

function dropZone(zone: HTMLElement, onFiles: (files: File[]) => void): void {
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    onFiles(Array.from(e.dataTransfer?.files ?? []));
  });
}

async function start(): Promise<void> {
  if (window.__coproTestUsb && !simulate) {
    // Test hook: the virtual device behind navigator.usb; the page then runs its real WebUSB path.
    const v = await createVirtualBoard(speed);
    page.virtual = v;
    const webUsb = new VirtualWebUsb(v);
    window.__coproVirtual = hooksFor(v, webUsb);
    Object.defineProperty(navigator, 'usb', { value: webUsb, configurable: true });
  }
  if (simulate) $('sim-banner').classList.remove('hidden');
  if (!simulate && !usbAvailable()) {
    const box = $('unsupported');
    box.textContent = "This browser has no WebUSB, which the page needs to reach the board (Chrome, Edge, Opera and other Chromium-based browsers have it; Firefox and Safari do not). Use the command line instead: `npx copro apply your-manifest.yaml`, or try this page on a simulated board: ";
    const a = el('a', 'rehearse on a simulated board');
    a.href = '?simulate=1&example=nucleo-wb55-ble';
    box.append(a, document.createTextNode('.'));
    box.classList.remove('hidden');
  }
  const select = $<HTMLSelectElement>('example');
  for (const name of EXAMPLES.keys()) select.append(new Option(name, name));
  select.addEventListener('change', () => {
    const text = EXAMPLES.get(select.value);
    if (text !== undefined) loadManifestText(`${select.value}.yaml`, text);
  });
  $('check-manifest').addEventListener('click', () => void checkManifest());
  $<HTMLInputElement>('manifest-file').addEventListener('change', async (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f) loadManifestText(f.name, await f.text());
  });
  dropZone($('manifest-drop'), async (files) => {
    const f = files[0];
    if (f) loadManifestText(f.name, await f.text());
  });
  $<HTMLInputElement>('image-files').addEventListener('change', (e) => void addFiles((e.target as HTMLInputElement).files ?? []));
  dropZone($('image-drop'), (files) => void addFiles(files));
  $('connect').addEventListener('click', () => void connect());
  $('apply').addEventListener('click', () => void apply());
  updateButtons();
  const example = params.get('example');
  if (example && EXAMPLES.has(example)) {
    select.value = example;
    loadManifestText(`${example}.yaml`, EXAMPLES.get(example)!);
  }
  document.body.dataset.ready = 'true';
}

void start();
