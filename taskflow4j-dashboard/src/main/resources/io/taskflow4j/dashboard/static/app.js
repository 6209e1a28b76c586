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

  return {el, clear, badge, stateClass, getJson, poll, showError, time, duration, params, flowLink,
    ApiError};
})();
