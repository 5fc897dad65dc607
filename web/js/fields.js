// Custom fields (自定义字段), conditional steps (条件节点) and CC (抄送) in the UI:
// the definitions editor (project settings, template editor), the value inputs
// (create dialog, task detail), how a value reads, and a step's condition + CC.
// The server checks everything again; these only help people get it right.
import { html, useState } from '../vendor/htm-preact-standalone.mjs';
import { t } from './i18n.js';
import { useUsers } from './people.js';
import { UserMultiPicker, UserSelect } from './tasks.js';
import { Icon } from './ui.js';

export const FIELD_TYPES = ['text', 'number', 'money', 'date', 'choice', 'user', 'link'];
export const CC_ON = ['reached', 'done', 'both'];

/** The definitions of a project or template: key, label, type, required, options. */
export function FieldDefsEditor({ defs, onChange, testid = 'field-defs' }) {
  const set = (i, patch) => onChange(defs.map((d, j) => (j === i ? { ...d, ...patch } : d)));
  const add = () => onChange([...defs, { key: '', label: '', type: 'text', required: false, options: [] }]);
  return html`<div class="field-defs" data-testid=${testid}>
    ${defs.length === 0 && html`<div class="muted small">${t('fields.none')}</div>`}
    ${defs.map(
      (d, i) => html`<div class="field-def-row" key=${i} data-testid="field-def">
        <label class="field"><span class="field-label">${t('fields.key')}</span>
          <input type="text" value=${d.key} onInput=${(e) => set(i, { key: e.target.value })} data-testid="field-def-key"
            placeholder="amount" autocapitalize="off" spellcheck=${false} /></label>
        <label class="field"><span class="field-label">${t('fields.label')}</span>
          <input type="text" value=${d.label} onInput=${(e) => set(i, { label: e.target.value })} data-testid="field-def-label" /></label>
        <label class="field"><span class="field-label">${t('fields.type')}</span>
          <select value=${d.type} onChange=${(e) => set(i, { type: e.target.value })} data-testid="field-def-type">
            ${FIELD_TYPES.map((k) => html`<option key=${k} value=${k}>${t(`fields.types.${k}`)}</option>`)}
          </select></label>
        ${d.type === 'choice' &&
        html`<label class="field"><span class="field-label">${t('fields.options')}</span>
          <input type="text" value=${(d.options || []).join(', ')} data-testid="field-def-options"
            onInput=${(e) => set(i, { options: e.target.value.split(/[,，]/).map((s) => s.trim()).filter(Boolean) })} /></label>`}
        <label class="check"><input type="checkbox" checked=${!!d.required} onChange=${(e) => set(i, { required: e.target.checked })}
          data-testid="field-def-required" /> ${t('fields.required')}</label>
        <button type="button" class="icon-btn icon-danger" aria-label=${t('fields.remove')}
          onClick=${() => onChange(defs.filter((_, j) => j !== i))} data-testid="field-def-remove"><${Icon} name="trash" /></button>
      </div>`,
    )}
    <button type="button" class="btn btn-sm" onClick=${add} data-testid="field-def-add"><${Icon} name="plus" /> ${t('fields.add')}</button>
  </div>`;
}

/** The definitions as the API takes them (options only for a choice). */
export function cleanDefs(defs) {
  return defs.map((d) => ({
    key: d.key.trim(),
    label: d.label.trim(),
    type: d.type,
    required: !!d.required,
    ...(d.type === 'choice' ? { options: d.options || [] } : {}),
  }));
}

