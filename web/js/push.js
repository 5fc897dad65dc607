// "Notify this device" (Me page): subscribes this browser to Web Push with the
// server's VAPID key, lists the member's devices (this one marked), sends a test and
// removes a device. The service worker that shows the notices is /sw.js (web/sw.js).
import { html, useEffect, useState } from '../vendor/htm-preact-standalone.mjs';
import { apiRequest } from './api.js';
import { fmtTime, t } from './i18n.js';
import { Empty, ErrorText, Loading, toast, useLoader } from './ui.js';

const papi = {
  get: () => apiRequest('GET', '/api/me/push'),
  add: (sub) => apiRequest('POST', '/api/me/push/devices', sub),
  remove: (id) => apiRequest('DELETE', `/api/me/push/devices/${encodeURIComponent(id)}`),
  test: (id) => apiRequest('POST', `/api/me/push/devices/${encodeURIComponent(id)}/test`, {}),
};

/** Whether this browser can receive push messages at all (iOS: only the installed app). */
export function pushSupported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/** base64url → bytes, for `applicationServerKey`. */
function keyBytes(b64) {
  const s = b64.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(s + '='.repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

async function thisSubscription() {
  if (!pushSupported()) return null;
  const reg = await navigator.serviceWorker.getRegistration('/');
  return reg ? reg.pushManager.getSubscription() : null;
}

function DeviceTest({ id }) {
  const [state, setState] = useState(null);
  const run = async () => {
    setState({ busy: true });
    try {
      setState(await papi.test(id));
    } catch (e) {
      setState({ ok: false, error: e.message });
    }
  };
  return html`<span class="delivery-test">
    <button type="button" class="btn btn-sm" onClick=${run} disabled=${state && state.busy} data-testid="push-test">${t('delivery.sendTest')}</button>
    ${state && !state.busy && (state.ok
      ? html`<span class="badge badge-ok" data-testid="push-test-ok">${t('delivery.testOk')}</span>`
      : html`<span class="alert alert-error small" data-testid="push-test-error">${state.error}</span>`)}
  </span>`;
}

export function PushDevices() {
  const data = useLoader(() => papi.get(), []);
  // this browser's endpoint: undefined while asking, null when not subscribed
  const [mine, setMine] = useState(undefined);
  const [label, setLabel] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  useEffect(() => {
    thisSubscription().then((s) => setMine(s ? s.endpoint : null), () => setMine(null));
  }, []);
  if (data.loading && !data.data) return html`<${Loading} />`;
  if (!data.data) return html`<${ErrorText} error=${data.error} />`;
  const devices = data.data.devices;
  const here = devices.find((d) => d.endpoint === mine);
  const enable = async () => {
    setBusy(true);
    setError(null);
    try {
      if ((await Notification.requestPermission()) !== 'granted') throw new Error(t('push.denied'));
      const reg = await navigator.serviceWorker.register('/sw.js');
      await navigator.serviceWorker.ready;
      const sub = (await reg.pushManager.getSubscription())
        || (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(data.data.public_key) }));
      await papi.add({ ...sub.toJSON(), label: label.trim() || t('push.thisDevice') });
      setMine(sub.endpoint);
      setLabel('');
      await data.reload();
      toast.ok(t('push.enabled'));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const remove = async (d) => {
    setError(null);
    try {
      await papi.remove(d.id);
      if (d.endpoint === mine) {
        const s = await thisSubscription();
        if (s) await s.unsubscribe();
        setMine(null);
      }
      await data.reload();
    } catch (e) {
      setError(e);
    }
  };
  const state = !pushSupported() ? 'unsupported'
    : here ? 'on'
    : typeof Notification !== 'undefined' && Notification.permission === 'denied' ? 'blocked'
    : 'off';
  return html`<div data-testid="push-devices" data-state=${state}>
    <p class="muted small">${t('push.hint')}</p>
    ${state === 'unsupported' && html`<p class="muted small" data-testid="push-unsupported">${t('push.unsupported')}</p>`}
    ${state === 'blocked' && html`<p class="muted small" data-testid="push-blocked">${t('push.blocked')}</p>`}
    ${state === 'on' && html`<p data-testid="push-on"><span class="badge badge-ok">${t('push.on')}</span></p>`}
    ${state === 'off' && html`<div class="form-actions">
      <input class="input" value=${label} maxlength="80" placeholder=${t('push.labelPlaceholder')} aria-label=${t('push.label')}
        data-testid="push-label" onInput=${(e) => setLabel(e.target.value)} />
      <button type="button" class="btn btn-primary" onClick=${enable} disabled=${busy || mine === undefined}
        data-testid="push-enable">${t('push.enable')}</button>
    </div>`}
    ${devices.length === 0 ? html`<${Empty}>${t('push.none')}<//>` : html`<ul class="plain-list" data-testid="push-list">
      ${devices.map((d) => html`<li key=${d.id} data-testid="push-device">
        <strong>${d.label}</strong>${d.endpoint === mine && html` <span class="badge">${t('push.thisDevice')}</span>`}
        <span class="muted small"> · ${fmtTime(d.created_at)}</span>
        <${DeviceTest} id=${d.id} />
        <button type="button" class="btn btn-sm btn-danger" onClick=${() => remove(d)} data-testid="push-remove">${t('delivery.remove')}</button>
      </li>`)}
    </ul>`}
    <${ErrorText} error=${error} />
  </div>`;
}
