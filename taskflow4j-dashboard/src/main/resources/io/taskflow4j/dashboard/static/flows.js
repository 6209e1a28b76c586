'use strict';
(() => {
  const {el, clear, badge, poll, time, duration, params, flowLink, session, action, actionButton} = TF;
  const FINISHED = ['SUCCESS', 'REVERTED', 'FAILURE'];
  let sess = null;
  const content = document.getElementById('content');
  const STATES = ['PENDING', 'RUNNING', 'SUCCESS', 'FAILURE', 'REVERTING', 'REVERTED', 'RESUMING',
    'SUSPENDING', 'SUSPENDED'];

  const p = params();
  const filter = {
    state: p.get('state') || '',
    name: p.get('name') || '',
    since: p.get('since') || '',
    before: p.get('before') || '',
    limit: p.get('limit') || '50',
  };
  const cursors = [];
  let after = p.get('after') || '';
  let poller = null;

  function query() {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
    if (after) q.set('after', after);
    return q;
  }

  const form = el('form', {class: 'filters', id: 'filters'});
  const stateSel = el('select', {name: 'state', id: 'f-state'}, el('option', {value: ''}, 'any state'));
  for (const s of STATES) stateSel.append(el('option', {value: s}, s));
  stateSel.value = filter.state;
  const nameIn = el('input', {name: 'name', id: 'f-name', placeholder: 'name starts with', value: filter.name});
  const sinceIn = el('input', {name: 'since', id: 'f-since', placeholder: 'since (24h, 7d, ISO time)',
    value: filter.since});
  const beforeIn = el('input', {name: 'before', id: 'f-before', placeholder: 'before (ISO time, 1h)',
    value: filter.before});
  const limitSel = el('select', {name: 'limit', id: 'f-limit'});
  for (const n of ['20', '50', '100', '500']) limitSel.append(el('option', {value: n}, n + ' a page'));
  limitSel.value = filter.limit;
  form.append(el('label', null, 'State ', stateSel), el('label', null, 'Name ', nameIn),
      el('label', null, 'Updated ', sinceIn), el('label', null, 'Before ', beforeIn), limitSel,
      el('button', {type: 'submit', id: 'f-apply'}, 'Filter'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    filter.state = stateSel.value;
    filter.name = nameIn.value.trim();
    filter.since = sinceIn.value.trim();
    filter.before = beforeIn.value.trim();
    filter.limit = limitSel.value;
    after = '';
    cursors.length = 0;
    restart();
  });

  const table = el('table', {class: 'grid', id: 'flows'});
  const pager = el('div', {class: 'pager'});
  content.append(el('h1', null, 'Flows'), form, table, pager);

  function render(page) {
    clear(table).append(el('thead', null, el('tr', null, el('th', null, 'updated'),
        el('th', null, 'state'), el('th', null, 'flow'), el('th', null, 'logbook'),
        el('th', null, 'duration'), el('th', null, 'atoms'),
        sess && sess.actions ? el('th', null, 'actions') : null)));
    const tb = el('tbody');
    for (const f of page.flows) {
      const states = Object.entries(f.atom_states).map(([s, n]) => n + ' ' + s).join(', ');
      tb.append(el('tr', {'data-flow': f.flow_uuid},
          el('td', {class: 'time'}, time(f.updated_at)),
          el('td', null, badge(f.state)),
          el('td', null, flowLink(f.flow_uuid, f.flow_name), el('div', {class: 'uuid'}, f.flow_uuid)),
          el('td', null, f.book_name || '', el('div', {class: 'uuid'}, f.book_uuid)),
          el('td', {class: 'n'}, duration(f.duration_ms)),
          el('td', null, String(f.atoms), states ? el('div', {class: 'sub'}, states) : null),
          sess && sess.actions ? el('td', {class: 'actions'}, actionsOf(f)) : null));
    }
    table.append(tb);
    if (page.flows.length === 0) {
      tb.append(el('tr', null, el('td', {colspan: 6, class: 'empty'}, 'No flow matches.')));
    }
    clear(pager);
    if (cursors.length > 0) {
      pager.append(el('button', {id: 'newer', onclick: () => {
        after = cursors.pop();
        restart();
      }}, '← Newer'));
    }
    if (page.next) {
      pager.append(el('button', {id: 'older', onclick: () => {
        cursors.push(after);
        after = page.next;
        restart();
      }}, 'Older →'));
    }
  }

  /** Resume for an unfinished flow (with a board), delete for a finished one. */
  function actionsOf(f) {
    if (FINISHED.includes(f.state)) {
      return actionButton(sess, 'delete', 'Delete', async () => {
        const done = await action('/api/flows/' + encodeURIComponent(f.flow_uuid) + '/delete',
            {revision: f.revision}, 'Delete the finished flow ' + f.flow_name + ' (' + f.flow_uuid +
            ') and its atoms from the store? This cannot be undone.');
        if (done && poller) poller.now();
      });
    }
    if (!sess.board) return null;
    return actionButton(sess, 'resume', 'Resume', async () => {
      const done = await action('/api/flows/' + encodeURIComponent(f.flow_uuid) + '/resume',
          {book_uuid: f.book_uuid}, 'Post a job so that a conductor resumes the flow ' +
          f.flow_name + ' (' + f.flow_uuid + ')?');
      if (done && poller) poller.now();
    });
  }

  function restart() {
    const q = query();
    history.replaceState(null, '', '/flows' + (q.toString() ? '?' + q : ''));
    if (poller) poller.stop();
    // the first page follows the store live; later pages stay as they were read
    poller = poll(() => '/api/flows?' + query(), render, 2000, () => !after);
  }
  session().then((s) => {
    sess = s;
    restart();
  });
})();
