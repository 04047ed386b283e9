// The auditor's pages and the statistics in the browser (docs/web.md, "The
// auditor's pages", "Statistics"), in Danish and in English: as the auditor,
// the compliance audit (integrity verified), the drill-down to the case the
// walk of that language took to closure, and the audit bundle's download;
// as the coordinator, the statistics with their charts and tables. No page
// may show the walk's synthetic name or CPR numbers. axe-core and a
// screenshot on every page.
const secrets = ['Testperson Browser', '000101-1234', '000101-5678'];

export async function auditWalk(ctx) {
  const { browser, audit, check, signedIn, cases, tokens } = ctx;
  const clean = async (page, what) => {
    const html = await page.content();
    for (const s of secrets) check(!html.includes(s), `${what}: "${s}" is not on the page`);
  };
  for (const lang of ['da', 'en']) {
    const { context, page } = await signedIn(browser, tokens.aud, lang);
    await Promise.all([page.waitForURL('**/ui/audit'), page.click('nav a[href="/ui/audit"]')]);
    check(await page.isVisible('#integrity .alert-success'), `${lang} audit: the log verifies`);
    check((await page.$$('#flags-summary tbody tr')).length >= 7, `${lang} audit: every flag is summarised`);
    await clean(page, `${lang} audit`);
    await audit(page, `${lang}-audit`);

    // The drill-down to the walked case: its events by header, verified, no body.
    await page.goto(`${ctx.base}/ui/audit/cases/${cases[lang]}`);
    const rows = await page.$$('#case-events tbody tr');
    check(rows.length >= 8, `${lang} audit case: the walked case's events are listed (${rows.length})`);
    check((await page.textContent('main')).includes(cases[lang]), `${lang} audit case: the case id is shown`);
    await clean(page, `${lang} audit case`);
    await audit(page, `${lang}-audit-case`);

    // The bundle: a download (an attachment), not a page.
    await page.goto(`${ctx.base}/ui/audit`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a[href="/ui/audit/bundle"]')]);
    check(/^caseledger-bundle-\d+\.tar$/.test(download.suggestedFilename()),
          `${lang} audit: the bundle downloads as ${download.suggestedFilename()}`);
    await context.close();

    const co = await signedIn(browser, tokens.co, lang);
    await Promise.all([co.page.waitForURL('**/ui/statistics'), co.page.click('nav a[href="/ui/statistics"]')]);
    for (const id of ['founded', 'response', 'progression']) {
      check(await co.page.isVisible(`svg[aria-labelledby="chart-${id}-title chart-${id}-desc"]`),
            `${lang} statistics: the ${id} chart is drawn`);
      check(await co.page.isVisible(`#table-${id}`), `${lang} statistics: the ${id} table is beside it`);
    }
    await clean(co.page, `${lang} statistics`);
    await audit(co.page, `${lang}-statistics`);
    await co.context.close();
  }
}
