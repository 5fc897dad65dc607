// Page modules are loaded when a page is first shown (dynamic import()), so the login
// page does not download the task page or the scenario editor. The import map that the
// server puts into index.html sends each import to the file's content-hashed URL.
import { html, useEffect, useState } from '../vendor/htm-preact-standalone.mjs';
import { t } from './i18n.js';
import { Loading } from './ui.js';

/**
 * A page component that imports its module on first render and shows `Loading` until
 * then. `load` is `() => import('./pages/x.js')`; `name` the export to render. If the
 * import fails (offline, or the server was upgraded and this tab's hashed URLs are gone)
 * the page says so and offers a reload, which fetches the new index.html.
 */
export function lazyPage(load, name) {
  let Page = null;
  let pending = null;
  const fetchModule = () => {
    if (!pending) {
      pending = load().then(
        (mod) => {
          Page = mod[name];
          return Page;
        },
        (err) => {
          pending = null; // a later visit tries again
          throw err;
        },
      );
    }
    return pending;
  };
  function LazyPage(props) {
    const [, setTick] = useState(0); // re-render once the module is in
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (Page) return undefined;
      let live = true;
      fetchModule().then(
        () => live && setTick((n) => n + 1),
        (err) => {
          console.error(`loading the ${name} page failed`, err);
          if (live) setFailed(true);
        },
      );
      return () => {
        live = false;
      };
    }, []);
    if (Page) return html`<${Page} ...${props} />`;
    if (failed)
      return html`<div class="card empty-page" role="alert" data-testid="page-load-failed">
        <h1>${t('errors.pageLoadTitle')}</h1>
        <p>${t('errors.pageLoadText')}</p>
        <button type="button" class="btn" onClick=${() => window.location.reload()}>${t('common.reload')}</button>
      </div>`;
    return html`<div class="page-loading" data-testid="page-loading"><${Loading} /></div>`;
  }
  LazyPage.displayName = `Lazy(${name})`;
  return LazyPage;
}
