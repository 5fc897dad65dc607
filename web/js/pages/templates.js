// Admin: workflow templates — reusable node chains that prefill new tasks.
// The two built-ins ("simple", "empty workflow") are read-only.
import { html, useState } from '../../vendor/htm-preact-standalone.mjs';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { useUsers } from '../people.js';
import { NodesEditor, keyed, kindFields, nodeMissing } from '../tasks.js';
import { FieldDefsEditor, cleanDefs, ruleOf } from '../fields.js';
import { templateLabel } from './tasks.js';
import { Confirm, Empty, ErrorText, Field, Icon, Loading, Modal, PageHeader, toast, useLoader } from '../ui.js';

function TemplateDialog({ tpl, onClose, onSaved, reloadOne }) {
  const [cur, setCur] = useState(tpl);
  const [name, setName] = useState(tpl ? tpl.name : '');
  const [nodes, setNodes] = useState(() =>
    tpl && tpl.nodes.length ? tpl.nodes.map((n) => keyed({ ...n })) : [keyed({ handler_id: null, action: '', due_in_hours: null })],
  );
  const [defs, setDefs] = useState(() => (tpl && tpl.fields ? tpl.fields.map((d) => ({ ...d })) : []));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    if (!name.trim()) return setError(new Error(t('templates.nameMissing')));
    if (nodes.length === 0) return setError(new Error(t('tasks.nodesMissing')));
    if (nodes.some((n) => n.due_in_hours != null && !(n.due_in_hours > 0))) return setError(new Error(t('templates.hoursInvalid')));
    const missing = nodes.map((n, i) => nodeMissing(n, i, false)).find(Boolean);
    if (missing) return setError(new Error(missing));
    setBusy(true);
    setError(null);
    const body = {
      name: name.trim(),
      nodes: nodes.map((n) => ({
        handler_id: (n.kind || 'single') === 'single' ? n.handler_id ?? null : null,
        action: (n.action || '').trim(),
        due_in_hours: n.due_in_hours ?? null,
        ...kindFields(n),
        ...ruleOf(n),
      })),
      fields: cleanDefs(defs),
    };
    try {
      const saved = cur ? await api.updateTemplate(cur.id, { ...body, rev: cur.rev }) : await api.createTemplate(body);
      toast.ok(cur ? t('common.saved') : t('templates.created', { name: saved.name }));
      onSaved(saved);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  const reload = async () => {
    const fresh = await reloadOne(cur.id);
    if (fresh) {
      setCur(fresh);
      setName(fresh.name);
      setNodes(fresh.nodes.map((n) => keyed({ ...n })));
      setDefs((fresh.fields || []).map((d) => ({ ...d })));
      setError(null);
    }
  };
  return html`<${Modal} title=${cur ? t('templates.editTitle') : t('templates.create')} onClose=${onClose} testid="template-dialog" wide>
    <form class="form" onSubmit=${submit} data-testid="template-form">
      <${Field} label=${t('templates.name')}>
        <input type="text" value=${name} onInput=${(e) => setName(e.target.value)} data-testid="template-name" />
      <//>
      <div class="field">
        <span class="field-label">${t('tasks.nodes')}</span>
        <${NodesEditor} nodes=${nodes} onChange=${setNodes} mode="template" testid="template-nodes" />
        <span class="field-hint">${t('templates.nodesHint')}</span>
      </div>
      <div class="field">
        <span class="field-label">${t('fields.title')}</span>
        <${FieldDefsEditor} defs=${defs} onChange=${setDefs} testid="template-fields" />
        <span class="field-hint">${t('fields.templateHint')}</span>
      </div>
      <${ErrorText} error=${error} onReload=${cur ? reload : undefined} testid="template-error" />
      <div class="form-actions">
        <button type="button" class="btn" onClick=${onClose}>${t('common.cancel')}</button>
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="template-submit">${cur ? t('common.save') : t('common.create')}</button>
      </div>
    </form>
  <//>`;
}

export function TemplatesPage() {
  const { name } = useUsers();
  const list = useLoader(() => api.templates().then((r) => r.items || []), []);
  const [dialog, setDialog] = useState(null); // { tpl } | { create: true }
  const [deleting, setDeleting] = useState(null);
  if (list.loading && !list.data) return html`<${Loading} />`;
  if (list.error && !list.data) return html`<div class="page"><${ErrorText} error=${list.error} /></div>`;
  const items = list.data;
  const saved = (tpl) => {
    const rest = items.filter((x) => x.id !== tpl.id);
    const at = items.findIndex((x) => x.id === tpl.id);
    list.setData(at >= 0 ? items.map((x) => (x.id === tpl.id ? tpl : x)) : [...rest, tpl]);
    setDialog(null);
  };
  const reloadOne = async (id) => {
    const fresh = await list.reload();
    return fresh ? fresh.find((x) => x.id === id) || null : null;
  };
  const chain = (tpl) =>
    tpl.nodes.length === 0
      ? html`<span class="muted">${t('templates.noNodes')}</span>`
      : html`<ol class="chain">
          ${tpl.nodes.map(
            (n, i) => html`<li key=${i}>
              <span class="strong">${n.handler_id != null ? name(n.handler_id) : t('templates.anyHandler')}</span>
              ${n.action && html` <span class="muted">${n.action}</span>`}
              ${n.due_in_hours != null && html` <span class="badge badge-soft">${t('templates.hours', { n: n.due_in_hours })}</span>`}
              ${n.condition && html` <span class="badge badge-muted" title=${n.condition} data-testid="template-node-condition">${t('fields.conditional')}</span>`}
              ${n.cc && n.cc.length > 0 && html` <span class="badge badge-soft">${t('fields.ccShort')} ${n.cc.map(name).join(', ')}</span>`}
            </li>`,
          )}
        </ol>`;
  return html`<div class="page" data-testid="templates-page">
    <${PageHeader} title=${t('templates.title')} subtitle=${t('templates.subtitle')}>
      <button type="button" class="btn btn-primary" onClick=${() => setDialog({ create: true })} data-testid="template-create-open">
        <${Icon} name="plus" /> ${t('templates.create')}</button>
    <//>
    ${items.length === 0
      ? html`<${Empty}>${t('templates.empty')}<//>`
      : html`<div class="table-wrap">
          <table class="table responsive" data-testid="templates-table">
            <thead><tr><th>${t('templates.name')}</th><th>${t('tasks.nodes')}</th><th class="actions-col">${t('common.actions')}</th></tr></thead>
            <tbody>
              ${items.map(
                (tpl) => html`<tr key=${tpl.id} data-testid="template-row" data-name=${tpl.name} data-builtin=${tpl.builtin || ''}>
                  <td data-label=${t('templates.name')}>
                    <span class="strong">${templateLabel(tpl)}</span>
                    ${tpl.builtin && html` <span class="badge badge-muted">${t('templates.builtin')}</span>`}
                  </td>
                  <td data-label=${t('tasks.nodes')}>${chain(tpl)}</td>
                  <td class="actions-col">
                    ${tpl.builtin
                      ? html`<span class="muted small">${t('templates.readOnly')}</span>`
                      : html`<div class="row-actions">
                          <button type="button" class="btn btn-sm" onClick=${() => setDialog({ tpl })} data-testid="template-edit">${t('common.edit')}</button>
                          <button type="button" class="btn btn-sm btn-danger-ghost" onClick=${() => setDeleting(tpl)} data-testid="template-delete">
                            ${t('common.delete')}</button>
                        </div>`}
                  </td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`}
    ${dialog &&
    html`<${TemplateDialog} tpl=${dialog.tpl || null} onClose=${() => setDialog(null)} onSaved=${saved} reloadOne=${reloadOne} />`}
    ${deleting &&
    html`<${Confirm} title=${t('templates.deleteTitle')} message=${t('templates.deleteConfirm', { name: deleting.name })}
      confirmLabel=${t('common.delete')} danger onClose=${() => setDeleting(null)}
      onConfirm=${async () => {
        await api.deleteTemplate(deleting.id);
        list.setData(items.filter((x) => x.id !== deleting.id));
        toast.ok(t('templates.deleted'));
      }} />`}
  </div>`;
}
