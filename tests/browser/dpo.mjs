// The DPO's pages in the browser (docs/web.md, "The DPO's pages"), in
// Danish and in English, each on the case that language's walk reported
// (CPR 000101-1234, 000101-5678) and walked to closure with a disclosure
// made: the person looked up by CPR number (typed into the form; it must
// not appear in any URL), the subject-access export viewed, a legal hold
// set (erasure then refused on screen with ROL-16) and released, the person
// erased with a reason, and the Art. 19 list naming the recipient of that
// disclosure, and that they were told recorded; then a user added on the users page and the retention plan.
// axe-core and a screenshot on every page.
const t = {
  da: { cpr: '000101-1234', held: 'Sagen er under retligt tilbagehold', police: 'Politi', colleague: 'Syntetisk Kollega' },
  en: { cpr: '000101-5678', held: 'The case is under a legal hold', police: 'Police', colleague: 'Synthetic Colleague' },
};

export async function dpoWalk(ctx) {
  for (const lang of ['da', 'en']) await dpoWalkIn(ctx, lang);
}

async function dpoWalkIn(ctx, lang) {
  const { browser, base, audit, check, signedIn, cases, tokens } = ctx;
  const { cpr } = t[lang];
  const { context, page } = await signedIn(browser, tokens.dpo, lang);
  const urls = [];
  page.on('request', (r) => urls.push(r.url()));

  await page.click('nav a[href="/ui/subjects"]');
  await page.waitForURL('**/ui/subjects');
  await audit(page, `${lang}-dpo-lookup`);
  await page.fill('#cpr', cpr);
  await Promise.all([page.waitForURL('**/ui/subjects/lookup'), page.click('main form button[type=submit]')]);
  const found = await page.textContent('main');
  check(found.includes(cases[lang]), 'dpo: the lookup lists the case reported under 000101-1234');
  check(!found.includes(cpr), 'dpo: the lookup answer does not echo the CPR number');
  const subject = (await page.textContent('.subject-id')).trim();
  check(subject.startsWith('s-'), `dpo: the lookup gives a pseudonymous subject id (${subject})`);
  await audit(page, `${lang}-dpo-found`);

  await Promise.all([page.waitForURL(`**/ui/subjects/${subject}/export`),
                     page.click(`main a[href="/ui/subjects/${subject}/export"]`)]);
  check((await page.textContent('main')).includes(cpr), 'dpo: the export holds the person\'s data');
  await audit(page, `${lang}-dpo-export`);

  // A legal hold, set from the person's page: erasure is refused on screen
  // with its rule until the hold is released.
  await page.goto(`${base}/ui/subjects`);
  await page.fill('#cpr', cpr);
  await Promise.all([page.waitForURL('**/ui/subjects/lookup'), page.click('main form button[type=submit]')]);
  const hold = `/ui/cases/${cases[lang]}/hold`;
  await Promise.all([page.waitForURL(`**${hold}`), page.click(`main a[href="${hold}"]`)]);
  await audit(page, `${lang}-dpo-hold`);
  await page.selectOption('select[name="h.ground"]', 'complaint');
  await Promise.all([page.waitForURL(`**${hold}?done=set`), page.click('main form button[type=submit]')]);
  check((await page.textContent('#hold-state')).includes(t[lang].held), `dpo ${lang}: the case is held`);
  await audit(page, `${lang}-dpo-held`);
  await page.goto(`${base}/ui/subjects/${subject}/erase`);
  await page.check('#reason-gdpr_art17');
  await Promise.all([page.waitForLoadState('load'), page.click('main form button[type=submit]')]);
  check((await page.textContent('main')).includes('ROL-16'), `dpo ${lang}: erasure refused on screen with ROL-16 while held`);
  await audit(page, `${lang}-dpo-erase-refused`);
  await page.goto(`${base}${hold}`);
  await page.selectOption('select[name="h.ground"]', 'complaint');
  await Promise.all([page.waitForURL(`**${hold}?done=released`), page.click('main form button[type=submit]')]);
  check(!(await page.textContent('#hold-state')).includes(t[lang].held), `dpo ${lang}: the hold is released`);

  await page.goto(`${base}/ui/subjects/${subject}/erase`);
  await audit(page, `${lang}-dpo-erase`);
  await page.check('#reason-gdpr_art17');
  await Promise.all([page.waitForURL(`**/ui/subjects/${subject}/notify?erased=1`),
                     page.click('main form button[type=submit]')]);
  const notify = await page.textContent('main');
  check(notify.includes(cases[lang]), 'dpo: the Art. 19 list names the case with a disclosure');
  check(notify.includes(t[lang].police), `dpo ${lang}: the Art. 19 list names the police as a recipient to tell`);
  await audit(page, `${lang}-dpo-art19`);
  // Telling the police is recorded on the case; then no one is left to tell.
  await page.check(`#n-${cases[lang]}-police`);
  await Promise.all([page.waitForURL(`**/ui/subjects/${subject}/notify?told=1`),
                     page.click('main form button[type=submit]')]);
  check(!(await page.content()).includes('name="h.about"'), `dpo ${lang}: no one is left to tell`);
  await audit(page, `${lang}-dpo-art19-told`);

  await page.goto(`${base}/ui/subjects/${subject}/export`);
  check(!(await page.textContent('main')).includes(cpr), 'dpo: after erasure the export holds no CPR number');
  await audit(page, `${lang}-dpo-export-erased`);

  // Users: add a caseworker; the token is shown once on the answer.
  await page.click('nav a[href="/ui/users"]');
  await page.waitForURL('**/ui/users');
  await audit(page, `${lang}-dpo-users`);
  await page.fill('#name', t[lang].colleague);
  await page.selectOption('#role', 'caseworker');
  await Promise.all([page.waitForLoadState('load'), page.click('main form[action="/ui/users"] button[type=submit]')]);
  check((await page.textContent('code.token')).startsWith('clt1_'), 'dpo: the new user\'s token is shown once');
  await audit(page, `${lang}-dpo-user-added`);

  await page.click('nav a[href="/ui/retention"]');
  await page.waitForURL('**/ui/retention');
  await audit(page, `${lang}-dpo-retention`);

  check(urls.every((u) => !u.includes('000101') && !u.includes(cpr.replace('-', ''))),
        'dpo: no URL carries the CPR number');
  await context.close();
}
