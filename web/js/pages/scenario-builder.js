// The scenario builder: a form in the original product's sections (record kind,
// conditions, task settings, workflow, watchers/editors, escalation, on finish,
// auto-close) that writes the rhai script. The server renders the script (so the
// form and the saved script never disagree) and lists problems per field; the script
// is shown live beside the form. Everything typed lives in this component's state, so
// a re-render of the page around it never resets a box.
import { html, useEffect, useRef, useState } from '../../vendor/htm-preact-standalone.mjs';
import { api, apiRequest } from '../api.js';
import { has, t } from '../i18n.js';
import { Icon } from '../ui.js';

const enc = encodeURIComponent;

export const builderApi = {
  render: (form) => apiRequest('POST', '/api/scenarios/builder/render', form),
  parse: (source) => apiRequest('POST', '/api/scenarios/builder/parse', { source }),
  fields: (kind) => apiRequest('GET', `/api/scenarios/builder/fields${kind ? `?kind=${enc(kind)}` : ''}`),
};

export const OPS = [
  'equals', 'not_equals', 'greater', 'less', 'money_above', 'money_below', 'contains',
  'is_empty', 'not_empty', 'one_of', 'older_than_days', 'older_than_hours', 'changed_to', 'changed_from',
];
const NO_VALUE = ['is_empty', 'not_empty'];
const WHO = ['user', 'department_admin', 'role', 'field'];
const ROLES = ['company_admin', 'department_admin', 'member'];
const PRIORITIES = ['', 'low', 'normal', 'high', 'urgent'];

const admins = () => ({ by: 'role', value: 'company_admin' });
const dept = (d) => ({ by: 'department_admin', value: d });

export function blankForm(id) {
  return {
    id, name: '', kind: 'order', any: false, conditions: [{ field: 'status', op: 'equals', value: '', number: false }],
    title: '', description: '', business_type: '', priority: 'normal', due_in_days: '1',
    nodes: [{ handler: { by: 'user', value: '' }, action: '', due_in_days: '' }],
    watchers: [], editors: [], escalation: [], on_finish: [], auto_close: false,
  };
}

const cond = (field, op, value) => ({ field, op, value, number: false });

/** The shipped scenarios (rules/*.rhai) as forms, where a form can say them. */
export const TEMPLATES = [
  {
    key: 'po_over_5000',
    form: (id) => ({
      ...blankForm(id), name: '采购单金额大于5000 Purchase order above 5000', kind: 'purchase_order',
      conditions: [cond('status', 'not_equals', 'cancelled'), cond('amount', 'money_above', '5000')],
      title: '审批采购单 ${r.id} Approve PO ${r.id}: ${r.amount} from ${r.supplier}', business_type: 'purchase_order',
      nodes: [
        { handler: dept('采购部'), action: '核对价格和数量 Check price and quantity', due_in_days: '' },
        { handler: dept('财务部'), action: '审批付款 Approve the payment', due_in_days: '' },
      ],
      watchers: [admins()], on_finish: [dept('采购部')],
    }),
  },
  {
    key: 'order_out_of_stock',
    form: (id) => ({
      ...blankForm(id), name: '订单缺货超过3天 Order out of stock for more than 3 days', kind: 'order',
      conditions: [cond('status', 'equals', 'out_of_stock'), cond('out_of_stock_since', 'older_than_days', '3')],
      title: '订单 ${r.id} 缺货 Order ${r.id} out of stock (SKU ${r.sku})', business_type: 'order', priority: 'high', due_in_days: '2',
      nodes: [
        { handler: dept('采购部'), action: '补货，或提出替代品 Restock, or propose a substitute', due_in_days: '' },
        { handler: dept('客服部'), action: '告知客户新日期或退款 Tell the customer the new date or refund', due_in_days: '' },
      ],
      watchers: [admins()], editors: [dept('采购部')],
      escalation: [{ after_hours: '24', from_created: false, notify: [admins()] }],
      on_finish: [dept('客服部')], auto_close: true,
    }),
  },
  {
    key: 'order_paid_not_shipped',
    form: (id) => ({
      ...blankForm(id), name: '订单付款48小时未发货 Order paid but not shipped within 48 h', kind: 'order',
      conditions: [cond('status', 'equals', 'paid'), cond('shipped_at', 'is_empty', ''), cond('paid_at', 'older_than_hours', '48')],
      title: '订单 ${r.id} 付款超过48小时未发货 Order ${r.id} paid over 48 h ago and not shipped', business_type: 'order', priority: 'high',
      nodes: [{ handler: dept('仓库'), action: '拣货、打包并发货，或说明原因 Pick, pack and ship, or say why not', due_in_days: '' }],
      watchers: [dept('客服部')],
      escalation: [{ after_hours: '12', from_created: true, notify: [admins()] }], auto_close: true,
    }),
  },
  {
    key: 'shipment_tracking_stale',
    form: (id) => ({
      ...blankForm(id), name: '物流轨迹5天未更新 Shipment tracking not updated for 5 days', kind: 'shipment',
      conditions: [cond('status', 'not_equals', 'delivered'), cond('tracking_updated_at', 'older_than_days', '5')],
      title: '物流 ${r.id}（${r.carrier}）5天无轨迹更新 Shipment ${r.id} (${r.carrier}) has no tracking update for 5 days',
      business_type: 'shipment', due_in_days: '2',
      nodes: [{ handler: dept('客服部'), action: '联系承运商并告知客户 Ask the carrier, tell the customer', due_in_days: '' }],
      auto_close: true,
    }),
  },
  { key: 'blank', form: (id) => blankForm(id) },
];

