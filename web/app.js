// Entry point of Baton's web UI (plain ES modules, no build step).
import { html, render } from './vendor/htm-preact-standalone.mjs';
import { App } from './js/app.js';

render(html`<${App} />`, document.getElementById('root'));
