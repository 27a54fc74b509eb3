import type { Page } from 'playwright-core';

/** Debian's Chromium unless TARTIP_CHROMIUM names another. */
export const CHROMIUM = process.env.TARTIP_CHROMIUM ?? '/usr/bin/chromium';

// Headless Chromium has no GPU here: ANGLE on SwiftShader gives MapLibre a software WebGL 2 context.
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-swiftshader',
  '--use-angle=swiftshader',
];

/** Fills the login form and submits it. */
export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  await page.locator('form button[type="submit"]').click();
}
