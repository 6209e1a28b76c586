'use strict';
// Shared helpers of the dashboard's pages. Every value read from the store is put in the page as
// text (textContent, text nodes, attribute values), never parsed as HTML.
const TF = (() => {
  /** An element with attributes and children; strings become text nodes. */
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === 'class') e.className = v;
        else if (k === 'text') e.textContent = String(v);
        else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, String(v));
      }
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  /** A CSS class name safe to derive from a state name. */
  function stateClass(state) {
    return 'state-' + String(state || 'none').toLowerCase().replace(/[^a-z_]/g, '');
  }

  function badge(state) {
    return el('span', {class: 'state ' + stateClass(state)}, state || '—');
  }

  class ApiError extends Error {
    constructor(message, status) {
      super(message);
      this.status = status;
    }
  }

  const etags = new Map();
  const bodies = new Map();

  /** GETs a JSON document, sending the ETag of the copy held: {data, changed}. */
  async function getJson(url) {
    const headers = {Accept: 'application/json'};
    const tag = etags.get(url);
    if (tag) headers['If-None-Match'] = tag;
    let r;
    try {
      r = await fetch(url, {headers, cache: 'no-store', credentials: 'same-origin'});
    } catch (e) {
      throw new ApiError('the dashboard cannot be reached (' + e.message + ')', 0);
    }
    if (r.status === 304 && bodies.has(url)) return {data: bodies.get(url), changed: false};
    let data;
    try {
      data = await r.json();
    } catch (e) {
      throw new ApiError('the dashboard answered ' + r.status + ' without JSON', r.status);
    }
    if (!r.ok) throw new ApiError(data && data.error ? data.error : 'HTTP ' + r.status, r.status);
    const et = r.headers.get('ETag');
    if (et) {
      etags.set(url, et);
      bodies.set(url, data);
    }
    return {data, changed: true};
  }

  function showError(e) {
    const box = document.getElementById('error');
    if (!e) {
      box.hidden = true;
      clear(box);
      return;
    }
    clear(box).append(el('strong', null, 'Error: '), String(e.message || e));
    box.hidden = false;
  }

  let updates = 0;
  function markLive(ok, text) {
    const live = document.getElementById('live');
    live.textContent = text;
    live.className = 'live ' + (ok ? 'ok' : 'down');
    if (ok) {
      updates++;
      live.dataset.updates = String(updates);
    }
  }

  /**
   * Reads url() every `ms` milliseconds and calls render(data) when it changed (the server says
   * 304 otherwise); stops once keepGoing(data) is false.
   */
  function poll(url, render, ms, keepGoing) {
    let timer = null;
    let stopped = false;
    async function tick() {
      let data = null;
      try {
        const r = await getJson(url());
        data = r.data;
        if (r.changed) render(data);
        showError(null);
        markLive(true, 'updated ' + new Date().toLocaleTimeString());
      } catch (e) {
        showError(e);
        markLive(false, e.status === 0 ? 'offline' : 'error');
      }
      if (!stopped && (!keepGoing || data === null || keepGoing(data))) {
        timer = setTimeout(tick, ms);
      } else if (!stopped) {
        markLive(true, 'finished');
      }
    }
    tick();
    return {
      stop() {
        stopped = true;
        if (timer) clearTimeout(timer);
      },
      now() {
        if (timer) clearTimeout(timer);
        tick();
      },
    };
  }

  function time(iso) {
    if (!iso) return '—';
    return String(iso).replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }

  function duration(ms) {
    if (ms === null || ms === undefined || isNaN(ms)) return '—';
    if (ms < 1000) return Math.round(ms) + ' ms';
    const s = ms / 1000;
    if (s < 60) return s.toFixed(s < 10 ? 2 : 1) + ' s';
    const m = Math.floor(s / 60);
    if (m < 60) return m + ' min ' + Math.round(s - m * 60) + ' s';
    const h = Math.floor(m / 60);
    return h + ' h ' + (m - h * 60) + ' min';
  }

  function params() {
    return new URLSearchParams(window.location.search);
  }

  function flowLink(uuid, text) {
    return el('a', {href: '/flow?uuid=' + encodeURIComponent(uuid)}, text);
  }

  async function header() {
    const page = document.body.dataset.page;
    for (const a of document.querySelectorAll('nav a')) {
      if (a.dataset.nav === page || (page === 'flow' && a.dataset.nav === 'flows')) {
        a.classList.add('active');
      }
    }
    try {
      const {data} = await getJson('/api/info');
      document.getElementById('store').textContent = data.store || '';
    } catch (e) {
      showError(e);
    }
  }

  document.addEventListener('DOMContentLoaded', header);

  let sessionPromise = null;
  /** Whether actions are allowed, and the CSRF token they echo: read once per page. */
  function session() {
    if (!sessionPromise) {
      sessionPromise = fetch('/api/session', {cache: 'no-store', credentials: 'same-origin'})
          .then((r) => (r.ok ? r.json() : {actions: false}))
          .catch(() => ({actions: false}));
    }
    return sessionPromise;
  }

  /** Shows what an action did (or why it was refused), as text. */
  function notice(text, ok) {
    let box = document.getElementById('notice');
    if (!box) {
      box = el('div', {id: 'notice', role: 'status'});
      document.getElementById('main').prepend(box);
    }
    box.className = 'notice ' + (ok ? 'ok' : 'bad');
    box.textContent = text;
  }

  /**
   * POSTs an action after the person confirmed it; shows its outcome and resolves to its answer
   * (null when not confirmed or refused).
   */
  async function action(url, body, question) {
    if (!window.confirm(question)) return null;
    const s = await session();
    let r;
    try {
      r = await fetch(url, {method: 'POST', credentials: 'same-origin', cache: 'no-store',
        headers: {'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token || ''},
        body: JSON.stringify(body || {})});
    } catch (e) {
      notice('The dashboard cannot be reached (' + e.message + ')', false);
      return null;
    }
    let data = null;
    try {
      data = await r.json();
    } catch (e) {
      data = null;
    }
    if (!r.ok) {
      notice('Refused: ' + (data && data.error ? data.error : 'HTTP ' + r.status), false);
      return null;
    }
    notice(data.message, true);
    return data;
  }

  /** A button running an action, or null when the dashboard allows none. */
  function actionButton(s, id, label, onclick) {
    if (!s || !s.actions) return null;
    return el('button', {type: 'button', class: 'action', 'data-action': id, onclick}, label);
  }

  return {el, clear, badge, stateClass, getJson, poll, showError, time, duration, params, flowLink,
    ApiError, session, action, actionButton};
})();
