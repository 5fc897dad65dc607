// The scenario page's history and test cases: the saved versions (author, time,
// comment), a line diff between any two (added and removed lines marked by sign and by
// a word for screen readers, not by colour alone), roll back with a confirm; the
// stored test cases (run, delete), the list of cases that refused a save with "save
// anyway", and "keep as a test case" for a dry-run result.
import { html, useEffect, useState } from '../../vendor/htm-preact-standalone.mjs';
import { apiRequest } from '../api.js';
import { fmtTime, t } from '../i18n.js';
import { Confirm, Empty, ErrorText, Icon, Loading, Modal, toast } from '../ui.js';

const enc = encodeURIComponent;

export const historyApi = {
  versions: (id, before) =>
    apiRequest('GET', `/api/scenarios/${enc(id)}/versions?limit=20${before ? `&before=${enc(before)}` : ''}`),
  diff: (id, from, to) => apiRequest('GET', `/api/scenarios/${enc(id)}/diff?from=${enc(from)}&to=${enc(to)}`),
  rollback: (id, version) => apiRequest('POST', `/api/scenarios/${enc(id)}/versions/${enc(version)}/rollback`, {}),
  cases: (id) => apiRequest('GET', `/api/scenarios/${enc(id)}/cases`),
  addCase: (id, body) => apiRequest('POST', `/api/scenarios/${enc(id)}/cases`, body),
  removeCase: (id, caseId) => apiRequest('DELETE', `/api/scenarios/${enc(id)}/cases/${enc(caseId)}`),
  runCases: (id, source) => apiRequest('POST', `/api/scenarios/${enc(id)}/cases/run`, { source }),
};

// ---------------------------------------------------------------- diff

const SIGN = { added: '+', removed: '−', same: ' ' };

export function DiffView({ diff }) {
  if (!diff.hunks.length) return html`<p class="small muted" data-testid="diff-same">${t('versions.same')}</p>`;
  return html`<div class="diff" data-testid="diff">
    <p class="small" data-testid="diff-summary">${t('versions.diffSummary', { from: diff.from, to: diff.to, added: diff.added, removed: diff.removed })}</p>
    ${diff.hunks.map(
      (h, i) => html`<table class="diff-hunk mono" key=${i}>
        <tbody>
          ${h.lines.map(
            (l, j) => html`<tr key=${j} class=${`diff-line diff-${l.kind}`} data-testid=${`diff-${l.kind}`}>
              <td class="diff-no" aria-hidden="true">${l.old_line || ''}</td>
              <td class="diff-no" aria-hidden="true">${l.new_line || ''}</td>
              <td class="diff-sign" aria-hidden="true">${SIGN[l.kind]}</td>
              <td class="diff-text">${l.kind !== 'same' && html`<span class="sr-only">${t(`versions.${l.kind}`)}: </span>`}${l.text}</td>
            </tr>`,
          )}
        </tbody>
      </table>`,
    )}
  </div>`;
}

// ---------------------------------------------------------------- versions

