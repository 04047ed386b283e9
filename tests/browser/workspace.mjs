// The web workspace in a real browser (docs/web.md, "Browser tests"):
// Debian's Chromium, headless, driven by playwright-core; axe-core on every
// page (WCAG 2.1 A and AA rules: zero violations); a screenshot of every page.
// In Danish and in English, as a caseworker:
//   sign in with the keyboard; the concern form filled with the keyboard
//   alone; a belief-only concern refused on screen with ROL-1; a lawful one
//   recorded and shown in "my cases"; its case page with every event
//   verified, and the case as it stood on an earlier day (time travel, typed
//   with the keyboard); the language switch; sign-out, after
//   which the pages send the browser to sign in again.
// Then, as a coordinator, the triage page (the cases just reported are on
// it). Then the case each language reported is walked to its closure through the
// forms of "Record on this case", as the role that may record each step:
// the caseworker first notes a contact as advice without registration; the
// coordinator assigns the case to the caseworker, who responds; the
// coordinator records a founded assessment and requests a disclosure, and is
// offered no approval of their own request (four eyes); a second
// coordinator approves it; the caseworker records it made; the legal
// reviewer finds it in the disclosure register and records the verdict;
// the coordinator closes the case.
// Usage: node workspace.mjs BASE_URL TOKEN SCREENSHOT_DIR COORDINATOR_TOKEN
// with the environment's CW_USER (the caseworker's user id), CO2_TOKEN (a
// second coordinator), LR_TOKEN (a legal reviewer), AUD_TOKEN (an auditor) and
// DPO_TOKEN (the DPO). The walks of other areas are in their own modules
// (./<area>.mjs), each given `ctx` (below) and the cases walked here.
// Exit 0 when everything holds; 1 with the failures listed.
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dpoWalk } from './dpo.mjs';
import { auditWalk } from './audit.mjs';
import { progressWalk } from './progress.mjs';
import { disclosureWalk } from './disclosure.mjs';

const [base, token, shots, coToken] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
mkdirSync(shots, { recursive: true });

const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); };
let shot = 0;

// axe-core on the page as it is now; every page must have zero violations.
// A person's name or CPR number in a page's text, title or URL: the demo
// set's names ("Testperson NNNN") and any CPR-shaped number. Only the
// DPO's subject-access export may show them (docs/web.md: every other page
// is headers and codes); the walk's own typed person is in form fields only.
const personalData = /Testperson \d{4}|\b\d{6}-?\d{4}\b/;

async function audit(page, name) {
  if (!/-dpo-export$/.test(name)) {
    const text = await page.evaluate(() => `${document.title}\n${document.body.innerText}`);
    const m = `${text}\n${page.url()}`.match(personalData);
    if (m) failures.push(`${name}: a name or CPR number (${m[0].replace(/\d/g, '#')}) on a page whose role may not read it`);
  }
  // Evaluated through the DevTools protocol: the page's own CSP (no inline
  // script) stays in force and is not weakened for the test.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () =>
    await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  for (const v of result.violations)
    failures.push(`${name}: axe ${v.id} (${v.impact}) on ${v.nodes.length} node(s): ${v.help}`);
  await page.screenshot({ path: `${shots}/${String(++shot).padStart(2, '0')}-${name}.png`, fullPage: true });
}

// Moves the keyboard focus to the element matching `selector` with Tab
// presses only (as a keyboard user would), failing after `limit` presses.
async function tabTo(page, selector, limit = 120) {
  for (let i = 0; i < limit; ++i) {
    if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`keyboard: could not reach ${selector} with Tab`);
}

// Presses `key` (Enter on a focused submit button) and waits until the page
// it leads to has loaded.
async function submitWith(page, key) {
  const navigated = page.waitForEvent('framenavigated');
  await page.keyboard.press(key);
  await navigated;
  await page.waitForLoadState('load');
}

