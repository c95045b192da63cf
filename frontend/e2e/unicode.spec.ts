/**
 * Any Unicode character survives the round trip (ASVS 5.3.2), a long Unicode
 * password is used whole (2.1.2, 2.1.4), and an SVG is only downloaded, never
 * shown in the page (5.2.7).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { withDatabase } from './support/operator.js';
import { confirmRecoveryCode, fillSignIn, newPerson, type Person, register, signIn, signOut, unlock } from './support/portal.js';
import { downloadRecord, openRecordsPage, pngFile, sha256, titleOf, uploadFiles, type TestFile } from './support/records.js';
import { attributeOf, countOf, textOf } from './support/eventually.js';

/** Over 100 characters: accented and CJK letters, Arabic, spaces, and an emoji as the very last character. */
const LONG_PASSWORD = 'Ünïcödé façade Øresund 東京の夜 مرحبا بالعالم Ελληνικά ñandú 🌙 🔐 '.repeat(2) + 'çà et là 🩺';
const DISPLAY_NAME = 'Zoë 山田 花子 مريم 🩺';
const FOLDER_NAME = 'Кардиология 心臓 קרדיולוגיה 🫀';

const svgFile = (name: string): TestFile => ({
  name,
  mimeType: 'image/svg+xml',
  buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>document.title="svg ran"</script><rect width="10" height="10"/></svg>'),
});

describe('Unicode names and passwords in the portal (Chromium)', () => {
  let browser: BrowserSession;
  let patient: Person;
  const image = pngFile('検査 résumé 🩻 تقرير.png', 4, 3);
  const drawing = svgFile('グラフ ✓ رسم بياني.svg');

  beforeAll(async () => {
    browser = await openBrowser();
    patient = { ...newPerson('patient'), displayName: DISPLAY_NAME, password: LONG_PASSWORD };
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('registers with a 100+ character Unicode password and name, and signs in only with the whole password', async () => {
    const { page } = browser;
    expect([...LONG_PASSWORD].length).toBeGreaterThan(100);
    await confirmRecoveryCode(page, await register(page, patient));
    await page.getByText(`${DISPLAY_NAME} (patient)`, { exact: true }).waitFor();
    await signOut(page);

    // Only the last character differs (another emoji): refused.
    await fillSignIn(page, patient.email, LONG_PASSWORD.slice(0, -2) + '🩹');
    await textOf(page.getByRole('alert'), 'Email or password is incorrect');
    await signIn(page, patient.email, LONG_PASSWORD);
    await page.getByText(`${DISPLAY_NAME} (patient)`, { exact: true }).waitFor();
  });

  it('stores the display name exactly as typed', async () => {
    const { rows } = await withDatabase((client) => client.query<{ display_name: string }>('SELECT display_name FROM users WHERE email = $1', [patient.email]));
    expect(rows).toEqual([{ display_name: DISPLAY_NAME }]);
  });

  it('keeps Unicode folder and file names through encryption, a reload and a new sign-in', async () => {
    const { page } = browser;
    await openRecordsPage(page);
    await page.getByLabel('New folder').fill(FOLDER_NAME);
    await page.getByRole('button', { name: 'Add folder' }).click();
    await attributeOf(page.getByRole('button', { name: FOLDER_NAME }), 'aria-current', 'true');
    await uploadFiles(page, [image, drawing]);

    await page.reload();
    await unlock(page, patient.email, LONG_PASSWORD);
    await openRecordsPage(page);
    await page.getByRole('button', { name: FOLDER_NAME }).click();
    await page.getByRole('button', { name: `Open ${titleOf(image)}` }).click();
    const dialog = page.getByRole('dialog', { name: titleOf(image) });
    await expect(dialog.getByRole('img').evaluate((img: HTMLImageElement) => img.decode().then(() => [img.naturalWidth, img.naturalHeight]))).resolves.toEqual([4, 3]);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });

    // The SVG is saved under its own name, byte for byte, and never rendered by the page.
    const downloaded = await downloadRecord(page, drawing);
    expect(downloaded.name).toBe(drawing.name);
    expect(sha256(downloaded.bytes)).toBe(sha256(drawing.buffer));
    await countOf(page.getByRole('dialog'), 0);
    await expect(page.title()).resolves.not.toBe('svg ran');
  });
});
