/**
 * The page and the browser's WebUSB permissions, in headless Chromium over the virtual DfuSe device: every
 * chip reset takes the device off the bus and it comes back as a new USBDevice object; the page finds it again
 * by its DFU serial among the devices the browser still grants (navigator.usb.getDevices(), no picker), and
 * opens the picker (requestDevice, which needs the click on Connect) only when the browser no longer lists it.
 */
import { describe, expect, it } from 'vitest';
import {
  applyAndConfirm, board, connectAndPlan, counters, devicesHandedOut, haveChromium, loadQuickStart, prompts, shot, status,
  builtPage,
} from './harness.js';

const site = builtPage();

describe.skipIf(!haveChromium)('re-acquiring the board by serial after every reset', () => {
  it('every reset re-enumerates the device as a new USBDevice object; the page takes each one up without asking', async () => {
    const o = await open();
    const { page } = o;
    await loadQuickStart(page);
    const before = await counters(page);
    await connectAndPlan(page);
    const steps = await page.locator('#plan-table tbody tr').count();
    expect(await devicesHandedOut(page)).toHaveLength(1);

    expect(await applyAndConfirm(page)).toMatch(/^Done: every step verified/);
    const after = await counters(page);
    const handed = await devicesHandedOut(page);
    // Every step resets the chip at least once: the device left the bus and came back as a new object, which
    // the page took up (a FUS update reboots the chip several times while it is off the bus: the host sees
    // fewer enumerations than the model's resets, never more).
    expect(handed.length).toBeGreaterThanOrEqual(steps + 1);
    expect(after.usbReenumerations - before.usbReenumerations).toBeGreaterThanOrEqual(handed.length - 1);
    expect(handed.slice(0, -1).every((d) => d.gone)).toBe(true);
    expect(handed.at(-1)!.gone).toBe(false);
    expect(new Set(handed.map((d) => d.serial)).size).toBe(1);
    // The picker was opened once, by the first click on Connect.
    expect(await prompts(page)).toHaveLength(1);
    await o.close();
  }, 120_000);

  it('when the browser stops listing the board, the page asks for the click the picker needs; then it converges', async () => {
    const o = await open();
    const { page } = o;
    await loadQuickStart(page);
    await connectAndPlan(page);
    // When step 2 starts, the grant goes (the user revokes it in the site settings; Chromium does the same on
    // disconnect for a device without a serial number): at the next reset the device is not listed any more.
    await page.evaluate(() => {
      const table = document.getElementById('plan-table')!;
      const obs = new MutationObserver(() => {
        const state = document.querySelector('#step-2 .step-state');
        if (state && state.textContent !== 'pending') {
          obs.disconnect();
          (window as unknown as { __coproVirtual: { webUsb: { revoke(): void } } }).__coproVirtual.webUsb.revoke();
        }
      });
      obs.observe(table, { subtree: true, childList: true, characterData: true });
    });
    const stopped = await applyAndConfirm(page);
    expect(stopped).toMatch(/did not come back/);
    expect(stopped).toMatch(/click Connect/);
    expect(await prompts(page)).toHaveLength(1);
    await shot(page, '10-grant-lost');
    // The board itself was never unplugged: it is powered and still in its bootloader.
    expect((await board(page)).powered).toBe(true);

    // The click on Connect is the gesture the picker needs: now, and only now, it opens again.
    expect(await connectAndPlan(page)).toMatch(/Plan ready/);
    expect(await prompts(page)).toHaveLength(2);
    expect(await applyAndConfirm(page)).toMatch(/^Done: every step verified/);
    expect(await board(page)).toMatchObject({ fus: '2.2.0', stack: '1.24.0', stackType: 'BLE_Stack_full' });
    expect(await prompts(page)).toHaveLength(2);
    expect(await status(page)).toMatch(/FUS 2\.2\.0/);
    await o.close();
  }, 120_000);
});

const open = () => site.open();
