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
//   node browser.js ui URL TOKEN PENDING_ID ACTIVE_ID SHOT_PREFIX
//       the admin UI at URL (/ui/): a wrong token refused, log in, approve
//       device PENDING_ID, revoke device ACTIVE_ID, make an enrolment token,
//       every view screenshotted at both sizes; print what the page said
//   node browser.js nojs URL USER PASSWORD SHOT_PREFIX
//       the admin UI at URL (/ui/) with JavaScript off and HTTP Basic
//       credentials: follow the <noscript> links to the read-only pages,
//       each screenshotted at both sizes; print their text and any request
//       that left the page's origin
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

async function withBrowser(viewport, fn, extra) {
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
        ...(extra || {}),
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

async function uiLogin(page, token) {
    await page.fill('#token', token);
    await page.click('#login-form button[type=submit]');
}

async function uiView(page, view, ready) {
    await page.click(`nav a[href="#${view}"]`);
    await page.waitForSelector(ready, { timeout: 10000 });
}

async function cmdUi(url, token, pendingId, activeId, shotPrefix) {
    const result = {};
    for (const name of ['desktop', 'phone']) {
        const r = await withBrowser(VIEWPORTS[name], async (page) => {
            const out = {};
            const shot = (view) => page.screenshot({ path: `${shotPrefix}-${view}-${name}.png`, fullPage: true });
            page.on('dialog', (d) => { out.last_dialog = d.message(); d.accept(); });
            const { error } = await open(page, url);
            if (error)
                return { error };
            await page.waitForSelector('#login:not([hidden])');
            if (name === 'desktop') {
                await uiLogin(page, 'A'.repeat(43));
                await page.waitForSelector('#status.error');
                out.wrong_token = await page.locator('#status').innerText();
            }
            await shot('login');
            await uiLogin(page, token);
            await page.waitForSelector('#devices-list table');
            if (name === 'desktop') {
                await shot('devices-before');
                await page.click(`button[data-action=approve][data-id="${pendingId}"]`);
                await page.waitForSelector('#status.ok');
                out.approved = await page.locator('#status').innerText();
                await page.click(`button[data-action=revoke][data-id="${activeId}"]`);
                await page.waitForFunction(() => /revoked/.test(document.getElementById('status').textContent));
                out.revoked = await page.locator('#status').innerText();
                out.revoke_question = out.last_dialog;
                await page.reload();
                await page.waitForSelector('#devices-list table');
                out.still_logged_in_after_reload = true;
                out.cookies = await page.evaluate(() => document.cookie);
                out.session_token_kept = await page.evaluate((t) => sessionStorage.getItem('lancert.adminToken') === t, token);
            }
            await shot('devices');
            await uiView(page, 'certificates', '#certificates-list table');
            await shot('certificates');
            await uiView(page, 'tokens', '#token-form');
            await page.fill('#token-names', 'camera');
            await page.click('#token-form button[type=submit]');
            await page.waitForSelector('#token-qr svg');
            out.enrol_token = await page.locator('#token-value').innerText();
            const qr = `${shotPrefix}-token-qr-${name}.png`;
            await page.locator('#token-qr svg').screenshot({ path: qr });
            out.token_qr = qr;
            await shot('token');
            await uiView(page, 'health', '#health-view dl');
            out.health = await page.locator('#health-view').innerText();
            await shot('health');
            await page.click('#logout');
            await page.waitForSelector('#login:not([hidden])');
            out.logged_out = await page.evaluate(() => sessionStorage.length === 0);
            return out;
        });
        if (r.error)
            return r;
        result[name] = r;
    }
    return result;
}

async function cmdNojs(url, user, password, shotPrefix) {
    const result = {};
    const origin = new URL(url).origin;
    for (const name of ['desktop', 'phone']) {
        const r = await withBrowser(VIEWPORTS[name], async (page) => {
            const out = { elsewhere: [] };
            page.on('request', (q) => {
                if (new URL(q.url()).origin !== origin)
                    out.elsewhere.push(q.url());
            });
            const { error } = await open(page, url);
            if (error)
                return { error };
            out.noscript = await page.locator('main').innerText();
            for (const view of ['devices', 'certificates', 'health']) {
                const [response] = await Promise.all([
                    page.waitForNavigation({ waitUntil: 'load', timeout: 15000 }),
                    page.click(`a[href="/ui/${view}.html"]`),
                ]);
                out[`${view}_status`] = response.status();
                out[view] = await page.locator('main').innerText();
                await page.screenshot({ path: `${shotPrefix}-${view}-${name}.png`, fullPage: true });
            }
            return out;
        }, { javaScriptEnabled: false, httpCredentials: { username: user, password } });
        if (r.error)
            return r;
        result[name] = r;
    }
    return result;
}

async function main() {
    const [cmd, url, shot] = process.argv.slice(2);
    const args = process.argv.slice(2);
    let r;
    if (cmd === 'load' && url)
        r = await cmdLoad(url, shot);
    else if (cmd === 'landing' && url && shot)
        r = await cmdLanding(url, shot);
    else if (cmd === 'ui' && args.length === 6)
        r = await cmdUi(args[1], args[2], args[3], args[4], args[5]);
    else if (cmd === 'nojs' && args.length === 5)
        r = await cmdNojs(args[1], args[2], args[3], args[4]);
    else {
        process.stderr.write('usage: browser.js load URL [SHOT_PREFIX] | landing URL SHOT_PREFIX | ui URL TOKEN PENDING_ID ACTIVE_ID SHOT_PREFIX | nojs URL USER PASSWORD SHOT_PREFIX\n');
        process.exit(2);
    }
    process.stdout.write(JSON.stringify(r) + '\n');
    process.exit(r.error ? 3 : 0);
}

main().catch((e) => {
    process.stderr.write(`browser.js: ${e.stack || e}\n`);
    process.exit(1);
});
