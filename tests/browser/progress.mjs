// Progress per assessment dimension and advice figures in the browser
// (docs/web.md, "A case" and "Statistics"), in Danish and in English: as the
// coordinator, the case the English walk took to closure (its founded
// assessment scored risk and resources) shows a step chart and a table per
// scored dimension; so does a demo case with progress entries of an
// intervention, the first "my cases" leads to with more than one record of
// a dimension; the statistics show the advice per year by outcome beside
// its table. axe-core and a screenshot on every page.
export async function progressWalk(ctx) {
  const { browser, base, audit, check, signedIn, cases, tokens } = ctx;
  for (const lang of ['da', 'en']) {
    const { context, page } = await signedIn(browser, tokens.co, lang);
    await page.goto(`${base}/ui/cases/${cases.en}`);
    check(await page.isVisible('#progress'), `${lang} progress: the walked case has its progress section`);
    check((await page.$$('#progress svg.chart-step[role="img"]')).length >= 1,
          `${lang} progress: a chart per scored dimension`);
    check((await page.$$('#progress table tbody tr')).length >= 1, `${lang} progress: its table beside it`);
    check(!(await page.textContent('main')).includes('[['), `${lang} progress: every text has its label`);
    await audit(page, `${lang}-case-progress`);

    // A demo case with several records of one dimension.
    await page.goto(`${base}/ui/cases`);
    const links = [...new Set(await page.$$eval('main a[href^="/ui/cases/c-"]',
                                                (as) => as.map((a) => a.getAttribute('href'))))];
    let found = '';
    for (const href of links) {
      await page.goto(base + href);
      const most = await page.$$eval('#progress table', (ts) =>
        Math.max(0, ...ts.map((t) => t.querySelectorAll('tbody tr').length)));
      if (most >= 2) { found = href; break; }
    }
    check(found !== '', `${lang} progress: a demo case with progress entries (of ${links.length} cases)`);
    if (found) {
      check((await page.$$('#progress path.chart-series')).length >= 1, `${lang} progress: the steps are drawn`);
      await audit(page, `${lang}-case-progress-demo`);
    }

    await page.goto(`${base}/ui/statistics`);
    check(await page.isVisible('svg[aria-labelledby="chart-advice-title chart-advice-desc"]'),
          `${lang} statistics: the advice chart is drawn`);
    check(await page.isVisible('#table-advice'), `${lang} statistics: the advice table is beside it`);
    await audit(page, `${lang}-statistics-advice`);
    await context.close();
  }
}
