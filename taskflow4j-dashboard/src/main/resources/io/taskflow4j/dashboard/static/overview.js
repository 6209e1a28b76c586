'use strict';
(() => {
  const {el, clear, stateClass, poll} = TF;
  const content = document.getElementById('content');

  function render(o) {
    clear(content);
    content.append(el('h1', null, 'Overview'));

    const cards = el('div', {class: 'cards', id: 'states'});
    cards.append(el('a', {class: 'card total', href: '/flows', 'data-state': 'ALL'},
        el('span', {class: 'num'}, String(o.flows)), el('span', {class: 'label'}, 'flows')));
    for (const [state, n] of Object.entries(o.flows_by_state)) {
      if (n === 0 && !['SUCCESS', 'FAILURE', 'RUNNING'].includes(state)) continue;
      cards.append(el('a', {class: 'card ' + stateClass(state),
        href: '/flows?state=' + encodeURIComponent(state), 'data-state': state},
      el('span', {class: 'num'}, String(n)), el('span', {class: 'label'}, state)));
    }
    content.append(cards);

    content.append(el('h2', null, 'Flows and failures per hour, last ' + o.hours.length + ' hours'),
        el('p', {class: 'hint'}, 'By the hour each flow was last written, in UTC.'));
    const max = Math.max(1, ...o.hours.map((h) => h.flows));
    const chart = el('div', {class: 'hours', id: 'hours'});
    for (const h of o.hours) {
      const bar = el('div', {class: 'hour', title: h.hour.slice(0, 13) + 'h: ' + h.flows +
          ' flow(s), ' + h.failures + ' failed'});
      const all = el('div', {class: 'bar runs'});
      all.style.height = (100 * h.flows / max) + '%';
      const bad = el('div', {class: 'bar fails'});
      bad.style.height = (100 * h.failures / max) + '%';
      bar.append(all, bad, el('span', {class: 'tick'}, h.hour.slice(11, 13)));
      chart.append(bar);
    }
    content.append(chart);

    content.append(el('h2', null, 'Most failing tasks'),
        el('p', {class: 'hint'}, 'In the latest ' + o.failing_sample + ' failed flows and the latest '
            + o.failing_sample + ' flows of any state; "retried" counts failures a retry overcame.'));
    if (o.failing_tasks.length === 0) {
      content.append(el('p', {class: 'empty'}, 'No failures in these flows.'));
    } else {
      const t = el('table', {class: 'grid', id: 'failing'},
          el('thead', null, el('tr', null, el('th', null, 'task'), el('th', null, 'failed'),
              el('th', null, 'retried'), el('th', null, 'latest exception'))));
      const tb = el('tbody');
      for (const f of o.failing_tasks) {
        tb.append(el('tr', null, el('td', null, f.name), el('td', {class: 'n'}, String(f.failed)),
            el('td', {class: 'n'}, String(f.retried)), el('td', null, f.exception || '')));
      }
      t.append(tb);
      content.append(t);
    }
  }

  poll(() => '/api/overview', render, 2000);
})();
