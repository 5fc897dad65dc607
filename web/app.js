// Entry point of Baton's web UI (plain ES modules, no build step).
import { html, render } from './vendor/htm-preact-standalone.mjs';
import { App } from './js/app.js';

render(html`<${App} />`, document.getElementById('root'));

// The service worker: installable app, cached shell, push notices (web/sw.js).
if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => {});
