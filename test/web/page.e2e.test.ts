/**
 * The browser page end to end, in a real headless Chromium (Debian's `chromium`, driven by playwright-core):
 * the page is built with Vite, served as static files, and talks WebUSB to the virtual DfuSe device (the same
 * VirtualUsb/VirtualChip as the bootloader driver's tests, over the simulated board model), put behind
 * `navigator.usb` by the page's test hook. No request may leave the page's origin (harness.ts). Screenshots of
 * each state go to test-results/web/.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { validatorFor } from '../../src/schemas.js';
import {
  applyAndConfirm, board, connectAndPlan, devicesHandedOut, download, haveChromium, loadQuickStart,
  prompts, quickStartImages, quickStartText, shot, usbRequests,
  builtPage,
} from './harness.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const site = builtPage();

const open = site.open;
const requests = usbRequests;

describe.skipIf(!haveChromium)('the browser page in headless Chromium, over a virtual DfuSe device behind navigator.usb', () => {
  it('provisions the quick-start board: plan, confirm, every step verified, report; a second apply plans nothing', async () => {
    const o = await open();
    const { page } = o;
    const images = quickStartImages();
    await loadQuickStart(page, images);
    expect(await page.locator('#image-problems li.bad').count()).toBe(0);
    // Each dropped file identified by content: its sha256 as Node computes it, and what it is.
    const rows = await page.$$eval('#image-table tbody tr', (trs) => (trs as HTMLTableRowElement[]).map((r) => ({ name: r.cells[0]!.textContent, what: r.cells[1]!.textContent, sha: r.cells[2]!.textContent })));
    for (const i of images) expect(rows).toContainEqual(expect.objectContaining({ name: i.name, sha: sha256(i.buffer) }));
    expect(rows.find((r) => r.name?.includes('BLE_Stack_full'))?.what).toMatch(/^BLE_Stack_full 1\.24\.0/);
    // Images not dropped are listed with the ST release and file they come from.
    const missing = (await page.textContent('#image-missing')) ?? '';
    expect(missing).toContain('stm32wb5x_Thread_FTD_fw.bin');
    expect(missing).toMatch(/release v1\.\d+\.\d+/);
    expect(await requests(page)).toBe(0);

    await connectAndPlan(page);
    // Connect opened the browser's picker once, for the ROM bootloader only (DFU 0483:DF11).
    expect(await prompts(page)).toEqual([{ filters: [{ vendorId: 0x0483, productId: 0xdf11 }] }]);
    const steps = await page.$$eval('#plan-table tbody tr', (rows) => (rows as HTMLTableRowElement[]).map((r) => ({ title: r.cells[0]!.textContent, image: r.cells[1]!.textContent, address: r.cells[2]!.textContent, why: r.cells[3]!.textContent, rule: r.cells[4]!.textContent })));
    expect(await page.$$eval('#plan-table thead th', (th) => th.map((h) => h.textContent))).toEqual(['step', 'image', 'address', 'why', 'ST rule', 'progress']);
    expect(steps.map((s) => s.title)).toEqual([expect.stringMatching(/^1\. .*FUS.*1\.2\.0/), expect.stringMatching(/^2\. .*FUS.*2\.2\.0/), expect.stringMatching(/^3\./), expect.stringMatching(/^4\./)].slice(0, steps.length));
    expect(steps.some((s) => s.image?.includes('BLE_Stack_full 1.24.0') && s.address === '0x080D0000')).toBe(true);
    for (const s of steps) expect(s.why && s.rule).toBeTruthy();
    await shot(page, '1-plan');

    let sawProgress = false;
    const status = await applyAndConfirm(page, /^Done|^Failed|disconnected/, async () => {
      await page.waitForSelector('#step-1 .step-state:not(.muted)');
      await shot(page, '2-progress');
      sawProgress = true;
    });
    expect(status).toMatch(/^Done: every step verified/);
    expect(sawProgress).toBe(true);
    const results = await page.$$eval('#plan-table tbody tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.result));
    expect(results.length).toBe(steps.length);
    expect(results.every((r) => r === 'verified')).toBe(true);
    await shot(page, '3-done');

    // The model says so, not only the page.
    expect(await board(page)).toMatchObject({ fus: '2.2.0', stack: '1.24.0', stackType: 'BLE_Stack_full' });
    // Every reset took the device off the bus; it came back as a new USBDevice object, which the page found
    // again by its serial among the granted devices, without opening the picker again.
    const handed = await devicesHandedOut(page);
    expect(handed.length).toBeGreaterThan(steps.length);
    expect(new Set(handed.map((d) => d.serial)).size).toBe(1);
    expect(handed.slice(0, -1).every((d) => d.gone)).toBe(true);
    expect(await prompts(page)).toHaveLength(1);

    // The report: the CLI's events (valid against schemas/events.schema.json) and JUnit.
    const ndjson = await download(page, '#report-ndjson');
    const events = ndjson.trim().split('\n').map((l) => JSON.parse(l) as { type: string; verification?: string; result?: string; status?: string });
    const validate = validatorFor('events');
    for (const e of events) expect(validate(e), JSON.stringify(validate.errors)).toBe(true);
    expect(events.filter((e) => e.type === 'step-finished').map((e) => e.verification)).toEqual(steps.map(() => 'read-back'));
    expect(events.find((e) => e.type === 'board-finished')?.result).toBe('provisioned');
    const junit = await download(page, '#report-junit');
    expect(junit).toContain('<testsuite');
    expect(junit).not.toContain('<failure');
    expect((junit.match(/<testcase /g) ?? []).length).toBeGreaterThanOrEqual(steps.length);

    // Second apply: re-reads the board, plans nothing, touches nothing.
    await page.click('#apply');
    await page.waitForFunction(() => /Nothing to do/.test(document.getElementById('status')!.textContent ?? ''));
    expect(await page.textContent('#plan-summary')).toMatch(/Nothing to do/);
    const second = (await download(page, '#report-ndjson')).trim().split('\n').map((l) => JSON.parse(l) as { type: string; status?: string; steps?: number });
    expect(second.find((e) => e.type === 'plan')).toMatchObject({ status: 'up-to-date', steps: 0 });
    expect(second.some((e) => e.type === 'step-started')).toBe(false);
    expect(await board(page)).toMatchObject({ fus: '2.2.0', stack: '1.24.0' });
    // Connect again: the same board, still granted, is read without the picker.
    expect(await connectAndPlan(page)).toMatch(/up to date/);
    expect(await prompts(page)).toHaveLength(1);
    await o.close();
  }, 120_000);

  it('a bad manifest: the error at line:column, nothing touched', async () => {
    const o = await open();
    const { page } = o;
    const text = quickStartText().replace('  version: 1.24.0', '  verison: 1.24.0');
    const line = text.split('\n').findIndex((l) => l.includes('verison')) + 1;
    await page.fill('#manifest-text', text);
    await page.click('#check-manifest');
    await page.waitForSelector('#manifest-issues li.bad');
    const issues = await page.$$eval('#manifest-issues li.bad', (li) => li.map((l) => ({ text: l.textContent ?? '', line: (l as HTMLElement).dataset.line, column: (l as HTMLElement).dataset.column })));
    expect(issues.some((i) => i.line === String(line) && i.column === '3' && i.text.includes(`manifest.yaml:${line}:3:`) && /verison/.test(i.text) && /did you mean "version"/.test(i.text))).toBe(true);
    expect(await page.textContent('#manifest-summary')).toContain('nothing was done');
    await page.setInputFiles('#image-files', quickStartImages());
    await page.click('#connect');
    await page.waitForFunction(() => /Board read|Could not/.test(document.getElementById('status')!.textContent ?? ''));
    expect(await page.isDisabled('#apply')).toBe(true);
    await shot(page, '4-error-manifest');
    expect(await board(page)).toMatchObject({ fus: '0.5.3', stack: null });
    await o.close();
  }, 60_000);

  it('a tampered image: refused with expected and actual sha256, the board never read', async () => {
    const o = await open();
    const { page } = o;
    const images = quickStartImages();
    const ble = images.find((i) => i.name.includes('BLE_Stack_full'))!;
    const intact = sha256(ble.buffer);
    ble.buffer = Buffer.from(ble.buffer);
    ble.buffer[1000] = ble.buffer[1000]! ^ 0x01;
    const actual = sha256(ble.buffer);
    await loadQuickStart(page, images);
    const problem = page.locator('#image-problems li[data-code]');
    await expect.poll(() => problem.count()).toBe(1);
    expect(await problem.getAttribute('data-expected')).toBe(intact);
    expect(await problem.getAttribute('data-actual')).toBe(actual);
    const text = (await problem.textContent()) ?? '';
    expect(text).toContain(`expected sha256 ${intact}`);
    expect(text).toContain(`actual ${actual}`);
    await shot(page, '5-error-tampered');
    expect(await page.isDisabled('#apply')).toBe(true);
    expect(await requests(page)).toBe(0);
    await o.close();
  }, 60_000);

  it('the device unplugged mid-download: the page says what happened; reconnect and apply converge', async () => {
    const o = await open();
    const { page } = o;
    await loadQuickStart(page);
    await connectAndPlan(page);
    // Pull the cable when step 1's download passes 40%: the next USB request finds the device gone.
    await page.evaluate(() => {
      // The table is drawn again from the plan apply makes after its own read: look the row up each time.
      const table = document.getElementById('plan-table')!;
      const obs = new MutationObserver(() => {
        const row = document.getElementById('step-1');
        if (!row) return;
        const value = row.querySelector('progress')!.value;
        if ((row.querySelector('.step-state')!.textContent ?? '').startsWith('download') && value >= 40 && value < 100) {
          obs.disconnect();
          const w = window as unknown as { __coproVirtual: { armUsbFault(t: string): void }; __unpluggedAt: number };
          w.__coproVirtual.armUsbFault('unplug@1');
          w.__unpluggedAt = value;
        }
      });
      obs.observe(table, { subtree: true, attributes: true, childList: true, characterData: true });
    });
    const status = await applyAndConfirm(page, /^Done|^Failed|disconnected/);
    const at = await page.evaluate(() => (window as unknown as { __unpluggedAt?: number }).__unpluggedAt);
    expect(at).toBeGreaterThanOrEqual(40);
    expect(status).toMatch(/The board disconnected/);
    expect(status).toMatch(/Connect, then Apply/);
    expect(await page.locator('#plan-table tbody tr[data-result="failed"]').count()).toBe(1);
    await shot(page, '6-error-unplugged');
    expect((await board(page)).powered).toBe(false);

    await page.evaluate(() => (window as unknown as { __coproVirtual: { plugIn(): Promise<void> } }).__coproVirtual.plugIn());
    // Plugged back in, the board keeps its grant (it has a serial number): Connect finds it without the picker.
    await connectAndPlan(page);
    expect(await prompts(page)).toHaveLength(1);
    const again = await applyAndConfirm(page, /^Done|^Failed|disconnected/);
    expect(again).toMatch(/^Done: every step verified/);
    expect(await board(page)).toMatchObject({ fus: '2.2.0', stack: '1.24.0', stackType: 'BLE_Stack_full' });
    await shot(page, '7-done-after-unplug');
    await o.close();
  }, 120_000);
});
