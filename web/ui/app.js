// app.js — the admin UI: a few views over the admin API of this gateway.
// The admin token lives in sessionStorage (this tab only) and goes out in the
// Authorization header, never in a cookie, so another site cannot make the
// browser act with it. Everything shown is put in with textContent, never as
// markup; the one exception is the QR code's SVG, which this gateway drew.
'use strict';

(() => {
    const KEY = 'lancert.adminToken';
    const VIEWS = ['devices', 'certificates', 'tokens', 'health'];
    const $ = (id) => document.getElementById(id);
    let token = sessionStorage.getItem(KEY);

    class AuthError extends Error {}

    // el builds an element; strings become text nodes, never markup.
    function el(tag, attrs, ...children) {
        const e = document.createElement(tag);
        for (const [k, v] of Object.entries(attrs || {})) {
            if (v === undefined || v === null || v === false)
                continue;
            if (k === 'class')
                e.className = v;
            else if (k.startsWith('on'))
                e.addEventListener(k.slice(2), v);
            else
                e.setAttribute(k, v === true ? '' : v);
        }
        for (const c of children.flat()) {
            if (c !== undefined && c !== null)
                e.append(c instanceof Node ? c : String(c));
        }
        return e;
    }

    function say(message, kind) {
        const s = $('status');
        s.textContent = message || '';
        s.className = kind || '';
    }

    async function api(method, path, body) {
        const headers = { Authorization: `Bearer ${token}` };
        const init = { method, headers, cache: 'no-store', credentials: 'omit' };
        if (body !== undefined) {
            headers['Content-Type'] = 'application/json';
            init.body = JSON.stringify(body);
        }
        const r = await fetch(path, init);
        if (r.status === 401) {
            logout('The admin token was not accepted. Log in again.');
            throw new AuthError('unauthorized');
        }
        const type = r.headers.get('Content-Type') || '';
        const data = type.includes('json') ? await r.json() : await r.text();
        if (!r.ok)
            throw new Error((data && (data.detail || data.title)) || `HTTP ${r.status}`);
        return data;
    }

    function failed(e) {
        if (!(e instanceof AuthError))
            say(e.message, 'error');
    }

    // Times come as RFC 3339 strings (devices) or seconds (certificates).
    function toDate(v) {
        if (v === null || v === undefined || v === '')
            return null;
        const d = typeof v === 'number' ? new Date(v * 1000) : new Date(v);
        return Number.isNaN(d.getTime()) ? null : d;
    }

    function when(v) {
        const d = toDate(v);
        if (!d)
            return '—';
        const days = Math.round((d.getTime() - Date.now()) / 86400000);
        const n = Math.abs(days) === 1 ? 'day' : 'days';
        const rel = days === 0 ? 'today' : days > 0 ? `in ${days} ${n}` : `${-days} ${n} ago`;
        return `${utc(d)} (${rel})`;
    }

    function utc(d) {
        return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    }

    // fingerprint groups "AB:CD:..." by eight bytes, so it wraps between groups.
    function fingerprint(fp) {
        const groups = fp.match(/.{1,24}/g) || [];
        return el('span', { class: 'fp mono' }, groups.map((g) => el('span', null, g)));
    }

    function badge(text) {
        return el('span', { class: `badge ${text}` }, text);
    }

    // table makes a table whose cells carry their column's name, for the
    // phone layout; rows are arrays of cells (a Node, a string or {mono}).
    function table(caption, columns, rows) {
        const head = el('tr', null, columns.map((c) => el('th', { scope: 'col' }, c)));
        const body = rows.map((cells) => el('tr', null, cells.map((c, i) => {
            const mono = c && typeof c === 'object' && !(c instanceof Node) && 'mono' in c;
            return el('td', { 'data-label': columns[i], class: mono ? 'mono' : undefined },
                mono ? c.mono : c);
        })));
        return el('table', null, el('caption', { class: 'sr-only' }, caption), el('thead', null, head),
            el('tbody', null, body));
    }

    function show(view) {
        for (const v of ['login', ...VIEWS])
            $(v).hidden = v !== view;
        $('nav').hidden = view === 'login';
        $('logout').hidden = view === 'login';
        for (const a of $('nav').querySelectorAll('a')) {
            if (a.getAttribute('href') === `#${view}`)
                a.setAttribute('aria-current', 'page');
            else
                a.removeAttribute('aria-current');
        }
        const title = $(view).querySelector('h1');
        if (title)
            title.focus({ preventScroll: true });
    }

    function logout(message) {
        token = null;
        sessionStorage.removeItem(KEY);
        $('token').value = '';
        show('login');
        say(message || '', message ? 'error' : '');
    }

    // --- devices ------------------------------------------------------------
    async function deviceAction(d, action) {
        const label = d.names.length ? d.names.join(', ') : d.requested_names.join(', ') || `#${d.id}`;
        try {
            if (action === 'approve') {
                await api('POST', `/api/v1/devices/${d.id}/approve`);
                say(`Device ${d.id} (${label}) approved: its certificate is issued.`, 'ok');
            } else {
                const question = action === 'refuse'
                    ? `Refuse the request of device ${d.id} (${label})?`
                    : `Revoke device ${d.id} (${label})? Its certificates are revoked and its names removed.`;
                if (!window.confirm(question))
                    return;
                const r = await api('DELETE', `/api/v1/devices/${d.id}`);
                say(action === 'refuse' ? `Device ${d.id}'s request refused.`
                    : `Device ${d.id} revoked (${r.revoked.length} certificate${r.revoked.length === 1 ? '' : 's'}).`, 'ok');
            }
            await loadDevices(true);
        } catch (e) {
            failed(e);
        }
    }

    function deviceActions(d) {
        const b = (text, action, cls) => el('button', {
            type: 'button', class: cls, 'data-action': action, 'data-id': d.id,
            'aria-label': `${text} device ${d.id}`, onclick: () => deviceAction(d, action),
        }, text);
        if (d.status === 'pending')
            return el('div', { class: 'actions' }, b('Approve', 'approve', 'go'), b('Refuse', 'refuse', 'danger'));
        if (d.status === 'active')
            return el('div', { class: 'actions' }, b('Revoke', 'revoke', 'danger'));
        return '—';
    }

    async function loadDevices(keepStatus) {
        const box = $('devices-list');
        try {
            const { devices } = await api('GET', '/api/v1/devices');
            const order = { pending: 0, active: 1, revoked: 2 };
            devices.sort((a, b) => order[a.status] - order[b.status] || a.id - b.id);
            box.replaceChildren(devices.length === 0
                ? el('p', { class: 'empty card' }, 'No devices yet. A device enrols by sending a CSR to /api/v1/enroll.')
                : table('Devices', ['Device', 'Friendly names', 'Hex name', 'Addresses', 'Certificate expires', 'Status', 'Actions'],
                    devices.map((d) => [
                        `#${d.id}`,
                        d.status === 'pending'
                            ? el('span', null, (d.requested_names || []).join(', '), el('span', { class: 'muted' }, ' (requested)'))
                            : d.names.filter((n) => n !== d.hex_name).join(', ') || '—',
                        { mono: d.hex_name || '—' },
                        { mono: (d.addresses || []).join(', ') || '—' },
                        when(d.not_after),
                        badge(d.status),
                        deviceActions(d),
                    ])));
            if (!keepStatus)
                say('');
        } catch (e) {
            failed(e);
        }
    }

    // --- certificates ---------------------------------------------------------
    async function revokeCert(c) {
        if (!window.confirm(`Revoke certificate ${c.serial} (${c.names.join(', ')})?`))
            return;
        try {
            await api('POST', `/api/v1/certificates/${c.serial}/revoke`);
            say(`Certificate ${c.serial} revoked.`, 'ok');
            await loadCertificates(true);
        } catch (e) {
            failed(e);
        }
    }

    function certState(c) {
        if (c.revoked)
            return 'revoked';
        const end = toDate(c.not_after);
        if (end && end.getTime() < Date.now())
            return 'expired';
        if (end && end.getTime() < Date.now() + 14 * 86400000)
            return 'expiring';
        return 'valid';
    }

    async function loadCertificates(keepStatus) {
        const box = $('certificates-list');
        try {
            const { certificates } = await api('GET', '/api/v1/certificates');
            certificates.sort((a, b) => a.not_before - b.not_before);
            box.replaceChildren(certificates.length === 0
                ? el('p', { class: 'empty card' }, 'No certificates yet.')
                : table('Certificates', ['Serial', 'Names', 'Expires', 'Device', 'Status', 'Actions'],
                    certificates.map((c) => [
                        { mono: c.serial },
                        c.names.join(', '),
                        when(c.not_after),
                        c.device_id === null ? 'gateway' : `#${c.device_id}`,
                        badge(certState(c)),
                        c.revoked ? '—' : el('button', {
                            type: 'button', class: 'danger', 'aria-label': `Revoke certificate ${c.serial}`,
                            onclick: () => revokeCert(c),
                        }, 'Revoke'),
                    ])));
            if (!keepStatus)
                say('');
        } catch (e) {
            failed(e);
        }
    }

    // --- enrolment tokens -----------------------------------------------------
    async function makeToken(ev) {
        ev.preventDefault();
        const names = $('token-names').value.split(/[\s,]+/).filter(Boolean);
        const out = $('token-result');
        if (names.length === 0)
            return;
        try {
            const t = await api('POST', '/api/v1/tokens', { names, expires_in: Number($('token-ttl').value) });
            const svg = await api('POST', '/api/v1/qr', { text: t.token });
            const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
            const copy = el('button', {
                type: 'button', class: 'quiet', onclick: async () => {
                    try {
                        await navigator.clipboard.writeText(t.token);
                        copy.textContent = 'Copied';
                    } catch (e) {
                        copy.textContent = 'Select the token to copy it';
                    }
                },
            }, 'Copy');
            out.replaceChildren(
                el('h2', null, 'Token made'),
                el('p', null, 'Copy it now: it is not shown again.'),
                el('p', { class: 'secret', id: 'token-value' }, t.token),
                el('div', { class: 'actions' }, copy),
                el('div', { class: 'qr', id: 'token-qr' }, document.importNode(doc.documentElement, true)),
                el('dl', { class: 'facts' },
                    el('dt', null, 'Names'), el('dd', null, t.names.join(', ')),
                    el('dt', null, 'Expires'), el('dd', null, when(t.expires))));
            out.hidden = false;
            out.focus();
            say('');
        } catch (e) {
            failed(e);
        }
    }

    // --- health ---------------------------------------------------------------
    async function loadHealth() {
        const box = $('health-view');
        try {
            const [health, ca, { devices }, { certificates }] = await Promise.all([
                api('GET', '/healthz'), api('GET', '/api/v1/ca'), api('GET', '/api/v1/devices'),
                api('GET', '/api/v1/certificates')]);
            const count = (list, f) => list.filter(f).length;
            const states = certificates.map(certState);
            box.replaceChildren(el('div', { class: 'card' }, el('dl', { class: 'facts' },
                el('dt', null, 'HTTPS listener'), el('dd', null, badge(health.status === 'ok' ? 'ok' : 'down')),
                el('dt', null, 'Zone'), el('dd', null, el('code', null, ca.zone)),
                el('dt', null, 'Root fingerprint (SHA-256)'), el('dd', null, fingerprint(ca.fingerprint_sha256)),
                el('dt', null, 'Devices'), el('dd', null,
                    `${count(devices, (d) => d.status === 'active')} active, `
                    + `${count(devices, (d) => d.status === 'pending')} pending, `
                    + `${count(devices, (d) => d.status === 'revoked')} revoked`),
                el('dt', null, 'Certificates'), el('dd', null,
                    `${count(states, (s) => s === 'valid')} valid, ${count(states, (s) => s === 'expiring')} expiring within 14 days, `
                    + `${count(states, (s) => s === 'expired')} expired, ${count(states, (s) => s === 'revoked')} revoked`),
                el('dt', null, 'Checked'), el('dd', null, utc(new Date())))));
            say('');
        } catch (e) {
            failed(e);
        }
    }

    const loaders = { devices: loadDevices, certificates: loadCertificates, tokens: async () => {}, health: loadHealth };

    function route() {
        if (!token) {
            show('login');
            return;
        }
        const view = VIEWS.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'devices';
        show(view);
        loaders[view]();
    }

    async function login(ev) {
        ev.preventDefault();
        token = $('token').value.trim();
        try {
            await api('GET', '/api/v1/devices');
        } catch (e) {
            failed(e);
            return;
        }
        sessionStorage.setItem(KEY, token);
        $('token').value = '';
        say('');
        const target = VIEWS.includes(location.hash.slice(1)) ? location.hash : '#devices';
        if (location.hash === target)
            route();
        else
            location.hash = target; // hashchange routes

    }

    document.addEventListener('DOMContentLoaded', () => {
        $('login-form').addEventListener('submit', login);
        $('token-form').addEventListener('submit', makeToken);
        $('logout').addEventListener('click', () => logout());
        for (const b of document.querySelectorAll('[data-reload]'))
            b.addEventListener('click', () => loaders[b.dataset.reload]());
        window.addEventListener('hashchange', route);
        route();
    });
})();