/** "New scenario": start from a shipped scenario, a blank form, or code. */
export function TemplatePicker({ onPick, onCode }) {
  return html`<section class="card" data-testid="builder-templates">
    <h2 class="card-title">${t('builder.startFrom')}</h2>
    <div class="builder-templates">
      ${TEMPLATES.map((tp) => html`<button key=${tp.key} type="button" class="btn builder-template" data-testid="builder-template" data-key=${tp.key}
        onClick=${() => onPick(tp)}>${t(`builder.template.${tp.key}`)}</button>`)}
      <button type="button" class="btn btn-ghost builder-template" onClick=${onCode} data-testid="builder-template-code">
        <${Icon} name="edit" /> ${t('builder.template.code')}</button>
    </div>
  </section>`;
}

// ---------------------------------------------------------------- small parts

/** The problems at `path`, in the reader's language. */
function Problems({ errors, path }) {
  const mine = errors.filter((e) => e.path === path);
  if (!mine.length) return null;
  return html`${mine.map((e, i) => html`<span key=${i} class="field-error text-danger small" role="alert" data-testid="builder-error" data-path=${path}>
    ${has(`builder.err.${e.code}`) ? t(`builder.err.${e.code}`) : e.message}</span>`)}`;
}

function Text({ value, onInput, testid, label, list, placeholder, mono, inputmode }) {
  return html`<input type="text" class=${mono ? 'mono' : ''} value=${value} aria-label=${label} list=${list} placeholder=${placeholder}
    inputmode=${inputmode} autocapitalize="none" spellcheck="false" data-testid=${testid} onInput=${(e) => onInput(e.target.value)} />`;
}

/** Who: by user, department admin, role or a record field, and the name. */
function WhoInput({ who, onChange, testid, fieldList }) {
  return html`<span class="builder-who">
    <select value=${who.by} aria-label=${t('builder.whoBy')} data-testid=${`${testid}-by`}
      onChange=${(e) => onChange({ by: e.target.value, value: e.target.value === 'role' ? 'company_admin' : '' })}>
      ${WHO.map((w) => html`<option key=${w} value=${w}>${t(`builder.who.${w}`)}</option>`)}
    </select>
    ${who.by === 'role'
      ? html`<select value=${who.value} aria-label=${t('builder.who.role')} data-testid=${`${testid}-value`}
          onChange=${(e) => onChange({ ...who, value: e.target.value })}>
          ${ROLES.map((r) => html`<option key=${r} value=${r}>${t(`roles.${r}`)}</option>`)}
        </select>`
      : html`<${Text} value=${who.value} label=${t(`builder.who.${who.by}`)} testid=${`${testid}-value`}
          list=${{ field: fieldList, user: 'builder-users', department_admin: 'builder-depts' }[who.by]} placeholder=${t(`builder.whoHint.${who.by}`)}
          onInput=${(v) => onChange({ ...who, value: v })} />`}
  </span>`;
}

