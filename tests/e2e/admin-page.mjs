// A browser page signed in as the company admin, collecting page errors and console
// errors (the boot probe's 401 before login is expected and left out).
export async function adminPage(browser, server, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport, locale: 'en-US' });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  await page.goto(`${server.url}/`);
  await page.getByTestId('login-username').fill('admin');
  await page.getByTestId('login-password').fill(server.adminPassword);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('app-shell').waitFor();
  return { context, page, problems };
}
