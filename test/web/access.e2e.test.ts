/**
 * Who can use the page, in headless Chromium: the rehearsal link (`?simulate=1&example=...`), a browser without
 * WebUSB (as Firefox and Safari: no `navigator.usb` at all), the whole flow with the keyboard alone, an
 * accessible name on every control (Chromium's accessibility tree), and a laptop screen without sideways
 * scrolling. No request may leave the page's origin (harness.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  board, FINISHED, haveChromium, QUICK_START, quickStartImages, quickStartText, shot,
  status, usbRequests, waitStatus,
  builtPage,
} from './harness.js';

const site = builtPage();

/** Presses Tab until `selector` has the focus (fails if it never gets it: not reachable by keyboard). */
async function tabTo(page: Page, selector: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) === true, selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${selector} never got the keyboard focus`);
}

/** No horizontal scrolling: the page fits the window's width. */
const fitsWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

describe.skipIf(!haveChromium)('who can use the page', () => {
  it('index.html?simulate=1&example=nucleo-wb55-ble opens the rehearsal directly, visibly marked as a simulation', async () => {
    // The link exactly as a README or a forum answer gives it: no test hook, the default (10x) clock.
    const o = await site.open('?simulate=1&example=nucleo-wb55-ble', { hook: false });
    const { page } = o;
    const banner = page.getByRole('note').filter({ hasText: 'SIMULATION' });
    expect(await banner.isVisible()).toBe(true);
    expect(await page.inputValue('#example')).toBe('nucleo-wb55-ble');
    await page.waitForSelector('#manifest-ok');
    expect(await page.textContent('#manifest-ok')).toMatch(/^nucleo-wb55-ble\.yaml: STM32WB55RG, FUS 2\.2\.0, stack BLE_Stack_full 1\.24\.0/);
    // Nothing to drop: the release's images are stand-ins made in the page, and say so.
    await page.waitForFunction(() => document.querySelectorAll('#image-table tbody tr').length > 0);
    const sources = await page.$$eval('#image-table tbody tr', (trs) => (trs as HTMLTableRowElement[]).map((r) => r.cells[3]!.textContent));
    expect(sources.every((s) => s === 'stand-in made in the page (simulation)')).toBe(true);
    expect(await status(page)).toBe('');
    expect(await page.getByRole('button', { name: 'Connect' }).isEnabled()).toBe(true);
    await page.getByRole('button', { name: 'Connect' }).click();
    expect(await waitStatus(page, /Plan ready|Could not/)).toMatch(/^Plan ready: 3 step/);
    expect(await page.textContent('#board-summary')).toMatch(/DFU serial simulated.*FUS 0\.5\.3/);
    // The banner stays on screen with the plan (the screenshot shows both).
    expect(await banner.isVisible()).toBe(true);
    await shot(page, '8-simulated-plan');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('dialog', { name: 'These steps cannot be undone' }).getByRole('button', { name: 'Yes, proceed' }).click();
    expect(await waitStatus(page, FINISHED, 120_000)).toMatch(/^Done: every step verified.*FUS 2\.2\.0, stack BLE_Stack_full 1\.24\.0/);
    expect(await board(page)).toMatchObject({ fus: '2.2.0', stack: '1.24.0', stackType: 'BLE_Stack_full' });
    await shot(page, '8-simulated-done');
    await o.close();
  }, 180_000);

  it('a browser without WebUSB gets a clear message pointing at the command line; the simulation still works there', async () => {
    const o = await site.open('', { hook: false, noWebUsb: true });
    const { page } = o;
    expect(await page.evaluate(() => 'usb' in navigator)).toBe(false);
    const alert = page.getByRole('alert');
    expect(await alert.isVisible()).toBe(true);
    expect(await alert.textContent()).toMatch(/no WebUSB.*Chrome, Edge, Opera.*Firefox and Safari do not.*npx copro apply/s);
    expect(await page.isDisabled('#connect')).toBe(true);
    await shot(page, '9-unsupported');
    // The message's own link opens the rehearsal, which needs no WebUSB.
    await alert.getByRole('link', { name: 'rehearse on a simulated board' }).click();
    await page.waitForURL(/simulate=1&example=nucleo-wb55-ble/);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.evaluate(() => 'usb' in navigator)).toBe(false);
    expect(await page.isVisible('#unsupported')).toBe(false);
    expect(await page.isVisible('#sim-banner')).toBe(true);
    await page.waitForSelector('#manifest-ok');
    await page.click('#connect');
    expect(await waitStatus(page, /Plan ready|Could not/)).toMatch(/^Plan ready/);
    await page.click('#apply');
    await page.click('#confirm-yes');
    expect(await waitStatus(page, FINISHED, 120_000)).toMatch(/^Done: every step verified/);
    await o.close();
  }, 180_000);

  it('the whole flow with the keyboard alone, on a laptop screen: files, Connect, Apply, confirmation, report', async () => {
    const o = await site.open('', { viewport: { width: 1366, height: 768 } });
    const { page } = o;
    const chooser = async (selector: string, files: Parameters<Page['setInputFiles']>[1]) => {
      await tabTo(page, selector);
      const [fc] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Space')]);
      await fc.setFiles(files);
    };
    await chooser('#manifest-file', { name: QUICK_START, mimeType: 'text/yaml', buffer: Buffer.from(quickStartText()) });
    await page.waitForSelector('#manifest-ok');
    await chooser('#image-files', quickStartImages());
    await page.waitForFunction(() => document.querySelectorAll('#image-table tbody tr').length >= 4);
    await tabTo(page, '#connect');
    await page.keyboard.press('Enter');
    expect(await waitStatus(page, /Plan ready|Could not|No device/)).toMatch(/^Plan ready/);
    expect(await fitsWidth(page)).toBe(true);
    await shot(page, '11-laptop-plan');

    // Escape on the confirmation is "no": nothing is changed.
    await tabTo(page, '#apply');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#confirm[open]');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('confirm-yes');
    const requestsBefore = await usbRequests(page);
    await page.keyboard.press('Escape');
    expect(await waitStatus(page, FINISHED)).toMatch(/^Not confirmed: nothing was changed/);
    expect(await board(page)).toMatchObject({ fus: '0.5.3', stack: null });
    expect(await usbRequests(page)).toBeGreaterThan(0);
    expect(requestsBefore).toBeGreaterThan(0);

    // Apply again; Enter on the focused "Yes, proceed".
    await tabTo(page, '#apply');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#confirm[open]');
    await page.keyboard.press('Enter');
    expect(await waitStatus(page, FINISHED)).toMatch(/^Done: every step verified/);
    expect(await fitsWidth(page)).toBe(true);
    await shot(page, '11-laptop-done');
    await tabTo(page, '#report-ndjson');
    const [d] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    expect(d.suggestedFilename()).toBe('copro-apply.ndjson');
    await o.close();
  }, 180_000);

  it('every control has an accessible name; sections, tables, status and dialog are exposed with their roles', async () => {
    const o = await site.open('?simulate=1&example=nucleo-wb55-ble&speed=1000', { hook: false });
    const { page } = o;
    await page.waitForSelector('#manifest-ok');
    await page.click('#connect');
    await waitStatus(page, /Plan ready/);
    // Every control the page shows, at the plan, with the confirmation open (the rest of the page is inert
    // then), and at the end (report links, progress bars at 100%).
    const unnamed = async () => {
      const cdp = await page.context().newCDPSession(page);
      const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: { ignored: boolean; role?: { value: string }; name?: { value: string } }[] };
      await cdp.detach();
      const controls = ['button', 'link', 'combobox', 'textbox', 'checkbox', 'radio', 'progressbar', 'slider', 'spinbutton', 'listbox', 'dialog', 'table'];
      const found = nodes.filter((n) => !n.ignored && controls.includes(n.role?.value ?? ''));
      return { roles: found.map((n) => n.role?.value), unnamed: found.filter((n) => !(n.name?.value ?? '').trim()).map((n) => n.role?.value) };
    };
    const atPlan = await unnamed();
    expect(atPlan.roles.length).toBeGreaterThan(8);
    expect(atPlan.unnamed).toEqual([]);
    await page.click('#apply');
    await page.waitForSelector('#confirm[open]');
    const atConfirm = await unnamed();
    expect(atConfirm.roles).toEqual(expect.arrayContaining(['dialog', 'button', 'button']));
    expect(atConfirm.unnamed).toEqual([]);
    expect(await page.getByRole('dialog', { name: 'These steps cannot be undone' }).isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Yes, proceed' }).click();
    await waitStatus(page, FINISHED);
    const atEnd = await unnamed();
    expect(atEnd.unnamed).toEqual([]);
    for (const [role, name] of [
      ['combobox', 'Example manifest'],
      ['textbox', 'Manifest text (paste or edit)'],
      ['button', 'Check manifest'],
      ['button', 'Connect'],
      ['button', 'Apply'],
      ['link', 'Download events (NDJSON)'],
      ['link', 'Download JUnit report'],
      ['progressbar', 'step 1 progress'],
    ] as const) {
      expect(await page.getByRole(role, { name, exact: true }).count(), `${role} "${name}"`).toBe(1);
    }
    expect(await page.getByRole('button', { name: /choose a file|Drop a manifest/i }).or(page.getByLabel(/Drop a manifest/)).count()).toBeGreaterThan(0);
    expect(await page.getByLabel(/Drop ST's \.bin files/).count()).toBe(1);
    for (const h of ['1. Manifest', '2. Images', '3. Board', '4. Plan', '5. Report']) expect(await page.getByRole('region', { name: h }).count(), h).toBe(1);
    expect(await page.getByRole('status').textContent()).toMatch(/^Done/);
    expect(await page.getByRole('columnheader', { name: 'ST rule' }).count()).toBe(1);
    await o.close();
  }, 180_000);
});