function PeopleInput({ list, onChange, errors, path, fieldList }) {
  return html`<div class="builder-people" data-testid=${`builder-${path}`}>
    ${list.map((w, i) => html`<div key=${i} class="builder-row">
      <${WhoInput} who=${w} fieldList=${fieldList} testid=${`builder-${path}-${i}`}
        onChange=${(nw) => onChange(list.map((x, j) => (j === i ? nw : x)))} />
      <button type="button" class="btn btn-sm btn-ghost" aria-label=${t('common.remove')} onClick=${() => onChange(list.filter((_, j) => j !== i))}>
        <${Icon} name="close" /></button>
      <${Problems} errors=${errors} path=${`${path}[${i}]`} />
    </div>`)}
    <button type="button" class="btn btn-sm" data-testid=${`builder-${path}-add`}
      onClick=${() => onChange([...list, { by: 'role', value: 'company_admin' }])}><${Icon} name="plus" /> ${t('builder.addPerson')}</button>
  </div>`;
}

function Section({ title, children, testid }) {
  return html`<section class="card builder-section" data-testid=${testid}><h2 class="card-title">${title}</h2>${children}</section>`;
}

// ---------------------------------------------------------------- the form

/**
 * The builder. `initial` is the form to start with; `onChange({script, errors})` is
 * called after each debounced render by the server.
 */
