// Renders images/icon.svg to the 128x128 images/icon.png the Marketplace shows, with Debian's Chromium.
// Run by hand after changing the SVG: `node scripts/render-icon.mjs`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const images = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'images');
const svg = fs.readFileSync(path.join(images, 'icon.svg'), 'utf8');
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage({ viewport: { width: 128, height: 128 } });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
  await page.locator('svg').screenshot({ path: path.join(images, 'icon.png'), omitBackground: true });
} finally {
  await browser.close();
}