/** A scenario's versions; `sc.version` changes after a save, which reloads the list. */
export function VersionsPanel({ sc, onRolledBack }) {
  const [items, setItems] = useState(null);
  const [next, setNext] = useState(null);
  const [error, setError] = useState(null);
  const [pair, setPair] = useState(null); // { from, to }
  const [diff, setDiff] = useState(null);
  const [rollingBack, setRollingBack] = useState(null);
  // `?version=N` (a task's "why" link): that version against the current one
  const [linked] = useState(() => Number(new URLSearchParams(window.location.search).get('version')) || null);
  useEffect(() => {
    let live = true;
    historyApi
      .versions(sc.id)
      .then((page) => {
        if (!live) return;
        setItems(page.items);
        setNext(page.next_before);
        const [a, b] = page.items;
        if (linked && linked !== sc.version && page.items.some((v) => v.version === linked))
          setPair({ from: linked, to: a.version });
        else setPair(b ? { from: b.version, to: a.version } : null);
      })
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [sc.id, sc.version]);
  useEffect(() => {
    if (!pair) return setDiff(null);
    let live = true;
    historyApi
      .diff(sc.id, pair.from, pair.to)
      .then((d) => live && setDiff(d))
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [sc.id, pair && pair.from, pair && pair.to]);
  const more = async () => {
    try {
      const page = await historyApi.versions(sc.id, next);
      setItems([...items, ...page.items]);
      setNext(page.next_before);
    } catch (e) {
      setError(e);
    }
  };
  const numbers = (items || []).map((v) => v.version);
  const pick = (key) => html`<select value=${pair ? pair[key] : ''} data-testid=${`diff-${key}`}
      aria-label=${t(`versions.${key}`)} onChange=${(e) => setPair({ ...pair, [key]: Number(e.target.value) })}>
      ${numbers.map((n) => html`<option key=${n} value=${n}>v${n}</option>`)}
    </select>`;
  return html`<section class="card" data-testid="versions-panel">
    <h2 class="card-title">${t('versions.title')}</h2>
    <${ErrorText} error=${error} />
    ${!items
      ? html`<${Loading} />`
      : html`<div class="table-wrap" tabindex="0" role="region" aria-label=${t('versions.title')}><table class="table" data-testid="versions-table">
          <thead><tr><th>${t('versions.version')}</th><th>${t('versions.author')}</th><th>${t('versions.time')}</th><th>${t('versions.comment')}</th><th><span class="sr-only">${t('common.actions')}</span></th></tr></thead>
          <tbody>
            ${items.map(
              (v) => html`<tr key=${v.version} data-testid="version-row" data-version=${v.version}
                class=${v.version === linked ? 'version-picked' : ''} aria-current=${v.version === linked ? 'true' : undefined}>
                <td data-label=${t('versions.version')}><span class="badge badge-soft">v${v.version}</span>${v.version === sc.version && html` <span class="small muted">${t('versions.current')}</span>`}</td>
                <td data-label=${t('versions.author')}>${v.author}</td>
                <td data-label=${t('versions.time')}>${fmtTime(v.saved_at)}</td>
                <td data-label=${t('versions.comment')} data-testid="version-comment">${v.comment}</td>
                <td>${v.version !== sc.version &&
                html`<button type="button" class="btn btn-sm" onClick=${() => setRollingBack(v.version)} data-testid="version-rollback">
                  ${t('versions.rollback')}</button>`}</td>
              </tr>`,
            )}
          </tbody>
        </table></div>
        ${next && html`<button type="button" class="btn btn-sm" onClick=${more} data-testid="versions-more">${t('versions.more')}</button>`}
        ${pair &&
        html`<div class="diff-pick">
          <label class="field-inline">${t('versions.from')} ${pick('from')}</label>
          <label class="field-inline">${t('versions.to')} ${pick('to')}</label>
        </div>`}
        ${diff && html`<${DiffView} diff=${diff} />`}`}
    ${rollingBack != null &&
    html`<${Confirm} title=${t('versions.rollbackTitle', { version: rollingBack })} message=${t('versions.rollbackConfirm', { version: rollingBack })}
      confirmLabel=${t('versions.rollback')} onClose=${() => setRollingBack(null)}
      onConfirm=${async () => {
        const saved = await historyApi.rollback(sc.id, rollingBack);
        toast.ok(t('versions.rolledBack', { version: rollingBack, now: saved.version }));
        onRolledBack(saved);
      }} />`}
  </section>`;
}

// ---------------------------------------------------------------- cases

function ResultRows({ results }) {
  return html`<ul class="case-results" data-testid="case-results">
    ${results.map(
      (r) => html`<li key=${r.name} class=${r.passed ? 'case-pass' : 'case-fail'} data-testid=${r.passed ? 'case-pass' : 'case-fail'}>
        <strong>${r.passed ? t('cases.pass') : t('cases.fail')}</strong> ${r.name}
        ${!r.passed && html`<div class="small">${t('cases.expectedGot', { expected: r.expected, got: r.got })}</div>`}
      </li>`,
    )}
  </ul>`;
}

/** The cases that refused a save, with "save anyway". */
export function CasesFailed({ failing, onSaveAnyway, onClose }) {
  return html`<div class="alert alert-error" role="alert" data-testid="cases-failed">
    <div class="alert-title">${t('cases.refused', { n: failing.length })}</div>
    <${ResultRows} results=${failing} />
    <div class="form-actions form-actions-start">
      <button type="button" class="btn btn-sm btn-danger-ghost" onClick=${onSaveAnyway} data-testid="save-anyway">${t('cases.saveAnyway')}</button>
      <button type="button" class="btn btn-sm" onClick=${onClose}>${t('common.cancel')}</button>
    </div>
  </div>`;
}

function expectText(e) {
  const parts = [e.fires ? t('cases.fires') : t('cases.quiet')];
  if (e.title != null) parts.push(`“${e.title}”`);
  if (e.handlers) parts.push(e.handlers.join(' → '));
  return parts.join(' · ');
}

/** A scenario's stored cases; `reload` changes when one was added elsewhere. */
export function CasesPanel({ sc, source, reload }) {
  const [items, setItems] = useState(null);
  const [error, setError] = useState(null);
  const [run, setRun] = useState(null);
  const [busy, setBusy] = useState(false);
  const load = () =>
    historyApi
      .cases(sc.id)
      .then((r) => setItems(r.items))
      .catch(setError);
  useEffect(() => {
    load();
  }, [sc.id, reload]);
  const runAll = async () => {
    setBusy(true);
    try {
      setRun(await historyApi.runCases(sc.id, source));
    } catch (e) {
      setError(e);
    }
    setBusy(false);
  };
  const remove = async (c) => {
    try {
      await historyApi.removeCase(sc.id, c.id);
      setItems(items.filter((x) => x.id !== c.id));
    } catch (e) {
      toast.error(e);
    }
  };
  return html`<section class="card" data-testid="cases-panel">
    <h2 class="card-title">${t('cases.title')}</h2>
    <p class="small muted">${t('cases.hint')}</p>
    <${ErrorText} error=${error} />
    ${!items
      ? html`<${Loading} />`
      : items.length === 0
        ? html`<${Empty}>${t('cases.none')}<//>`
        : html`<ul class="case-list">
            ${items.map(
              (c) => html`<li key=${c.id} data-testid="case-row">
                <span class="strong">${c.case.name}</span> <span class="small muted">${expectText(c.case.expect)}</span>
                <button type="button" class="btn btn-sm btn-danger-ghost" aria-label=${t('cases.delete', { name: c.case.name })}
                  onClick=${() => remove(c)} data-testid="case-delete"><${Icon} name="trash" /></button>
              </li>`,
            )}
          </ul>
          <div class="form-actions form-actions-start">
            <button type="button" class="btn btn-sm" disabled=${busy} onClick=${runAll} data-testid="cases-run">
              <${Icon} name="play" /> ${t('cases.run')}</button>
          </div>`}
    ${run && html`<p class="small" data-testid="cases-summary">${t('cases.summary', { passed: run.passed, failed: run.failed })}</p><${ResultRows} results=${run.results} />`}
  </section>`;
}

/** "Keep as a test case" under a dry-run result: the record and what happened to it. */
export function KeepAsCase({ scId, request, res, onKept }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [error, setError] = useState(null);
  if (res.error) return null;
  if (scId == null) return html`<p class="small muted" data-testid="keep-case-unsaved">${t('cases.saveFirst')}</p>`;
  const recId = request.id || (request.record && request.record.id) || '';
  const start = () => {
    setName(`${recId} ${res.matches ? t('cases.fires') : t('cases.quiet')}`.trim());
    setError(null);
    setOpen(true);
  };
  const keep = async (e) => {
    e.preventDefault();
    const expect = { fires: !!(res.matches && res.task) };
    if (expect.fires) {
      expect.title = res.task.title;
      expect.handlers = res.task.nodes.map((n) => n.handler);
      if (res.task.due_in_days != null) expect.due_in_days = res.task.due_in_days;
    }
    const body = { name: name.trim(), expect };
    for (const k of ['record', 'previous', 'kind', 'id']) if (request[k] != null) body[k] = request[k];
    try {
      await historyApi.addCase(scId, body);
      toast.ok(t('cases.kept', { name: body.name }));
      setOpen(false);
      onKept();
    } catch (err) {
      setError(err);
    }
  };
  return html`<div class="form-actions form-actions-start">
    <button type="button" class="btn btn-sm" onClick=${start} data-testid="keep-case">${t('cases.keep')}</button>
    ${open &&
    html`<${Modal} title=${t('cases.keep')} onClose=${() => setOpen(false)} testid="keep-case-dialog">
      <form class="form" onSubmit=${keep}>
        <label class="field"><span class="field-label">${t('cases.name')}</span>
          <input type="text" value=${name} maxlength="120" required onInput=${(e) => setName(e.target.value)} data-testid="keep-case-name" /></label>
        <p class="small muted">${t('cases.keepHint', { outcome: expectText({ fires: !!res.matches, title: res.task && res.task.title }) })}</p>
        <${ErrorText} error=${error} />
        <div class="form-actions">
          <button type="button" class="btn" onClick=${() => setOpen(false)}>${t('common.cancel')}</button>
          <button type="submit" class="btn btn-primary" data-testid="keep-case-ok">${t('common.save')}</button>
        </div>
      </form>
    <//>`}
  </div>`;
}
