// One disclosure's own page in the browser (docs/web.md, "One disclosure"),
// in Danish and in English: as the legal reviewer, the disclosure register,
// a row followed (with the keyboard) to the disclosure's page — every step
// listed and verified, nothing unverified —, its evidence file downloaded
// (one JSON document per step), and "record the verdict" leading to the
// verdict form with this disclosure chosen; as the coordinator, the
// disclosure of the case the walk of that language took to closure, its
// verdict among the steps. No page may show the walk's synthetic name or
// CPR numbers. axe-core and a screenshot on every page.
import { readFileSync } from 'node:fs';

const secrets = ['Testperson Browser', '000101-1234', '000101-5678'];

export async function disclosureWalk(ctx) {
  for (const lang of ['da', 'en']) await disclosureWalkIn(ctx, lang);
}

async function disclosureWalkIn(ctx, lang) {
  const { browser, base, audit, check, signedIn, cases, tokens } = ctx;
  const clean = async (page, what) => {
    const html = await page.content();
    for (const s of secrets) check(!html.includes(s), `${what}: "${s}" is not on the page`);
  };
  const lr = await signedIn(browser, tokens.lr, lang);
  const page = lr.page;
  await Promise.all([page.waitForURL('**/ui/disclosures'), page.click('nav a[href="/ui/disclosures"]')]);
  // A row awaiting the verdict (made, not yet reviewed).
  const made = lang === 'da' ? 'Udleveret' : 'Made';
  const link = await page.$(`main table tr:has(td:text-is("${made}")) a[href^="/ui/disclosures/"]`);
  check(!!link, `${lang} disclosure: the legal reviewer's register has a row awaiting review, linked to its disclosure`);
  if (link) {
    const href = await link.getAttribute('href');
    // Keyboard: focus the row's link and follow it with Enter.
    await link.focus();
    await Promise.all([page.waitForURL(`**${href}`), page.keyboard.press('Enter')]);
    const steps = await page.$$('#disclosure-steps tbody tr');
    check(steps.length >= 3, `${lang} disclosure: every step is listed (${steps.length})`);
    check(await page.isVisible('main .alert-success'), `${lang} disclosure: every step is verified`);
    check(!(await page.$('main .alert-error')), `${lang} disclosure: no step is unverified`);
    check(await page.isVisible('#disclosure-summary'), `${lang} disclosure: the request is summarised`);
    check(await page.isVisible('main ul.basis-conditions'), `${lang} disclosure: the basis' conditions are shown`);
    await clean(page, `${lang} disclosure`);
    await audit(page, `${lang}-disclosure`);

    // The evidence file: an attachment, one document per step.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(`a[href="${href}/evidence"]`)]);
    check(/^disclosure-\d+-evidence\.jsonl$/.test(download.suggestedFilename()),
          `${lang} disclosure: the evidence downloads as ${download.suggestedFilename()}`);
    const lines = readFileSync(await download.path(), 'utf8').split('\n').filter((l) => l.length > 0);
    check(lines.length === steps.length, `${lang} disclosure: the evidence has a document per step (${lines.length})`);
    check(lines.every((l) => { const j = JSON.parse(l); return j.event && j.checkpoint && j.verifier; }),
          `${lang} disclosure: each line is an evidence document`);

    // Record the verdict: the form with this disclosure chosen.
    const verdict = await page.$('main a[href*="/record/disclosure.reviewed?disclosure="]');
    check(!!verdict, `${lang} disclosure: the legal reviewer is offered to record the verdict`);
    if (verdict) {
      const seq = href.split('/').pop();
      await Promise.all([page.waitForURL('**/record/disclosure.reviewed?disclosure=*'), verdict.click()]);
      check(await page.inputValue('select[name="h.disclosure"]') === seq,
            `${lang} disclosure: the verdict form has the disclosure chosen`);
    }
  }
  await lr.context.close();

  // The coordinator: the walked case's disclosure, reviewed.
  const co = await signedIn(browser, tokens.co, lang);
  await co.page.goto(`${base}/ui/disclosures`);
  const own = await co.page.$(`main a[href^="/ui/disclosures/${cases[lang]}/"]`);
  check(!!own, `${lang} disclosure: the walked case's disclosure is in the coordinator's register`);
  if (own) {
    await Promise.all([co.page.waitForURL(`**/ui/disclosures/${cases[lang]}/*`), own.click()]);
    const rows = await co.page.$$('#disclosure-steps tbody tr');
    check(rows.length === 4, `${lang} disclosure: requested, approved, made, reviewed (${rows.length})`);
    const lawful = lang === 'da' ? 'Lovlig' : 'Lawful';
    check((await co.page.textContent('#disclosure-steps')).includes(lawful), `${lang} disclosure: the verdict is among the steps`);
    await clean(co.page, `${lang} disclosure (coordinator)`);
    await audit(co.page, `${lang}-disclosure-reviewed`);
  }
  await co.context.close();
}