async function walk(browser, lang) {
  const t = lang === 'da'
    ? { refused: 'regel ROL-1', reported: 'Bekymringen er registreret som sag', cpr: '000101-1234' }
    : { refused: 'rule ROL-1', reported: 'The concern is recorded as case', cpr: '000101-5678' };
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  // A page answered with 4xx on purpose (the refused form: 422) makes
  // Chromium log "Failed to load resource" for the document itself: that is
  // the status working, not a problem. Anything else on the console is.
  const documents = new Set();
  page.on('response', (r) => { if (r.request().isNavigationRequest()) documents.add(r.url()); });
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (m.text().startsWith('Failed to load resource') && documents.has(m.location().url)) return;
    problems.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));

  // Sign in, with the keyboard.
  await page.goto(`${base}/ui/signin?lang=${lang}`);
  await audit(page, `${lang}-signin`);
  await tabTo(page, '#token');
  await page.keyboard.type(token);
  await tabTo(page, `#lang-${lang}`);
  await page.keyboard.press('Space');
  await tabTo(page, 'button[type=submit]');
  await Promise.all([page.waitForURL('**/ui/home'), page.keyboard.press('Enter')]);
  check((await page.getAttribute('html', 'lang')) === lang, `${lang}: home is in ${lang}`);
  await audit(page, `${lang}-home`);

  // The concern form with the keyboard alone: a belief-only concern.
  await page.goto(`${base}/ui/concerns/new`);
  await audit(page, `${lang}-concern-form`);
  await tabTo(page, '#name');
  await page.keyboard.type('Testperson Browser');
  await tabTo(page, '#cpr');
  await page.keyboard.type(t.cpr);  // one synthetic person per language
  await tabTo(page, 'input[name="context.p.religion"]');
  await page.keyboard.press('Space');
  await tabTo(page, '#narrative');
  await page.keyboard.type('synthetic narrative (test data)');
  await tabTo(page, 'form[action="/ui/concerns"] button[type=submit]');
  await submitWith(page, 'Enter');
  check((await page.textContent('.alert-error')).includes(t.refused), `${lang}: the refusal names ROL-1 on screen`);
  await audit(page, `${lang}-concern-refused`);

  // The same form, now with an observed behaviour and its date.
  await tabTo(page, 'input[name="ground.b.threat"]');
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');  // the date of the behaviour just chosen
  check(await page.evaluate(() => document.activeElement.name === 'observed.b.threat'),
        `${lang}: Tab after a behaviour reaches its date`);
  await page.keyboard.type('02-03-2026');
  await tabTo(page, 'form[action="/ui/concerns"] button[type=submit]');
  await submitWith(page, 'Enter');
  if (!page.url().includes('/ui/cases?reported=')) {
    const alert = await page.textContent('.alert').catch(() => '(no alert)');
    throw new Error(`${lang}: the lawful concern was not recorded: ${alert}`);
  }
  check((await page.textContent('main')).includes(t.reported), `${lang}: the new case is confirmed`);
  check(!(await page.content()).includes('Testperson Browser'), `${lang}: no name on the cases page`);
  check(!(await page.content()).includes(t.cpr), `${lang}: no CPR number on the cases page`);
  await audit(page, `${lang}-cases`);

  // The new case's page: every event verified; then the case as it stood
  // on a day before it existed, asked for with the keyboard.
  const caseId = new URL(page.url()).searchParams.get('reported');
  await Promise.all([page.waitForURL(`**/ui/cases/${caseId}`), page.click(`a[href="/ui/cases/${caseId}"]`)]);
  const verified = lang === 'da' ? 'Signatur og log verificeret' : 'Signature and log verified';
  check((await page.textContent('main')).includes(verified), `${lang}: the case page shows its events verified`);
  check(!(await page.content()).includes(t.cpr), `${lang}: no CPR number on the case page`);
  await audit(page, `${lang}-case`);
  await tabTo(page, '#as_of');
  await page.keyboard.type('01-01-2020');
  await tabTo(page, 'form.as-of button[type=submit]');
  await submitWith(page, 'Enter');
  const none = lang === 'da' ? 'Sagen fandtes ikke endnu' : 'The case did not exist yet';
  check((await page.textContent('main')).includes(none), `${lang}: time travel to before the case`);
  await audit(page, `${lang}-case-as-of`);
  await page.goto(`${base}/ui/cases`);

  // The language switch (a form in the footer), then back.
  const other = lang === 'da' ? 'en' : 'da';
  await Promise.all([page.waitForLoadState('load'), page.click(`footer button[lang="${other}"]`)]);
  check((await page.getAttribute('html', 'lang')) === other, `${lang}: the switch gives ${other}`);
  await Promise.all([page.waitForLoadState('load'), page.click(`footer button[lang="${lang}"]`)]);

  // Sign out: the pages then ask to sign in again.
  await Promise.all([page.waitForURL('**/ui/signin?signed_out=1'), page.click('footer .button-secondary')]);
  await page.goto(`${base}/ui/cases`);
  check(page.url().endsWith('/ui/signin'), `${lang}: after sign-out the cases page sends to sign-in`);
  check(problems.length === 0, `${lang}: no console errors (${problems.join('; ')})`);
  await context.close();
  return caseId;
}

