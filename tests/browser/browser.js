// browser.js — Debian's headless Chromium driven by playwright-core, for
// tests/integration/test_browser.sh. Each call starts a fresh browser with a
// fresh profile (NSS trust comes from $HOME/.pki/nssdb, so the caller picks
// what is trusted by picking HOME), does one thing, prints one line of JSON
// and exits 0; a navigation that fails (a certificate error) prints
// {"error": "net::ERR_..."} and exits 3.
//
//   node browser.js load URL [SHOT_PREFIX]
//       open URL; print {url, status, title, text}; SHOT_PREFIX-desktop.png
//       and SHOT_PREFIX-phone.png are full-page screenshots
//   node browser.js landing URL SHOT_PREFIX
//       the landing page: every <details> opened for the screenshots; print
//       {fingerprint_attr, fingerprint_text, download_href, qr: PNG path}
//
// No request leaves for the internet: the browser runs inside the test's
// network namespace, and the flags below turn off Chromium's own traffic.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';
const VIEWPORTS = {
    desktop: { width: 1280, height: 900, isMobile: false, deviceScaleFactor: 1 },
    phone: { width: 390, height: 844, isMobile: true, deviceScaleFactor: 2 },
};

async function withBrowser(viewport, fn) {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'lancert-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: EXECUTABLE,
        headless: true,
        viewport: { width: viewport.width, height: viewport.height },
        isMobile: viewport.isMobile,
        hasTouch: viewport.isMobile,
        deviceScaleFactor: viewport.deviceScaleFactor,
        ignoreHTTPSErrors: false,
        args: [
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--disable-features=DnsOverHttps',
        ],
    });
    try {
        const page = context.pages()[0] || (await context.newPage());
        return await fn(page);
    } finally {
        await context.close();
        fs.rmSync(profile, { recursive: true, force: true });
    }
}

// open navigates and turns a failed navigation into {error}.
async function open(page, url) {
    try {
        const response = await page.goto(url, { waitUntil: 'load', timeout: 15000 });
        return { response };
    } catch (e) {
        const m = /net::ERR_[A-Z_]+/.exec(String(e.message));
        return { error: m ? m[0] : String(e.message).split('\n')[0] };
    }
}

async function cmdLoad(url, shotPrefix) {
    let result;
    for (const name of shotPrefix ? ['desktop', 'phone'] : ['desktop']) {
        const r = await withBrowser(VIEWPORTS[name], async (page) => {
            const { response, error } = await open(page, url);
            if (error)
                return { error };
            if (shotPrefix)
                await page.screenshot({ path: `${shotPrefix}-${name}.png`, fullPage: true });
            return {
                url: page.url(),
                status: response.status(),
                title: await page.title(),
                text: (await page.locator('body').innerText()).slice(0, 2000),
            };
        });
        result = result || r;
        if (r.error)
            break;
    }
    return result;
}

async function cmdLanding(url, shotPrefix) {
    let result;
    for (const name of ['desktop', 'phone']) {
        const r = await withBrowser(VIEWPORTS[name], async (page) => {
            const { error } = await open(page, url);
            if (error)
                return { error };
            await page.screenshot({ path: `${shotPrefix}-${name}.png`, fullPage: true });
            await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
            await page.screenshot({ path: `${shotPrefix}-${name}-steps.png`, fullPage: true });
            const qr = `${shotPrefix}-${name}-qr.png`;
            await page.locator('#qr svg').screenshot({ path: qr });
            const fp = page.locator('#fingerprint');
            return {
                fingerprint_attr: await fp.getAttribute('data-sha256'),
                fingerprint_text: (await fp.innerText()).replace(/\s+/g, ''),
                download_href: await page.locator('#download-url').getAttribute('href'),
                qr,
            };
        });
        result = result || r;
        if (r.error)
            break;
    }
    return result;
}

async function main() {
    const [cmd, url, shot] = process.argv.slice(2);
    let r;
    if (cmd === 'load' && url)
        r = await cmdLoad(url, shot);
    else if (cmd === 'landing' && url && shot)
        r = await cmdLanding(url, shot);
    else {
        process.stderr.write('usage: browser.js load URL [SHOT_PREFIX] | landing URL SHOT_PREFIX\n');
        process.exit(2);
    }
    process.stdout.write(JSON.stringify(r) + '\n');
    process.exit(r.error ? 3 : 0);
}

main().catch((e) => {
    process.stderr.write(`browser.js: ${e.stack || e}\n`);
    process.exit(1);
});
