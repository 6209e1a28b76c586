'use strict';
(() => {
  const {el, clear, badge, poll, time, flowLink, session, action, actionButton} = TF;
  let sess = null;
  let poller = null;

  /** The trash button of a job nobody holds (a claimed job is its owner's to finish). */
  function trashButton(j) {
    if (j.state !== 'UNCLAIMED') return null;
    return actionButton(sess, 'trash', 'Trash', async () => {
      const done = await action('/api/jobs/' + encodeURIComponent(j.uuid) + '/trash', {},
          'Move the job ' + j.name + ' (' + j.uuid + ') to the trash? No conductor will run it.');
      if (done && poller) poller.now();
    });
  }
  const content = document.getElementById('content');

  // Relative times ("in 12 s", "expired 3 s ago", "4 s ago") on the browser's clock, kept current
  // between polls: an unchanged board answers 304 and is not rendered again.
  function span(seconds) {
    const s = Math.round(Math.abs(seconds));
    if (s < 90) return s + ' s';
    if (s < 90 * 60) return Math.round(s / 60) + ' min';
    return Math.round(s / 3600) + ' h';
  }

  function relText(iso, kind) {
    const d = (Date.parse(iso) - Date.now()) / 1000;
    if (kind === 'lease') return d >= 0 ? 'in ' + span(d) : 'expired ' + span(d) + ' ago';
    return d > 0 ? 'in ' + span(d) : span(d) + ' ago';
  }

  function rel(iso, kind) {
    if (!iso) return '—';
    return el('span', {class: 'rel', 'data-at': iso, 'data-kind': kind, title: time(iso)}, relText(iso, kind));
  }

  setInterval(() => {
    for (const e of content.querySelectorAll('span.rel')) {
      e.textContent = relText(e.getAttribute('data-at'), e.getAttribute('data-kind'));
    }
  }, 1000);

  function render(b) {
    clear(content).append(el('h1', null, 'Jobs'));
    if (!b.board) {
      content.append(el('p', {class: 'empty', id: 'no-board'},
          'No jobboard is shown: start the dashboard with --board URI (or give the Dashboard a jobboard).'));
      return;
    }
    content.append(el('p', {class: 'hint'}, 'Board ', el('code', null, b.board),
        ' · lease ' + b.lease_seconds + ' s, renewed by the owner every third of it · ' +
        Object.entries(b.jobs_by_state).filter(([, n]) => n > 0).map(([s, n]) => n + ' ' + s)
            .join(', ') + (b.trashed ? ' · ' + b.trashed + ' in the trash' : '') +
        (b.jobs_total > b.jobs.length ? ' · the first ' + b.jobs.length + ' shown' : '')));
    const t = el('table', {class: 'grid', id: 'jobs'}, el('thead', null, el('tr', null,
        el('th', null, '#'), el('th', null, 'job'), el('th', null, 'state'), el('th', null, 'priority'),
        el('th', null, 'owner'), el('th', null, 'lease'), el('th', null, 'fencing token'),
        el('th', null, 'failures'),
        el('th', null, 'flow'), el('th', null, 'posted'))));
    const tb = el('tbody');
    b.jobs.forEach((j, i) => {
      tb.append(el('tr', {'data-job': j.uuid, 'data-state': j.state},
          el('td', {class: 'n'}, String(i + 1)),
          el('td', null, j.name, el('div', {class: 'uuid'}, j.uuid)),
          el('td', null, badge(j.state), trashButton(j)),
          el('td', null, j.priority),
          el('td', {class: 'owner'}, j.owner || '—'),
          el('td', {class: 'lease'}, rel(j.lease_until, 'lease')),
          el('td', {class: 'n'}, String(j.token)),
          el('td', {class: 'n' + (j.failures ? ' bad' : '')}, String(j.failures)),
          el('td', null, j.flow_uuid ? flowLink(j.flow_uuid, j.book_name || j.flow_uuid) : '—'),
          el('td', {class: 'time'}, time(j.created_on))));
    });
    if (b.jobs.length === 0) tb.append(el('tr', null, el('td', {colspan: 10, class: 'empty'}, 'The board is empty.')));
    t.append(tb);
    content.append(t);
    if (b.jobs_total > b.jobs.length) {
      content.append(el('p', {class: 'hint', id: 'jobs-more'}, 'The first ' + b.jobs.length + ' of ' +
          b.jobs_total + ' jobs, in claiming order (the order conductors take them in).'));
    }
    content.append(el('h2', null, 'Conductors'));
    const c = el('table', {class: 'grid', id: 'conductors'}, el('thead', null, el('tr', null,
        el('th', null, 'conductor'), el('th', null, 'host'), el('th', null, 'pid'),
        el('th', null, 'registered'), el('th', null, 'last heartbeat'), el('th', null, 'details'))));
    const cb = el('tbody');
    for (const x of b.conductors) {
      cb.append(el('tr', {'data-conductor': x.id}, el('td', null, x.name, el('div', {class: 'uuid'}, x.id)),
          el('td', null, x.host || ''), el('td', {class: 'n'}, String(x.pid)),
          el('td', {class: 'time'}, time(x.since)),
          el('td', {class: 'heartbeat'}, rel(x.last_seen, 'ago')),
          el('td', null, Object.entries(x.meta).map(([k, v]) => k + '=' + JSON.stringify(v)).join(', '))));
    }
    if (b.conductors.length === 0) cb.append(el('tr', null, el('td', {colspan: 6, class: 'empty'}, 'No conductor is registered.')));
    c.append(cb);
    content.append(c, el('p', {class: 'hint'}, 'A conductor is listed while its registration is alive (renewed by its heartbeat). ' +
        'A lease or heartbeat shown as — is one the board keeps no time of (a file lock, a ZooKeeper session, a registration in memory).'));
  }

  session().then((s) => {
    sess = s;
    poller = poll(() => '/api/jobs', render, 2000);
  });
})();