// A signed-in page in a fresh browser context (its own cookie jar).
async function signedIn(browser, tok, lang) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
  await page.goto(`${base}/ui/signin?lang=${lang}`);
  await page.fill('#token', tok);
  await page.check(`#lang-${lang}`);
  await Promise.all([page.waitForURL('**/ui/home'), page.click('form[action="/ui/signin"] button[type=submit]')]);
  return { context, page };
}

// On the case page: opens the form of `type`, lets `fill` fill it, sends
// it, and checks the case page then says it was recorded.
async function record(page, lang, caseId, type, fill) {
  await page.goto(`${base}/ui/cases/${caseId}`);
  const link = `a[href="/ui/cases/${caseId}/record/${type}"]`;
  if (!(await page.$(link))) throw new Error(`${lang}: the case page offers no ${type} to ${await page.textContent('.portal-info')}`);
  await Promise.all([page.waitForURL(`**/record/${type}`), page.click(link)]);
  await fill(page);
  await audit(page, `${lang}-record-${type}`);
  await Promise.all([page.waitForLoadState('load'), page.click('main form button[type=submit]')]);
  if (!page.url().endsWith(`?recorded=${type}`)) {
    const alert = await page.textContent('.alert').catch(() => '(no alert)');
    throw new Error(`${lang}: ${type} was not recorded: ${alert}`);
  }
}