export function ScenarioBuilder({ initial, onChange }) {
  const [form, setForm] = useState(initial);
  const [out, setOut] = useState({ script: '', errors: [] });
  const [kinds, setKinds] = useState([]);
  const [fields, setFields] = useState([]);
  const [names, setNames] = useState({ users: [], depts: [] });
  const seq = useRef(0);
  const set = (patch) => setForm((f) => ({ ...f, ...patch }));

  useEffect(() => {
    const n = ++seq.current;
    const h = setTimeout(async () => {
      try {
        const r = await builderApi.render(form);
        if (n !== seq.current) return;
        setOut(r);
        onChange(r);
      } catch (e) {
        if (n === seq.current) setOut({ script: '', errors: [{ path: '', code: 'request', message: e.message }] });
      }
    }, 250);
    return () => clearTimeout(h);
  }, [form]);

  // usernames and departments to pick handlers from (suggestions only)
  useEffect(() => {
    Promise.all([api.users().catch(() => ({ items: [] })), api.departments().catch(() => ({ items: [] }))]).then(([u, d]) =>
      setNames({ users: (u.items || []).map((x) => x.username), depts: (d.items || []).map((x) => x.name) }),
    );
  }, []);

  useEffect(() => {
    const h = setTimeout(() => {
      builderApi.fields(form.kind.trim()).then((r) => {
        setKinds(r.kinds || []);
        setFields(r.fields || []);
      }, () => {});
    }, 300);
    return () => clearTimeout(h);
  }, [form.kind]);

  const errors = out.errors || [];
  const fieldList = 'builder-fields';
  const typeOf = (name) => {
    const f = fields.find((x) => x.name === name);
    return f ? f.types.join(', ') : '';
  };
  const setCond = (i, patch) => set({ conditions: form.conditions.map((c, j) => (j === i ? { ...c, ...patch } : c)) });
  const setNode = (i, patch) => set({ nodes: form.nodes.map((c, j) => (j === i ? { ...c, ...patch } : c)) });
  const setEsc = (i, patch) => set({ escalation: form.escalation.map((c, j) => (j === i ? { ...c, ...patch } : c)) });

  return html`<div class="builder-layout" data-testid="scenario-builder">
    <div class="builder-form">
      <datalist id=${fieldList}>${fields.map((f) => html`<option key=${f.name} value=${f.name}>${f.types.join(', ')}</option>`)}</datalist>
      <datalist id="builder-users">${names.users.map((n) => html`<option key=${n} value=${n} />`)}</datalist>
      <datalist id="builder-depts">${names.depts.map((n) => html`<option key=${n} value=${n} />`)}</datalist>
      <datalist id="builder-kinds">${kinds.map((k) => html`<option key=${k} value=${k} />`)}</datalist>
      <${Section} title=${t('builder.sec.scenario')} testid="builder-sec-scenario">
        <div class="form-grid builder-grid">
          <label class="field"><span class="field-label">${t('builder.name')}</span>
            <${Text} value=${form.name} label=${t('builder.name')} testid="builder-name" onInput=${(v) => set({ name: v })} />
            <${Problems} errors=${errors} path="name" /></label>
          <label class="field"><span class="field-label">${t('builder.id')}</span>
            <${Text} mono value=${form.id} label=${t('builder.id')} testid="builder-id" onInput=${(v) => set({ id: v })} />
            <${Problems} errors=${errors} path="id" /></label>
          <label class="field"><span class="field-label">${t('builder.kind')}</span>
            <${Text} mono value=${form.kind} label=${t('builder.kind')} list="builder-kinds" testid="builder-kind" onInput=${(v) => set({ kind: v })} />
            <span class="field-hint">${t('builder.kindHint')}</span>
            <${Problems} errors=${errors} path="kind" /></label>
        </div>
      <//>
      <${Section} title=${t('builder.sec.conditions')} testid="builder-sec-conditions">
        <div class="seg-group" role="radiogroup" aria-label=${t('builder.sec.conditions')}>
          <label class=${`seg-radio ${form.any ? '' : 'on'}`}><input type="radio" name="builder-any" checked=${!form.any}
            onChange=${() => set({ any: false })} data-testid="builder-all" />${t('builder.all')}</label>
          <label class=${`seg-radio ${form.any ? 'on' : ''}`}><input type="radio" name="builder-any" checked=${form.any}
            onChange=${() => set({ any: true })} data-testid="builder-any" />${t('builder.any')}</label>
        </div>
        ${form.conditions.map((c, i) => html`<div key=${i} class="builder-cond" data-testid="builder-cond">
          <div class="builder-row">
            <${Text} mono value=${c.field} label=${t('builder.field')} list=${fieldList} placeholder=${t('builder.field')}
              testid="builder-cond-field" onInput=${(v) => setCond(i, typeOf(v) === 'number' ? { field: v, number: true } : { field: v })} />
            <select value=${c.op} aria-label=${t('builder.op')} data-testid="builder-cond-op" onChange=${(e) => setCond(i, { op: e.target.value })}>
              ${OPS.map((o) => html`<option key=${o} value=${o}>${t(`builder.ops.${o}`)}</option>`)}
            </select>
            ${!NO_VALUE.includes(c.op) && html`<${Text} value=${c.value} label=${t('builder.value')} placeholder=${t(`builder.valueHint.${c.op}`)}
              testid="builder-cond-value" onInput=${(v) => setCond(i, { value: v })} />`}
            ${['equals', 'not_equals', 'one_of', 'changed_to', 'changed_from'].includes(c.op) &&
            html`<label class="check small"><input type="checkbox" checked=${c.number} data-testid="builder-cond-number"
              onChange=${(e) => setCond(i, { number: e.target.checked })} /> ${t('builder.asNumber')}</label>`}
            <button type="button" class="btn btn-sm btn-ghost" aria-label=${t('common.remove')} data-testid="builder-cond-remove"
              onClick=${() => set({ conditions: form.conditions.filter((_, j) => j !== i) })}><${Icon} name="close" /></button>
          </div>
          ${typeOf(c.field) && html`<span class="field-hint">${t('builder.seenTypes', { types: typeOf(c.field) })}</span>`}
          <${Problems} errors=${errors} path=${`conditions[${i}].field`} />
          <${Problems} errors=${errors} path=${`conditions[${i}].value`} />
        </div>`)}
        ${form.conditions.length === 0 && html`<p class="small muted">${t('builder.noConditions')}</p>`}
        <button type="button" class="btn btn-sm" data-testid="builder-cond-add"
          onClick=${() => set({ conditions: [...form.conditions, cond('', 'equals', '')] })}><${Icon} name="plus" /> ${t('builder.addCondition')}</button>
      <//>
      <${Section} title=${t('builder.sec.task')} testid="builder-sec-task">
        <div class="form">
          <label class="field"><span class="field-label">${t('builder.title')}</span>
            <${Text} value=${form.title} label=${t('builder.title')} testid="builder-title" onInput=${(v) => set({ title: v })} />
            <${Problems} errors=${errors} path="title" /></label>
          <label class="field builder-insert"><span class="field-hint">${t('builder.insertField')}</span>
            <select value="" data-testid="builder-insert" aria-label=${t('builder.insertField')}
              onChange=${(e) => { if (e.target.value) set({ title: `${form.title}\${r.${e.target.value}}` }); e.target.value = ''; }}>
              <option value="">—</option>
              ${['id', ...fields.map((f) => f.name).filter((n) => n !== 'id')].map((n) => html`<option key=${n} value=${n}>${n}</option>`)}
            </select></label>
          <label class="field"><span class="field-label">${t('builder.description')}</span>
            <textarea rows="3" value=${form.description} data-testid="builder-description" onInput=${(e) => set({ description: e.target.value })}></textarea>
            <${Problems} errors=${errors} path="description" /></label>
          <div class="form-grid builder-grid">
            <label class="field"><span class="field-label">${t('builder.businessType')}</span>
              <${Text} value=${form.business_type} label=${t('builder.businessType')} testid="builder-business-type" onInput=${(v) => set({ business_type: v })} /></label>
            <label class="field"><span class="field-label">${t('builder.priority')}</span>
              <select value=${form.priority} data-testid="builder-priority" onChange=${(e) => set({ priority: e.target.value })}>
                ${PRIORITIES.map((p) => html`<option key=${p} value=${p}>${p ? t(`tasks.priority.${p}`) : '—'}</option>`)}
              </select></label>
            <label class="field"><span class="field-label">${t('builder.dueInDays')}</span>
              <${Text} value=${form.due_in_days} inputmode="numeric" label=${t('builder.dueInDays')} testid="builder-due" onInput=${(v) => set({ due_in_days: v })} />
              <${Problems} errors=${errors} path="due_in_days" /></label>
          </div>
        </div>
      <//>
      <${Section} title=${t('builder.sec.workflow')} testid="builder-sec-workflow">
        <${Problems} errors=${errors} path="nodes" />
        ${form.nodes.map((n, i) => html`<div key=${i} class="builder-node" data-testid="builder-node">
          <div class="builder-row"><span class="badge badge-soft">${i + 1}</span>
            <${WhoInput} who=${n.handler} fieldList=${fieldList} testid="builder-node-handler" onChange=${(w) => setNode(i, { handler: w })} />
            <button type="button" class="btn btn-sm btn-ghost" aria-label=${t('common.remove')} data-testid="builder-node-remove"
              onClick=${() => set({ nodes: form.nodes.filter((_, j) => j !== i) })}><${Icon} name="close" /></button></div>
          <${Problems} errors=${errors} path=${`nodes[${i}].handler`} />
          <div class="builder-row">
            <${Text} value=${n.action} label=${t('builder.action')} placeholder=${t('builder.action')} testid="builder-node-action" onInput=${(v) => setNode(i, { action: v })} />
            <${Text} value=${n.due_in_days} inputmode="numeric" label=${t('builder.nodeDue')} placeholder=${t('builder.nodeDue')} testid="builder-node-due"
              onInput=${(v) => setNode(i, { due_in_days: v })} />
          </div>
          <${Problems} errors=${errors} path=${`nodes[${i}].action`} />
          <${Problems} errors=${errors} path=${`nodes[${i}].due_in_days`} />
        </div>`)}
        <button type="button" class="btn btn-sm" data-testid="builder-node-add"
          onClick=${() => set({ nodes: [...form.nodes, { handler: { by: 'user', value: '' }, action: '', due_in_days: '' }] })}>
          <${Icon} name="plus" /> ${t('builder.addNode')}</button>
      <//>
      <${Section} title=${t('builder.sec.people')} testid="builder-sec-people">
        <div class="field"><span class="field-label">${t('builder.watchers')}</span>
          <${PeopleInput} list=${form.watchers} path="watchers" errors=${errors} fieldList=${fieldList} onChange=${(l) => set({ watchers: l })} /></div>
        <div class="field"><span class="field-label">${t('builder.editors')}</span>
          <${PeopleInput} list=${form.editors} path="editors" errors=${errors} fieldList=${fieldList} onChange=${(l) => set({ editors: l })} /></div>
      <//>
      <${Section} title=${t('builder.sec.escalation')} testid="builder-sec-escalation">
        ${form.escalation.map((x, i) => html`<div key=${i} class="builder-esc" data-testid="builder-esc">
          <div class="builder-row">
            <${Text} value=${x.after_hours} inputmode="numeric" label=${t('builder.afterHours')} testid="builder-esc-hours" onInput=${(v) => setEsc(i, { after_hours: v })} />
            <select value=${x.from_created ? 'created' : 'due'} aria-label=${t('builder.from')} data-testid="builder-esc-from"
              onChange=${(e) => setEsc(i, { from_created: e.target.value === 'created' })}>
              <option value="due">${t('builder.fromDue')}</option><option value="created">${t('builder.fromCreated')}</option>
            </select>
            <button type="button" class="btn btn-sm btn-ghost" aria-label=${t('common.remove')}
              onClick=${() => set({ escalation: form.escalation.filter((_, j) => j !== i) })}><${Icon} name="close" /></button>
          </div>
          <${Problems} errors=${errors} path=${`escalation[${i}].after_hours`} />
          <${Problems} errors=${errors} path=${`escalation[${i}].from_created`} />
          <span class="field-label">${t('builder.notify')}</span>
          <${PeopleInput} list=${x.notify} path=${`escalation[${i}].notify`} errors=${errors} fieldList=${fieldList} onChange=${(l) => setEsc(i, { notify: l })} />
          <${Problems} errors=${errors} path=${`escalation[${i}].notify`} />
        </div>`)}
        <button type="button" class="btn btn-sm" data-testid="builder-esc-add"
          onClick=${() => set({ escalation: [...form.escalation, { after_hours: '24', from_created: false, notify: [admins()] }] })}>
          <${Icon} name="plus" /> ${t('builder.addEscalation')}</button>
      <//>
      <${Section} title=${t('builder.sec.finish')} testid="builder-sec-finish">
        <div class="field"><span class="field-label">${t('builder.onFinish')}</span>
          <${PeopleInput} list=${form.on_finish} path="on_finish" errors=${errors} fieldList=${fieldList} onChange=${(l) => set({ on_finish: l })} /></div>
        <label class="check"><input type="checkbox" checked=${form.auto_close} data-testid="builder-auto-close"
          onChange=${(e) => set({ auto_close: e.target.checked })} /> ${t('builder.autoClose')}</label>
      <//>
    </div>
    <aside class="card builder-script">
      <h2 class="card-title">${t('builder.script')}</h2>
      ${errors.length > 0 && html`<p class="small text-danger" data-testid="builder-error-count">${t('builder.problems', { n: errors.length })}</p>`}
      <pre class="mono builder-script-text" tabindex="0" aria-label=${t('builder.script')} data-testid="builder-script">${out.script}</pre>
    </aside>
  </div>`;
}
