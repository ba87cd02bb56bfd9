import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';

/**
 * Test support (not a test file): the headless Chromium the dashboard tests drive.
 * Debian's `chromium-headless-shell`, installed by scripts/install-browser.sh (which
 * scripts/test.sh and .ci/run call); puppeteer-core downloads no browser.
 */
const CANDIDATES = [
  process.env.CHROME_PATH,
  '/usr/lib/chromium/chromium-headless-shell',
  '/usr/bin/chromium-headless-shell',
  '/usr/bin/chromium',
];

export const SCREENSHOTS = fileURLToPath(new URL('../../.stack/screenshots/', import.meta.url));

export function chromiumPath(): string {
  const found = CANDIDATES.find((p) => p !== undefined && p !== '' && existsSync(p));
  if (!found)
    throw new Error(
      'no headless Chromium: run `bash scripts/install-browser.sh` (apt-get install chromium-headless-shell) or set CHROME_PATH',
    );
  return found;
}

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: 'shell',
    // CI runs as root in a container: Chromium's sandbox needs user namespaces it may not have
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--font-render-hinting=none'],
  });
}