async function caseWalk(browser, lang, caseId) {
  const cw = await signedIn(browser, token, lang);
  const co = await signedIn(browser, coToken, lang);
  const co2 = await signedIn(browser, process.env.CO2_TOKEN, lang);
  const lr = await signedIn(browser, process.env.LR_TOKEN, lang);
  // Advice without registration: a contact noted with no person at all.
  await Promise.all([cw.page.waitForURL('**/ui/advice/new'), cw.page.click('nav a[href="/ui/advice/new"]')]);
  await audit(cw.page, `${lang}-advice`);
  await cw.page.selectOption('select[name="h.channel"]', 'hotline');
  await cw.page.selectOption('select[name="h.caller"]', 'professional');
  await cw.page.check('input[name="h.behaviours.b.threat"]');
  await cw.page.selectOption('select[name="h.outcome"]', 'referred');
  await Promise.all([cw.page.waitForURL('**/ui/advice/new?recorded=referred'), cw.page.click('main form button[type=submit]')]);
  check(!!(await cw.page.$('main a[href="/ui/concerns/new"]')), `${lang}: a referred contact leads to the concern form`);
  await audit(cw.page, `${lang}-advice-recorded`);
  await record(co.page, lang, caseId, 'case.assigned', async (p) => {
    await p.check(`input[name="h.assignees.${process.env.CW_USER}"]`);
  });
  await record(cw.page, lang, caseId, 'concern.responded', async (p) => {
    await p.selectOption('select[name="h.channel"]', 'home_visit');
  });
  await record(co.page, lang, caseId, 'assessment.recorded', async (p) => {
    await p.selectOption('select[name="h.outcome"]', 'founded');
    await p.selectOption('select[name="h.panel"]', 'infohus');
    await p.check('input[name="h.grounds.b.threat"]');
    await p.fill('input[name="h.grounds.b.threat.observed"]', '02-03-2026');
    await p.selectOption('select[name="h.factors.violence_willingness.risk"]', '2');
    await p.selectOption('select[name="h.factors.violence_willingness.resources"]', '1');
    await p.fill('textarea[name="body.reasoning"]', 'synthetic reasoning (test data)');
  });
  await record(co.page, lang, caseId, 'disclosure.requested', async (p) => {
    await p.selectOption('select[name="h.recipient"]', 'police');
    await p.check('input[name="h.basis"][value="dbl-8-2-3"]');
    await p.selectOption('select[name="h.purpose"]', 'prevention');
    await p.check('input[name="h.categories.concern"]');
    await p.fill('textarea[name="body.purpose_text"]', 'synthetic purpose (test data)');
    await p.fill('textarea[name="body.necessity"]', 'synthetic necessity (test data)');
    await p.fill('textarea[name="body.summary"]', 'synthetic summary (test data)');
  });
  // Four eyes: the requester is offered no approval.
  check(!(await co.page.$(`a[href="/ui/cases/${caseId}/record/disclosure.approved"]`)),
        `${lang}: the requester is offered no approval of their own request`);
  await audit(co.page, `${lang}-case-requested`);
  await record(co2.page, lang, caseId, 'disclosure.approved', async () => {});
  await record(cw.page, lang, caseId, 'disclosure.made', async (p) => {
    await p.selectOption('select[name="h.channel"]', 'secure_mail');
    await p.fill('input[name="h.document_sha256"]', 'ab'.repeat(32));
  });
  // The legal reviewer finds it in the disclosure register.
  await lr.page.goto(`${base}/ui/home`);
  await Promise.all([lr.page.waitForURL('**/ui/disclosures'), lr.page.click('nav a[href="/ui/disclosures"]')]);
  await audit(lr.page, `${lang}-register`);
  await Promise.all([lr.page.waitForURL(`**/ui/cases/${caseId}`), lr.page.click(`main a[href="/ui/cases/${caseId}"]`)]);
  await record(lr.page, lang, caseId, 'disclosure.reviewed', async (p) => {
    await p.selectOption('select[name="h.verdict"]', 'lawful');
  });
  await record(co.page, lang, caseId, 'case.closed', async (p) => {
    await p.selectOption('select[name="h.reason"]', 'completed');
  });
  const closed = lang === 'da' ? 'Afsluttet' : 'Closed';
  check((await co.page.textContent('main table')).includes(closed), `${lang}: the case is closed`);
  await audit(co.page, `${lang}-case-closed`);
  for (const x of [cw, co, co2, lr]) await x.context.close();
}

// The other areas' walks (each an async function of ctx), in this order.
const walks = [];
walks.push(dpoWalk);
walks.push(auditWalk);
walks.push(progressWalk);
walks.push(disclosureWalk);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
// The coordinator's triage: the caseworker's new concerns, most urgent first.
async function triage(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/ui/signin?lang=da`);
  await page.fill('#token', coToken);
  await Promise.all([page.waitForURL('**/ui/home'), page.click('form[action="/ui/signin"] button[type=submit]')]);
  await page.click('nav a[href="/ui/triage"]');
  await page.waitForURL('**/ui/triage');
  check((await page.$$('main tbody tr')).length >= 2, 'triage: the two new concerns are listed');
  await audit(page, 'da-triage');
  await context.close();
}

try {
  const cases = {};
  for (const lang of ['da', 'en']) cases[lang] = await walk(browser, lang);
  await triage(browser);  // before the walks below assign the new cases
  for (const lang of ['da', 'en']) await caseWalk(browser, lang, cases[lang]);
  // The walks of the other areas, on the same server and cases.
  const ctx = { browser, base, audit, check, signedIn, record, cases,
                tokens: { cw: token, co: coToken, co2: process.env.CO2_TOKEN, lr: process.env.LR_TOKEN,
                          aud: process.env.AUD_TOKEN, dpo: process.env.DPO_TOKEN } };
  for (const area of walks) await area(ctx);
} catch (e) {
  failures.push(`stopped: ${e.message}`);
} finally {
  await browser.close();
}
if (failures.length) {
  console.log(failures.map((f) => `FAIL: ${f}`).join('\n'));
  process.exit(1);
}
console.log(`ok: ${shot} pages, each axe-clean (WCAG 2.1 A/AA), screenshots in ${shots}`);