/** One input per definition; `values` is { key: value } as the API keeps them. */
export function FieldInputs({ defs, values, onChange, memberIds, testid = 'field-inputs' }) {
  if (!defs || defs.length === 0) return '';
  const set = (k, v) => onChange({ ...values, [k]: v });
  const input = (d) => {
    const v = values[d.key];
    const common = { 'data-testid': `field-input-${d.key}`, 'aria-label': d.label };
    switch (d.type) {
      case 'choice':
        return html`<select value=${v ?? ''} onChange=${(e) => set(d.key, e.target.value)} ...${common}>
          <option value="">—</option>
          ${(d.options || []).map((o) => html`<option key=${o} value=${o}>${o}</option>`)}
        </select>`;
      case 'user':
        return html`<${UserSelect} ids=${memberIds} value=${v ?? null} onChange=${(u) => set(d.key, u)} testid=${`field-input-${d.key}`} />`;
      case 'date':
        return html`<input type="date" value=${v ?? ''} onInput=${(e) => set(d.key, e.target.value)} ...${common} />`;
      case 'number':
        return html`<input type="number" step="any" inputmode="decimal" value=${v ?? ''}
          onInput=${(e) => set(d.key, e.target.value === '' ? '' : Number(e.target.value))} ...${common} />`;
      case 'money':
        return html`<input type="text" inputmode="decimal" value=${v ?? ''} placeholder="0.00"
          onInput=${(e) => set(d.key, e.target.value)} ...${common} />`;
      case 'link':
        return html`<input type="url" value=${v ?? ''} onInput=${(e) => set(d.key, e.target.value)} ...${common} />`;
      default:
        return html`<input type="text" value=${v ?? ''} onInput=${(e) => set(d.key, e.target.value)} ...${common} />`;
    }
  };
  return html`<div class="form-grid field-inputs" data-testid=${testid}>
    ${defs.map(
      (d) => html`<div class="field" key=${d.key}>
        <span class="field-label">${d.label}${d.required ? ' *' : ''}</span>
        ${input(d)}
      </div>`,
    )}
  </div>`;
}

/** How a stored value reads (a user by name, a link as a link). */
export function FieldValue({ def, value }) {
  const { name } = useUsers();
  if (value === undefined || value === null || value === '') return html`<span class="muted">—</span>`;
  if (def && def.type === 'user') return html`<span>${name(value)}</span>`;
  // the server keeps only http(s) links; the check here is for values kept before
  if (def && def.type === 'link' && /^https?:/i.test(String(value)))
    return html`<a href=${String(value)} target="_blank" rel="noopener noreferrer">${String(value)}</a>`;
  return html`<span>${String(value)}</span>`;
}

/** Values to send: empty inputs dropped (the server clears them). */
export function cleanValues(values) {
  const out = {};
  for (const [k, v] of Object.entries(values || {})) if (v !== '' && v !== null && v !== undefined) out[k] = v;
  return out;
}

/** A step's condition and CC recipients, folded away until asked for. */
export function StepRuleEditor({ node, onChange, memberIds }) {
  const has = !!(node.condition || (node.cc && node.cc.length));
  const [open, setOpen] = useState(has);
  if (!open)
    return html`<button type="button" class="btn btn-sm btn-ghost step-rule-open" onClick=${() => setOpen(true)}
      data-testid="node-rule-open">${t('fields.ruleOpen')}</button>`;
  return html`<div class="step-rule" data-testid="node-rule">
    <label class="field">
      <span class="field-label">${t('fields.condition')}</span>
      <input type="text" value=${node.condition || ''} placeholder=${'cents(fields.amount) > cents("20000")'}
        onInput=${(e) => onChange({ condition: e.target.value })} data-testid="node-condition" spellcheck=${false} autocapitalize="off" />
      <span class="field-hint">${t('fields.conditionHint')}</span>
    </label>
    <div class="field">
      <span class="field-label">${t('fields.cc')}</span>
      <${UserMultiPicker} ids=${memberIds} value=${node.cc || []} onChange=${(cc) => onChange({ cc })} testid="node-cc" />
    </div>
    <label class="field">
      <span class="field-label">${t('fields.ccOn')}</span>
      <select value=${node.cc_on || 'reached'} onChange=${(e) => onChange({ cc_on: e.target.value })} data-testid="node-cc-on">
        ${CC_ON.map((k) => html`<option key=${k} value=${k}>${t(`fields.ccOnValues.${k}`)}</option>`)}
      </select>
    </label>
  </div>`;
}

/** A node's condition and CC as the API takes them (nothing when unset). */
export function ruleOf(n) {
  const out = {};
  if (n.condition && n.condition.trim()) out.condition = n.condition.trim();
  if (n.cc && n.cc.length) {
    out.cc = n.cc;
    out.cc_on = n.cc_on || 'reached';
  }
  return out;
}
