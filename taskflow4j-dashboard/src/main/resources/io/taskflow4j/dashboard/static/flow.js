'use strict';
(() => {
  const {el, clear, badge, stateClass, poll, time, duration, params} = TF;
  const content = document.getElementById('content');
  const uuid = params().get('uuid');
  let selected = params().get('atom');
  let last = null;

  if (!uuid) {
    TF.showError(new Error('no flow given: open a flow from the flows page (/flow?uuid=UUID)'));
    return;
  }

  const head = el('div', {id: 'flow-head'});
  const timeline = el('div', {class: 'timeline', id: 'timeline'});
  const detail = el('div', {class: 'atom-detail', id: 'atom-detail'});
  content.append(head, el('h2', null, 'Timeline'), timeline, detail);
  // one listener for every row: a flow of 10,000 atoms would otherwise add 10,000 at each render
  timeline.addEventListener('click', (e) => {
    const row = e.target.closest('.row[data-uuid]');
    if (row) select(row.getAttribute('data-uuid'));
  });

  function ms(iso) {
    const t = iso ? Date.parse(iso) : NaN;
    return isNaN(t) ? null : t;
  }

  function renderHead(f) {
    const start = ms(f.created_at);
    const end = f.finished ? ms(f.updated_at) : Date.now();
    const counts = Object.entries(f.atom_states).map(([s, n]) => n + ' ' + s).join(', ');
    clear(head).append(
        el('h1', null, el('span', {id: 'flow-name'}, f.flow_name), ' ', badge(f.state)),
        el('dl', {class: 'facts'},
            el('dt', null, 'flow'), el('dd', {class: 'uuid'}, f.flow_uuid),
            el('dt', null, 'created'), el('dd', null, time(f.created_at)),
            el('dt', null, 'updated'), el('dd', null, time(f.updated_at)),
            el('dt', null, 'duration'), el('dd', null,
                start && end ? duration(end - start) + (f.finished ? '' : ' so far') : '—'),
            el('dt', null, 'atoms'), el('dd', {id: 'atom-counts'}, f.atoms.length + ' (' + counts + ')')));
  }

  /** Each atom as a row, its bars placed by their recorded start and end times. */
  function renderTimeline(f) {
    const now = Date.now();
    let t0 = Infinity;
    let t1 = -Infinity;
    const rows = f.atoms.map((a) => {
      const segs = [];
      for (const e of a.earlier_attempts) {
        const s = ms(e.started_at);
        const en = ms(e.ended_at);
        if (s !== null) segs.push({start: s, end: en === null ? s : en, state: 'FAILURE',
          label: 'attempt ' + e.attempt + ' (' + e.retry + '): ' +
              (e.failure ? e.failure.type + ': ' + e.failure.message : 'failed'), earlier: true});
      }
      const s = ms(a.started_at);
      if (s !== null) {
        let en = ms(a.ended_at);
        if (en === null) en = a.state === 'RUNNING' ? now : s;
        segs.push({start: s, end: en, state: a.state, label: a.state +
            (a.attempt ? ', attempt ' + a.attempt : '') +
            (a.duration !== null ? ', ' + duration(a.duration * 1000) : ''), earlier: false});
      }
      for (const g of segs) {
        t0 = Math.min(t0, g.start);
        t1 = Math.max(t1, g.end);
      }
      return {a, segs, first: segs.length ? Math.min(...segs.map((g) => g.start)) : Infinity};
    });
    rows.sort((x, y) => x.first - y.first);
    clear(timeline);
    if (rows.length === 0) {
      timeline.append(el('p', {class: 'empty'}, 'The flow has no atoms yet.'));
      return;
    }
    const frag = document.createDocumentFragment();
    if (isFinite(t0)) {
      const span = Math.max(1, t1 - t0);
      const axis = el('div', {class: 'axis'}, el('div', {class: 'label'}, ''));
      const ticks = el('div', {class: 'track'});
      for (let i = 0; i <= 4; i++) {
        const tick = el('span', {class: 'tick'}, '+' + duration(span * i / 4));
        tick.style.left = (25 * i) + '%';
        ticks.append(tick);
      }
      axis.append(ticks);
      frag.append(axis);
    } else {
      // A store whose atoms carry no start and end times (TaskFlow records none): still every
      // atom, in flow order, each one's state and details a click away.
      frag.append(el('p', {class: 'empty', id: 'untimed'},
          'No start or end times are recorded for these atoms (TaskFlow records none): they are' +
          ' listed in flow order, without bars.'));
    }
    const span = Math.max(1, t1 - t0);
    for (const {a, segs} of rows) {
      const row = el('div', {class: 'row' + (a.uuid === selected ? ' selected' : ''),
        'data-atom': a.name, 'data-uuid': a.uuid, 'data-state': a.state,
        'data-attempts': String(segs.length)});
      const label = el('div', {class: 'label', title: a.name},
          el('span', {class: 'kind'}, a.type === 'retry' ? '↻' : '▸'), a.name);
      const track = el('div', {class: 'track'});
      for (const g of segs) {
        const bar = el('div', {class: 'seg ' + stateClass(g.state) + (g.earlier ? ' earlier' : ''),
          title: a.name + ': ' + g.label, 'data-seg-state': g.state});
        bar.style.left = (100 * (g.start - t0) / span) + '%';
        bar.style.width = Math.max(0.2, 100 * (g.end - g.start) / span) + '%';
        track.append(bar);
      }
      if (segs.length === 0) track.append(el('span', {class: 'not-run'}, a.state.toLowerCase()));
      row.append(label, track);
      frag.append(row);
    }
    timeline.append(frag);
    timeline.dataset.rendered = String(rows.length);
  }

  function select(atomUuid) {
    selected = atomUuid;
    for (const r of timeline.querySelectorAll('.row.selected')) r.classList.remove('selected');
    const row = timeline.querySelector('.row[data-uuid="' + CSS.escape(atomUuid) + '"]');
    if (row) row.classList.add('selected');
    const q = new URLSearchParams({uuid, atom: atomUuid});
    history.replaceState(null, '', '/flow?' + q);
    renderDetail();
  }

  function failureBlock(title, f, id) {
    if (!f) return null;
    return el('div', {class: 'failure', id},
        el('h4', null, title),
        el('div', {class: 'exc-types'}, f.types.join(' ← ')),
        el('div', {class: 'exc-message'}, f.message || ''),
        f.traceback ? el('details', {class: 'traceback'}, el('summary', null, 'Traceback'),
            el('pre', null, f.traceback)) : null,
        (f.causes || []).map((c, i) => failureBlock('Caused by', c, null)));
  }

  function resultBlock(title, r, a, cls) {
    if (!r) return null;
    const pre = el('pre', {class: 'result ' + (cls || '')}, r.text + (r.truncated ? ' …' : ''));
    const box = el('div', {class: 'result-box'}, el('h4', null, title), pre);
    if (r.truncated) {
      box.append(el('button', {class: 'more', onclick: async (e) => {
        e.target.disabled = true;
        try {
          const {data} = await TF.getJson(a.raw);
          pre.textContent = JSON.stringify(data.atom.results, null, 2);
          e.target.remove();
        } catch (err) {
          TF.showError(err);
          e.target.disabled = false;
        }
      }}, 'Show all ' + r.length + ' characters'));
    }
    return box;
  }

  function renderDetail() {
    clear(detail);
    if (!last || !selected) {
      detail.append(el('p', {class: 'hint'}, 'Click an atom of the timeline to see its result, failure and retries.'));
      return;
    }
    const a = last.atoms.find((x) => x.uuid === selected);
    if (!a) return;
    detail.append(...[
      el('h3', null, el('span', {class: 'atom-name'}, a.name), ' ', badge(a.state),
            ' ', el('a', {href: a.raw, class: 'raw', target: '_blank', rel: 'noopener'}, 'raw JSON')),
        el('dl', {class: 'facts'},
            el('dt', null, 'type'), el('dd', null, a.type),
            el('dt', null, 'intention'), el('dd', null, a.intention),
            el('dt', null, 'started'), el('dd', null, time(a.started_at)),
            el('dt', null, 'ended'), el('dd', null, time(a.ended_at)),
            el('dt', null, 'duration'), el('dd', null, a.duration === null ? '—' : duration(a.duration * 1000)),
            el('dt', null, 'attempt'), el('dd', null, a.attempt === null ? '—' : String(a.attempt)),
            el('dt', null, 'host'), el('dd', null, a.host || '—'),
            el('dt', null, 'uuid'), el('dd', {class: 'uuid'}, a.uuid)),
        resultBlock('Result', a.result, a),
        failureBlock('Failure', a.failure, 'atom-failure'),
        resultBlock('Revert result', a.revert_result, a),
        failureBlock('Revert failure', a.revert_failure, 'atom-revert-failure'),
    ].filter((x) => x !== null));
    if (a.earlier_attempts.length) {
      const list = el('div', {class: 'attempts', id: 'earlier-attempts'},
          el('h4', null, 'Earlier attempts (retried by ' + a.earlier_attempts[0].retry + ')'));
      for (const e of a.earlier_attempts) {
        list.append(el('div', {class: 'attempt'},
            el('div', null, 'Attempt ' + e.attempt + ': ', badge(e.state), ' ',
                time(e.started_at) + ' → ' + time(e.ended_at)),
            failureBlock('Failure of attempt ' + e.attempt, e.failure, null)));
      }
      detail.append(list);
    }
    if (a.history) {
      const t = el('table', {class: 'grid', id: 'retry-history'}, el('thead', null, el('tr', null,
          el('th', null, 'attempt'), el('th', null, 'value'), el('th', null, 'started'),
          el('th', null, 'ended'), el('th', null, 'failures'))));
      const tb = el('tbody');
      for (const h of a.history) {
        tb.append(el('tr', null, el('td', {class: 'n'}, String(h.attempt)),
            el('td', null, h.value ? h.value.text : ''), el('td', null, time(h.started_at)),
            el('td', null, time(h.ended_at)),
            el('td', null, h.failures.length === 0 ? 'none' :
                h.failures.map((x) => x.atom + ': ' + x.type + ': ' + x.message).join('; '))));
      }
      t.append(tb);
      detail.append(el('h4', null, 'Retry history'), t);
    }
  }

  function render(f) {
    last = f;
    document.title = f.flow_name + ' · taskflow4j';
    renderHead(f);
    renderTimeline(f);
    renderDetail();
  }

  poll(() => '/api/flows/' + encodeURIComponent(uuid), render, 1500, (f) => !f.finished);
})();
