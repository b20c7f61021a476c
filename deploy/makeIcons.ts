/**
 * Renders the app icons (public/icons/*.png) from public/favicon.svg with the test browser, so
 * the PNGs the manifest names always match the favicon. Run after changing the favicon:
 * `npx tsx deploy/makeIcons.ts`.
 */
import { chromium } from '@playwright/test';
import { readFileSync } from 'node:fs';

const svg = readFileSync('public/favicon.svg', 'utf8');
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
const page = await browser.newPage();
const shots: Array<[string, number, boolean]> = [
  ['icon-192.png', 192, false],
  ['icon-512.png', 512, false],
  ['maskable-512.png', 512, true],
  ['maskable-192.png', 192, true],
];
for (const [name, size, maskable] of shots) {
  await page.setViewportSize({ width: size, height: size });
  // Maskable: full-bleed background, the mark inside the central 80 % safe zone.
  const inner = maskable
    ? `<div style="position:absolute;inset:0;background:linear-gradient(135deg,#6D7CFF,#22D3EE)"></div><div style="position:absolute;inset:${size * 0.14}px">${svg}</div>`
    : svg;
  await page.setContent(
    `<html><body style="margin:0;width:${size}px;height:${size}px;position:relative;background:transparent">${inner}<style>svg{width:100%;height:100%;display:block}</style></body></html>`,
  );
  await page.screenshot({
    path: `public/icons/${name}`,
    omitBackground: true,
    clip: { x: 0, y: 0, width: size, height: size },
  });
}
await browser.close();
