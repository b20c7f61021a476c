/**
 * "Report a bug" and "Contact" in the site footer: what reaches the operator, that a page's
 * fragment and query never do, inline errors that keep the draft, and the forms on a phone.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { test, expect } from './fixtures.js';
import { startRelay } from '../test-support/relay.js';

mkdirSync('/tmp/shots', { recursive: true });

function readLines(file: string): Array<Record<string, unknown>> {
  try {
    return readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  } catch {
    return [];
  }
}

test('report a bug: the operator gets the report with the page address but no fragment or query', async ({
  newPage,
}) => {
  const dir = mkdtempSync(join(tmpdir(), 'b2b-e2e-report-'));
  const file = join(dir, 'reports.jsonl');
  const relay = await startRelay({ webDir: 'dist/web', reportsFile: file });
  try {
    const page = await newPage();
    await page.goto(`${relay.url}/docs?ref=secret-query#k=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`);
    await page.getByRole('button', { name: 'Report a bug' }).click();
    const dlg = page.getByRole('dialog', { name: 'Found something off?' });
    await expect(dlg.getByLabel('What went wrong?')).toBeFocused();
    await dlg.getByRole('button', { name: 'Send report' }).click();
    await expect(dlg.getByRole('alert')).toHaveText('Describe what went wrong in at least 5 characters.');
    await expect(dlg.getByLabel('What went wrong?')).toHaveAttribute('aria-invalid', 'true');

    await dlg.getByLabel('What went wrong?').fill('The copy button on the docs page does nothing.');
    await expect(dlg.getByRole('alert')).toBeHidden();
    await expect(dlg.getByLabel('What went wrong?')).not.toHaveAttribute('aria-invalid');
    await dlg.getByLabel('How bad is it?').selectOption('high');
    await dlg.getByLabel('Where? (optional)').fill('/docs, "copy" next to curl');
    await dlg.getByLabel('How to reach you (optional)').fill('ada@example.org');
    await dlg.getByRole('button', { name: 'Send report' }).click();
    const done = dlg.getByRole('status');
    await expect(done).toHaveText(/^✓ Thanks — report [0-9a-f]{8} received\.$/);
    const id8 = /report ([0-9a-f]{8})/.exec((await done.textContent()) ?? '')![1]!;

    await expect.poll(() => readLines(file).length).toBe(1);
    const rec = readLines(file)[0]!;
    expect(rec).toMatchObject({
      level: 'report',
      severity: 'high',
      what: 'The copy button on the docs page does nothing.',
      where: '/docs, "copy" next to curl',
      contact: 'ada@example.org',
    });
    expect(String(rec.id).slice(0, 8)).toBe(id8);
    expect(String(rec.context)).toMatch(
      new RegExp(`^page=${relay.url.replace(/[.]/g, '\\.')}/docs\\nua=.*Chrom`),
    );
    expect(JSON.stringify(rec)).not.toContain('secret-query');
    expect(JSON.stringify(rec)).not.toContain('AAAAAAAAAA');

    // "Done" closes it, focus goes back to the footer button, and the next report starts empty.
    await dlg.getByRole('button', { name: 'Done' }).click();
    await expect(dlg).toBeHidden();
    await expect(page.getByRole('button', { name: 'Report a bug' })).toBeFocused();
    await page.getByRole('button', { name: 'Report a bug' }).click();
    await expect(dlg.getByLabel('What went wrong?')).toHaveValue('');
    await expect(dlg.getByLabel('How bad is it?')).toHaveValue('medium');
  } finally {
    await relay.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('contact: inline errors keep the draft, a refusal is explained, and the note reaches the operator', async ({
  newPage,
}) => {
  // Two notes per address, then 429: small enough to reach from one browser.
  const relay = await startRelay({
    webDir: 'dist/web',
    limits: { rateBucketCapacity: 2, rateBucketRefillPerS: 0.001 },
  });
  const notes: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk === 'string' && chunk.includes('"level":"contact"')) notes.push(chunk);
    return write(chunk as string, ...(rest as []));
  }) as typeof process.stderr.write;
  try {
    const page = await newPage();
    await page.goto(`${relay.url}/`);
    await page.getByRole('button', { name: 'Contact', exact: true }).click();
    const dlg = page.getByRole('dialog', { name: 'Get in touch' });
    const message = dlg.getByLabel('Message');
    await message.fill('Can I run this relay for my team?');
    await dlg.getByLabel('Name (optional)').fill('Ada');
    await dlg.getByLabel('Email (optional, for a reply)').fill('ada at example');
    await dlg.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(dlg.getByRole('alert')).toHaveText(
      'That email address does not look right. Leave it empty if you do not want a reply.',
    );
    await expect(dlg.getByLabel('Email (optional, for a reply)')).toHaveAttribute('aria-invalid', 'true');
    expect(notes).toHaveLength(0);

    // Escape closes the form; the draft is still there when it opens again.
    await page.keyboard.press('Escape');
    await expect(dlg).toBeHidden();
    await page.getByRole('button', { name: 'Contact', exact: true }).click();
    await expect(message).toHaveValue('Can I run this relay for my team?');

    await dlg.getByLabel('Email (optional, for a reply)').fill('ada@example.org');
    await dlg.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(dlg.getByRole('status')).toHaveText(/^✓ Thanks — message delivered \([0-9a-f]{8}\)\.$/);
    expect(notes).toHaveLength(1);
    expect(JSON.parse(notes[0]!)).toMatchObject({
      level: 'contact',
      message: 'Can I run this relay for my team?',
      name: 'Ada',
      email: 'ada@example.org',
    });
    await dlg.getByRole('button', { name: 'Done' }).click();

    // The second note is accepted, the third refused: the text stays, with the reason.
    for (const text of ['second note', 'third note']) {
      await page.getByRole('button', { name: 'Contact', exact: true }).click();
      await message.fill(text);
      await dlg.getByRole('button', { name: 'Send', exact: true }).click();
      if (text === 'second note') await dlg.getByRole('button', { name: 'Done' }).click();
    }
    await expect(dlg.getByRole('alert')).toHaveText(
      'Too many at once from this address. Try again in 10 seconds; what you wrote is still here.',
    );
    await expect(message).toHaveValue('third note');
    expect(notes).toHaveLength(2);
  } finally {
    process.stderr.write = write;
    await relay.close();
  }
});

test('the support forms on a phone: no sideways scrolling, and no serious axe findings', async ({
  relay,
  newPage,
}) => {
  const page = await newPage({ viewport: { width: 320, height: 640 }, touch: true });
  await page.goto(`${relay.url}/agents`);
  for (const [button, title] of [
    ['Report a bug', 'Found something off?'],
    ['Contact', 'Get in touch'],
  ] as const) {
    await page.getByRole('button', { name: button, exact: true }).click();
    const dlg = page.getByRole('dialog', { name: title });
    await expect(dlg).toBeVisible();
    const box = await dlg.boundingBox();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(320);
    const r = await page.evaluate(() => ({
      sw: document.documentElement.scrollWidth,
      cw: document.documentElement.clientWidth,
    }));
    expect(r.sw).toBeLessThanOrEqual(r.cw);
    const axe = await new AxeBuilder({ page }).include('dialog[open]').analyze();
    expect(
      axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
      title,
    ).toEqual([]);
    await page.screenshot({ path: `/tmp/shots/support-${button.split(' ')[0]!.toLowerCase()}-phone.png` });
    await dlg.getByRole('button', { name: 'Cancel' }).click();
    await expect(dlg).toBeHidden();
  }
});
