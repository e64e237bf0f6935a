// End to end: the built web app (build/web) served by a real `ctims serve`
// on a temporary SQLite database, driven in Debian's Chromium by
// playwright-core. axe-core checks every page visited (no serious or
// critical violation); a screenshot of each goes to build/e2e-screenshots.
//
// Flow: sign in (Lao); register a person through the wizard in Lao; find her
// in the person list; refer her to the shelter (first with a missing reason:
// the error shows next to the field); sign in as the shelter and accept; the
// shelter opens the case; switch language without reload; the app at 360 px;
// an administrator signs in with a TOTP code; the police issues a directive
// and a taskforce member builds a plan (taskforce, objective, activity,
// progress, indicator, meeting) through the forms. Before the browser, every
// field of the schema-driven forms must have a Lao and an English label.
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { createHmac } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import net from 'node:net';
import assert from 'node:assert/strict';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(root, 'web', 'package.json'));
const { chromium } = require('playwright-core');
const axePath = require.resolve('axe-core/axe.min.js');

const bin = process.env.CTIMS_BINARY || join(root, 'build', 'release', 'ctims');
const webRoot = process.env.CTIMS_WEB_ROOT || join(root, 'build', 'web');
const shots = process.env.CTIMS_E2E_SCREENSHOTS || join(root, 'build', 'e2e-screenshots');
const chromiumPath = process.env.CTIMS_CHROMIUM || '/usr/bin/chromium';
for (const [what, path] of [['ctims', bin], ['the built web app', join(webRoot, 'index.html')], ['chromium', chromiumPath]]) {
  if (!existsSync(path)) {
    console.error(`web_e2e: ${what} not found at ${path} (make build; scripts/install-deps)`);
    process.exit(1);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'ctims-e2e-'));
const db = join(dir, 'e2e.db');
const key = join(dir, 'e2e.key');
const ctims = (args, input) => execFileSync(bin, args, { input, encoding: 'utf8' });
ctims(['keys', 'init', '--key-file', key]);
ctims(['seed', '--db', db]);
const password = 'e2e-' + Math.random().toString(36).slice(2) + '-Passw0rd';
const addUser = (name, agency, role, database = db) =>
  ctims(['user', 'add', name, '--agency', agency, '--role', role, '--password-stdin', '--display-name', name, '--db', database, '--key-file', key], password + '\n');
addUser('dmc.worker', 'BK-DMC-TPH', 'case_worker');
addUser('shelter.worker', 'BK-LWU-SHELTER', 'case_worker');
addUser('ppd.police', 'BK-PPD', 'police_investigator');
addUser('nca.analyst', 'NCATIP-SEC', 'analyst');
addUser('dmc.supervisor', 'BK-DMC-TPH', 'supervisor');
addUser('ppd.taskforce', 'BK-PPD', 'taskforce_member');
const adminOut = addUser('it.admin', 'NCATIP-SEC', 'administrator');
const adminSecret = (adminOut.match(/^\s+([A-Z2-7]{16,}=*)\s*$/m) || [])[1];
const dataOut = addUser('dmc.data', 'BK-DMC-TPH', 'data_officer');
const dataSecret = (dataOut.match(/^\s+([A-Z2-7]{16,}=*)\s*$/m) || [])[1];

// A `ctims serve` of `database` on a free port; resolves once it listens.
async function startServer(database) {
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const proc = spawn(bin, ['serve', '--db', database, '--key-file', key, '--listen', `127.0.0.1:${port}`, '--web-root', webRoot], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('ctims serve did not start: ' + log)), 20000);
    const check = () => (log.includes('listening on') ? (clearTimeout(t), resolve()) : setTimeout(check, 50));
    check();
  });
  return { proc, base: `http://127.0.0.1:${port}` };
}
const { proc: server, base } = await startServer(db);
// Whatever happens below, the server does not outlive the test.
process.on('exit', () => server.kill('SIGTERM'));

// Every field of the schema-driven forms has a Lao and an English label
// (web/src/strings/fields.json), checked against the served OpenAPI document.
{
  const { missingLabels } = await import(pathToFileURL(join(root, 'web', 'scripts', 'check-field-labels.mjs')).href);
  const doc = await (await fetch(base + '/api/v1/openapi.json')).json();
  const { missing, unknown, checked } = missingLabels(doc);
  assert.deepEqual(unknown, [], 'the form resources are in the OpenAPI document');
  assert.deepEqual(missing, [], 'every form field has a Lao and an English label');
  console.log(`field labels: ${checked} form fields labelled in Lao and English`);
}

rmSync(shots, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });
// playwright-core launches with a fresh, empty profile directory of its own.
const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});

let shot = 0;
const failures = [];
// axe-core is injected with the page's CSP bypassed (the app's own CSP
// allows only its own scripts, rightly).
async function check(page, name) {
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: join(shots, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length) failures.push(`${name}: ${JSON.stringify(bad)}`);
  console.log(`page ${name}: ${bad.length} serious/critical axe violations${result.length ? `, ${result.length - bad.length} minor` : ''}`);
}

function totp(secret) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const bytes = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000)));
  const h = createHmac('sha1', bytes).update(counter).digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1e6).padStart(6, '0');
}

async function signIn(page, username, at = base) {
  await page.goto(at + '/');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('form.signin button[type=submit]');
  await page.waitForSelector('nav#nav');
}
async function signOut(page) {
  await page.click('.topbar button.secondary');
  await page.waitForSelector('form.signin input[name=username]');
}

const LATIN = 'Mali Sisouvanh';
try {
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 }, locale: 'lo-LA' });
  const page = await context.newPage();
  page.on('pageerror', (e) => failures.push('page error: ' + e.message));

  // 1. Sign in, in Lao (the default language).
  await page.goto(base + '/');
  await page.waitForSelector('input[name=username]');
  assert.equal(await page.getAttribute('html', 'lang'), 'lo');
  assert.ok((await page.textContent('h1')).includes('ເຂົ້າສູ່ລະບົບ'), 'sign-in heading in Lao');
  await check(page, 'signin');
  await page.fill('input[name=username]', 'dmc.worker');
  await page.fill('input[name=password]', 'wrong-password-123');
  await page.click('form.signin button[type=submit]');
  await page.waitForSelector('form.signin [role=alert]');
  // By keyboard only: Tab to the fields, Enter to submit.
  await page.goto(base + '/');
  await page.waitForSelector('input[name=username]');
  for (let i = 0; i < 10 && (await page.evaluate(() => document.activeElement?.getAttribute('name'))) !== 'username'; i++) {
    await page.keyboard.press('Tab');
  }
  await page.keyboard.type('dmc.worker');
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.waitForSelector('nav#nav');
  // Focus goes to the page's heading; the menu is reachable backwards.
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'H1');
  await check(page, 'dashboard');
  for (let i = 0; i < 20 && !(await page.evaluate(() => document.activeElement?.getAttribute('href') === '/register')); i++) {
    await page.keyboard.press('Shift+Tab');
  }
  await page.keyboard.press('Enter');
  await page.waitForSelector('input[name=prs_FirstName]');

  // 2. Register a person through the wizard, in Lao.
  await page.fill('input[name=prs_FirstName]', 'ມະລິ');
  await page.fill('input[name=prs_SecondName]', 'ສີສຸວັນ');
  await page.fill('input[name=prs_LatinNames]', LATIN);
  await page.selectOption('select[name=prs_Sex]', 'Female');
  await page.fill('input[name=prs_EstimatedAge]', '24');
  await page.selectOption('select[name=prs_Citizenship]', 'LA');
  await page.selectOption('select[name=prs_PrimaryLanguage]', 'lo');
  // A passport, but where it is was not said: the server will ask.
  await page.selectOption('select[name="prs_IdentityDocuments[0].doc_Type"]', 'Passport');
  await check(page, 'register-person');
  await page.click('form.wizard button[type=submit]');
  await page.waitForSelector('input[name=indicator]');
  await page.selectOption('select[name=scr_InterviewLanguage]', 'lo');
  const indicators = await page.$$('input[name=indicator]');
  await indicators[0].check();
  await indicators[1].check();
  await check(page, 'register-screening');
  // A reload keeps the draft (sessionStorage).
  await page.reload();
  await page.waitForSelector('input[name=indicator]');
  assert.equal(await page.isChecked('input[name=indicator] >> nth=0'), true, 'the draft survives a reload');
  await page.click('form.wizard button[type=submit]');
  await page.waitForSelector('input[name=consent_referral]');
  await page.check('input[name=consent_referral]');
  await page.check('input[name=vic_TypeOfExploitation][value=ForcedLabour]');
  await page.selectOption('select[name=imm_BorderCrossing]', 'Irregular');
  await page.selectOption('select[name=imm_DocumentStatus]', 'NoDocuments');
  await check(page, 'register-case');
  await page.click('form.wizard button[type=submit]');
  await page.waitForSelector('select[name=ast_ServiceType]');
  await page.selectOption('select[name=ast_ServiceType]', { index: 1 });
  await check(page, 'register-assistance');
  // The network drops: the wizard retries, then says so and keeps everything.
  await context.setOffline(true);
  await page.click('form.wizard button[type=submit]');
  await page.waitForSelector('form.wizard [role=alert] button.link', { timeout: 20000 });
  await check(page, 'register-offline');
  assert.equal(await page.inputValue('select[name=ast_ServiceType]') !== '', true, 'the form keeps its content');
  await context.setOffline(false);
  await page.click('form.wizard [role=alert] button.link');
  // The server refuses the person: the wizard goes back to her step and the
  // message is next to the field.
  await page.waitForSelector('.field-error[data-field="prs_IdentityDocuments[0].doc_Status"]');
  await check(page, 'register-field-error');
  assert.equal(await page.inputValue('input[name=prs_LatinNames]'), LATIN, 'nothing typed is lost');
  assert.equal(await page.inputValue('select[name=prs_Citizenship]'), 'LA', 'selects show what was chosen');
  await page.selectOption('select[name="prs_IdentityDocuments[0].doc_Status"]', 'WithheldByEmployer');
  for (let i = 0; i < 3; i++) await page.click('form.wizard button[type=submit]');
  await page.waitForSelector('select[name=ast_ServiceType]');
  await page.click('form.wizard button[type=submit]');
  await page.waitForSelector('main [role=status].ok');
  await check(page, 'registered');

  // 3. Find her in the person list (filtered by sex).
  await page.click('nav a[href="/persons"]');
  await page.waitForSelector('table.list');
  await page.selectOption('select[name=prs_Sex]', 'Female');
  await page.waitForSelector(`table.list >> text=${LATIN}`);
  assert.ok((await page.textContent('table.list')).includes('ມະລິ'), 'name as written, in Lao script');
  await check(page, 'persons');
  // Found again by another Latin spelling (ranked search, issue 8).
  await page.fill('main form[role=search] input[name=q]', 'Maly Sisuvan');
  await page.click('main form[role=search] button[type=submit]');
  await page.waitForSelector(`table.search-results a >> text=${LATIN}`);
  await check(page, 'person-search');
  await page.click(`table.list a >> text=${LATIN}`);
  await page.waitForSelector('main h1 >> text=ມະລິ');
  await check(page, 'person');
  await page.click('main button >> text=ແກ້ໄຂຂໍ້ມູນ');
  await page.fill('input[name=prs_Aliases]', 'Noy');
  await page.click('form[aria-labelledby=edit-person] button[type=submit]');
  await page.waitForSelector('dl.facts dd >> text=Noy');
  await page.click('main ul.plain a');
  await page.waitForSelector('ol.timeline li');
  await page.waitForSelector('dl.facts >> text=ການບັງຄັບໃຊ້ແຮງງານ');
  await page.waitForSelector('dl.facts >> text=ຂ້າມແດນບໍ່ຖືກຕ້ອງ');
  await check(page, 'case');

  // 4. Refer her to the shelter. Without a reason, the error is next to the field.
  await page.click('main button >> text=ສົ່ງຕໍ່ໄປອົງການອື່ນ');
  await page.waitForSelector('form[aria-labelledby=refer-title]');
  await page.selectOption('select[name=to_agency_id]', { label: 'ສູນພັກພິງ ສະຫະພັນແມ່ຍິງແຂວງບໍ່ແກ້ວ' });
  await page.check('input[name=ref_ServicesRequested] >> nth=0');
  await page.click('form[aria-labelledby=refer-title] button[type=submit]');
  await page.waitForSelector('.field-error[data-field=ref_Reason]');
  await check(page, 'referral-validation');
  await page.fill('textarea[name=ref_Reason]', 'ຕ້ອງການທີ່ພັກອາໄສທີ່ປອດໄພ');
  await page.click('form[aria-labelledby=refer-title] button[type=submit]');
  await page.waitForSelector('main [role=status].ok');

  // More on the case: an assistance, a planned return, a case step.
  await page.click('main button >> text=ບັນທຶກການຊ່ວຍເຫຼືອ');
  await page.selectOption('form[aria-labelledby=ast-title] select[name=ast_ServiceType]', 'Medical');
  // The session ends: signing in again happens over the page, the form stays.
  await context.clearCookies();
  // Whichever request meets the ended session first opens the dialog (the
  // page may be refreshing something in the background).
  await page.click('form[aria-labelledby=ast-title] button[type=submit]', { timeout: 3000 }).catch(() => {});
  await page.waitForSelector('.overlay[role=dialog] input[name=password]');
  await check(page, 'session-expired');
  await page.fill('.overlay input[name=password]', password);
  await page.click('.overlay button[type=submit]');
  await page.waitForSelector('.overlay', { state: 'detached' });
  assert.equal(await page.inputValue('form[aria-labelledby=ast-title] select[name=ast_ServiceType]'), 'Medical');
  await page.click('form[aria-labelledby=ast-title] button[type=submit]');
  await page.waitForSelector('ol.timeline li >> text=ການປິ່ນປົວ');
  await page.click('main button >> text=ວາງແຜນການສົ່ງກັບຄືນ');
  await page.selectOption('form[aria-labelledby=rep-title] select[name=rep_DestinationCountry]', 'LA');
  await page.click('form[aria-labelledby=rep-title] button[type=submit]');
  await page.waitForSelector('form[aria-labelledby=rep-title] .field-error[data-field=rep_Direction]');
  await page.selectOption('form[aria-labelledby=rep-title] select[name=rep_Direction]', 'Inbound');
  await page.fill('form[aria-labelledby=rep-title] input[name=rep_DestinationPlace]', 'ເມືອງຕົ້ນເຜິ້ງ');
  await page.click('form[aria-labelledby=rep-title] button[type=submit]');
  await page.waitForSelector('ol.timeline li >> text=ການສົ່ງກັບຄືນ');
  await page.click('section[aria-labelledby=case-steps] button >> text=ຍ້າຍໄປຕິດຕາມ');
  await page.waitForSelector('section[aria-labelledby=case-steps] button >> text=ເປີດໃຊ້ຄືນ');
  await check(page, 'case-more');
  // Sub-records drawn from the API's schema: the job, whose contract was sold
  // on, and the Covid-test fee the employer demanded.
  const jobs = 'section[aria-labelledby=sec-employment-episodes]';
  await page.click(`${jobs} button >> text=ເພີ່ມ`);
  // The schema form's labels are Lao (strings/fields.json), not derived English.
  await page.waitForSelector(`${jobs} form label >> text=ຕຳແໜ່ງວຽກ`);
  assert.ok(!(await page.textContent(`${jobs} form`)).includes('Job title'), 'no English field label in Lao');
  await page.fill(`${jobs} form input[name=emp_JobTitle]`, 'Casino cleaner');
  await page.fill(`${jobs} form input[name="emp_PaidWage.amount"]`, '4500');
  await page.click(`${jobs} form button[type=submit]`);
  await page.waitForSelector(`${jobs} .field-error[data-field="emp_PaidWage.currency"]`);
  await page.selectOption(`${jobs} form select[name="emp_PaidWage.currency"]`, 'THB');
  await page.click(`${jobs} form button[type=submit]`);
  await page.waitForSelector(`${jobs} article.record >> text=Casino cleaner`);
  const claims = 'section[aria-labelledby=sec-claims]';
  await page.click(`${claims} button >> text=ເພີ່ມ`);
  await page.click(`${claims} form button[type=submit]`);
  await page.waitForSelector(`${claims} .field-error[data-field=clm_Kind]`);
  await page.selectOption(`${claims} form select[name=clm_Kind]`, 'CovidTest');
  await page.selectOption(`${claims} form select[name=clm_Direction]`, 'DemandedFromWorker');
  await page.selectOption(`${claims} form select[name=clm_Status]`, 'Demanded');
  await page.fill(`${claims} form input[name=clm_Amount]`, '3000');
  await page.selectOption(`${claims} form select[name=clm_Currency]`, 'THB');
  await page.selectOption(`${claims} form select[name=employment_episode_id]`, { label: 'Casino cleaner' });
  await check(page, 'case-claim-form');
  await page.click(`${claims} form button[type=submit]`);
  await page.waitForSelector(`${claims} article.record >> text=3000`);
  await page.click('nav a[href="/repatriations"]');
  await page.waitForSelector('.board .card >> text=ເມືອງຕົ້ນເຜິ້ງ');
  // Documents first: the step is refused until they are recorded.
  await page.click('.board section[aria-labelledby=col-Planned] .actions button');
  await page.waitForSelector('main [role=alert] >> text=rep_TravelDocumentStatus');
  await page.click('.board .card button.link');
  await page.selectOption('select[name=rep_TravelDocumentStatus]', 'NotRequired');
  await page.fill('input[name=rep_BorderCrossingPoint]', 'Houayxay - Chiang Khong');
  await page.click('.board .card form button[type=submit]');
  await page.waitForSelector('.board .card form', { state: 'detached' });
  await page.waitForLoadState('networkidle');
  await page.click('.board section[aria-labelledby=col-Planned] .actions button');
  await page.waitForSelector('.board section[aria-labelledby=col-DocumentsReady] .card');
  await check(page, 'repatriations');
  await page.click('nav a[href="/referrals"]');
  // Tabs by keyboard: focus the selected one, the arrow moves to the other.
  await page.focus('button[role=tab]#tab-inbox');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.getAttribute('#tab-outbox', 'aria-selected'), 'true');
  await page.waitForSelector('li.card.referral');
  await check(page, 'referrals-outbox');
  await signOut(page);

  // The supervisor finds the screening to decide among the tasks, and decides.
  await signIn(page, 'dmc.supervisor');
  await page.click('article[aria-labelledby=d-tasks] a');
  await page.waitForSelector('ol.timeline li');
  await page.click('ol.timeline button >> text=ຕັດສິນແຕກຕ່າງ');
  await page.selectOption('select[name=trafficking_status]', 'PossibleVictimOfTrafficking');
  await page.fill('ol.timeline input[name=reason]', 'Recruited by deception, passport held');
  await page.click('ol.timeline form button[type=submit]');
  await page.waitForSelector('dl.facts dd >> text=ອາດເປັນຜູ້ຖືກເຄາະຮ້າຍຈາກການຄ້າມະນຸດ');
  await check(page, 'case-supervisor');
  // The review queue of possible duplicates (issue 8).
  await page.click('nav a[href="/duplicates"]');
  await page.waitForSelector('main h1 >> text=ບຸກຄົນທີ່ອາດຊ້ຳກັນ');
  await page.waitForLoadState('networkidle');
  await check(page, 'duplicates');
  await signOut(page);

  // 5. The shelter accepts, then reaches the case.
  await signIn(page, 'shelter.worker');
  await check(page, 'dashboard-shelter');
  // The task to answer leads to the inbox.
  await page.click('article[aria-labelledby=d-tasks] a');
  await page.waitForSelector('li.card.referral');
  await check(page, 'referrals-inbox');
  await page.click('main .kinds button >> text=ການໂອນກໍລະນີ');
  await page.waitForSelector('main p.muted >> text=ບໍ່ພົບຫຍັງ');
  await page.click('main .kinds button >> text=ການສົ່ງຕໍ່');
  await page.waitForSelector('li.card.referral');
  await page.click('li.card.referral button >> text=ຮັບເອົາ');
  await page.waitForSelector('li.card.referral a >> text=ເປີດກໍລະນີ');
  await page.click('li.card.referral a >> text=ເປີດກໍລະນີ');
  await page.waitForSelector(`main h1 >> text=${LATIN}`);
  await check(page, 'case-shelter');
  await page.click('nav a[href="/repatriations"]');
  await page.waitForSelector('.board');
  await check(page, 'repatriations-shelter');

  // 6. Switch language without reload.
  await page.evaluate(() => (window.__noReload = true));
  await page.selectOption('.topbar select', 'en');
  await page.waitForSelector('nav a[href="/referrals"] >> text=Referrals');
  await page.waitForFunction(() => document.documentElement.lang === 'en', null, { timeout: 2000 });
  assert.equal(await page.evaluate(() => window.__noReload), true, 'no reload');
  await check(page, 'repatriations-en');
  for (const [lang, word] of [['th', 'การส่งต่อ'], ['zh', '转介'], ['vi', 'Chuyển tuyến'], ['my', 'လွှဲပြောင်း']]) {
    await page.selectOption('.topbar select', lang);
    await page.waitForSelector(`nav a[href="/referrals"] >> text=${word}`);
    if (lang === 'my') await check(page, 'repatriations-my');
    if (lang === 'zh') {
      // Chinese is drawn with the shipped Noto Sans CJK subset, fetched only now.
      const loaded = await page.evaluate(async () => {
        await document.fonts.ready;
        return [...document.fonts].some((f) => f.family.includes('Noto Sans SC ctims') && f.status === 'loaded');
      });
      assert.ok(loaded, 'the Chinese font subset is loaded for Chinese text');
    }
  }
  await page.selectOption('.topbar select', 'en');

  // 7. At 360 px: nothing wider than the screen, the menu opens.
  await page.setViewportSize({ width: 360, height: 740 });
  await page.click('.menu-button');
  await page.click('nav a[href="/cases"]');
  await page.waitForSelector('table.list');
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 360, `page is ${wide}px wide at 360px`);
  await check(page, 'cases-360px');
  await page.click(`table.list a >> text=${LATIN}`);
  await page.waitForSelector('ol.timeline li');
  const wideCase = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wideCase <= 360, `the case page is ${wideCase}px wide at 360px`);
  await check(page, 'case-360px');
  await signOut(page);

  // 8. The provincial police open an investigation and link her case.
  await page.setViewportSize({ width: 1280, height: 900 });
  await signIn(page, 'ppd.police');
  await page.click('nav a[href="/investigations"]');
  await page.click('main button >> text=Open an investigation');
  await page.fill('input[name=inv_Reference]', 'BK-PPD-2026-041');
  await page.check('input[name=inv_Offences] >> nth=0');
  await page.click('form[aria-labelledby=inv-title] button[type=submit]');
  await page.waitForSelector('main h1 >> text=BK-PPD-2026-041');
  await page.waitForSelector(`select[name=case_id] option >> text=${LATIN}`, { state: 'attached' });
  await page.selectOption('select[name=case_id]', { label: `ມະລິ ສີສຸວັນ · ${LATIN}` });
  await page.click('form[aria-labelledby=link-title] button[type=submit]');
  await page.waitForSelector('main ul.plain a >> text=Open the case');
  await page.click('main button >> text=Start investigating');
  await page.waitForSelector('main button >> text=Send to prosecution');
  await check(page, 'investigation');
  await signOut(page);

  // 9. Her agency protects the case; the police reach it only by breaking the glass.
  await signIn(page, 'dmc.worker');
  await page.click('nav a[href="/cases"]');
  await page.click(`table.list a >> text=${LATIN}`);
  await page.click('main button >> text=Protect this case');
  await page.waitForSelector('main .badge-protected');
  const caseUrl = page.url();
  await signOut(page);
  await signIn(page, 'ppd.police');
  await page.goto(caseUrl);
  await page.waitForSelector('main input[name=reason]');
  await check(page, 'break-glass');
  await page.fill('main input[name=reason]', 'Too short');
  await page.click('main form button[type=submit]');
  await page.waitForSelector('.field-error[data-field=reason]');
  await page.fill('main input[name=reason]', 'Prosecution hearing tomorrow: need the victim statement dates.');
  await page.click('main form button[type=submit]');
  await page.waitForSelector(`main h1 >> text=${LATIN}`);
  await check(page, 'case-after-break-glass');
  await signOut(page);
  await context.close();

  // 10. An analyst sees no names and no records, only statistics.
  {
    const ctx = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
    const p = await ctx.newPage();
    p.on('pageerror', (e) => failures.push('page error: ' + e.message));
    await signIn(p, 'nca.analyst');
    assert.equal(await p.locator('nav#nav a').count(), 2, 'an analyst has the dashboard and the statistics only');
    await check(p, 'dashboard-analyst');
    assert.ok(!(await p.textContent('body')).includes(LATIN), 'no names on the analyst dashboard');
    await p.goto(base + '/persons');
    await p.waitForSelector('main [role=alert]');
    assert.ok(!(await p.textContent('body')).includes(LATIN), 'no names for an analyst');
    await ctx.close();
  }

  // 11. An administrator signs in with a TOTP code and sees the users.
  if (adminSecret) {
    const admin = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
    const p = await admin.newPage();
    p.on('pageerror', (e) => failures.push('page error: ' + e.message));
    await p.goto(base + '/');
    await p.fill('input[name=username]', 'it.admin');
    await p.fill('input[name=password]', password);
    await p.click('form.signin button[type=submit]');
    await p.waitForSelector('input[name=totp_code]');
    await check(p, 'signin-totp');
    await p.fill('input[name=totp_code]', totp(adminSecret));
    await p.click('form.signin button[type=submit]');
    await p.waitForSelector('nav a[href="/admin"]');
    await p.click('nav a[href="/admin"]');
    await p.waitForSelector('main table.list >> text=shelter.worker');
    // The list table sorts by a column (both ways), saying so with aria-sort.
    const usernames = () => p.$$eval('main table.list tbody tr td:first-child', (tds) => tds.map((td) => td.textContent));
    await p.click('main table.list th button >> nth=0');
    await p.waitForSelector('main table.list th[aria-sort=ascending]');
    const up = await usernames();
    assert.deepEqual(up, [...up].sort((a, b) => a.localeCompare(b, 'lo', { numeric: true })), 'usernames ascending');
    await p.click('main table.list th button >> nth=0');
    await p.waitForSelector('main table.list th[aria-sort=descending]');
    assert.deepEqual(await usernames(), [...up].reverse(), 'usernames descending');
    await check(p, 'admin-users');
    await p.click('main tr:has-text("shelter.worker") button.link');
    await p.waitForSelector('main tr:has-text("shelter.worker") >> text=ປິດໃຊ້ງານ');
    await p.click('main tr:has-text("shelter.worker") button.link');
    await p.waitForSelector('main tr:has-text("shelter.worker") td >> text="ໃຊ້ງານ"');
    await p.click('main .tabs a[href="/admin/codelists"]');
    await p.selectOption('select[name=codelist]', 'sex');
    await p.waitForSelector('main table.list >> text=Female');
    await check(p, 'admin-codelists');
    // A new agency: refused with the fields named, then added, then renamed.
    await p.click('main .tabs a[href="/admin/agencies"]');
    await p.waitForSelector('main table.list >> text=BK-PPD');
    await p.click('main button:has-text("ເພີ່ມອົງການ")');
    await p.click('main form button[type=submit]');
    await p.waitForSelector('.field-error[data-field=org_Code]');
    await p.fill('main form input[name=org_Code]', 'bk-dmc-tlg');
    await p.fill('main form input[name=org_NameLo]', 'ຄະນະກຳມະການຄຸ້ມຄອງເມືອງຕົ້ນເຜິ້ງ 2');
    await p.fill('main form input[name=org_NameEn]', 'Test District Committee');
    await p.selectOption('main form select[name=org_Type]', 'LocalGovernmentOrganisation');
    await p.selectOption('main form select[name=org_Level]', { index: 1 });
    await check(p, 'admin-agency-form');
    await p.click('main form button[type=submit]');
    await p.waitForSelector('main table.list >> text=BK-DMC-TLG');
    await p.click('main tr:has-text("BK-DMC-TLG") button.link');
    await p.fill('main form input[name=org_NameEn]', 'Tonpheung Second District Committee');
    await p.click('main form button[type=submit]');
    await p.waitForSelector('main table.list >> text=Tonpheung Second District Committee');
    // A custom role, copied from the case worker's: built-in roles offer no edit.
    await p.click('main .tabs a[href="/admin/roles"]');
    await p.waitForSelector('main li.card >> text=case_worker');
    assert.equal(await p.locator('main li.card:has-text("case_worker ·") button:has-text("ແກ້ໄຂຂໍ້ມູນ")').count(), 0, 'built-in roles are read-only');
    await p.click('main li.card:has-text("case_worker ·") button:has-text("ສຳເນົາເປັນບົດບາດໃໝ່")');
    await p.waitForSelector('main form#role-form, main form[aria-labelledby=role-form]');
    assert.ok(await p.isChecked('main form input[name="cases.create"]'), 'the copy starts with the case worker permissions');
    await p.fill('main form input[name=code]', 'Shelter Volunteer');
    await p.click('main form button[type=submit]');
    await p.waitForSelector('.field-error[data-field=code]');
    await p.fill('main form input[name=code]', 'shelter_volunteer');
    await p.uncheck('main form input[name="cases.create"]');
    await check(p, 'admin-role-form');
    await p.click('main form button[type=submit]');
    await p.waitForSelector('main li.card:has-text("shelter_volunteer ·")');
    assert.ok(!(await p.textContent('main li.card:has-text("shelter_volunteer ·")')).includes('cases: create'), 'saved without cases:create');
    // A new administrator, made here, enrols a second factor at first sign-in.
    await p.click('main .tabs a[href="/admin"]');
    await p.fill('input[name=username]', 'it.admin2');
    await p.fill('input[name=display_name]', 'IT Admin Two');
    await p.selectOption('select[name=agency]', 'NCATIP-SEC');
    await p.selectOption('select[name=role]', 'administrator');
    await p.fill('main input[name=password]', password);
    await p.click('main form button[type=submit]');
    await p.waitForSelector('main table.list >> text=it.admin2');
    await signOut(p);
    await p.fill('input[name=username]', 'it.admin2');
    await p.fill('input[name=password]', password);
    await p.click('form.signin button[type=submit]');
    await p.click('form.signin button[type=button]:not(.secondary)');
    const secret = (await p.textContent('.secret code')).replace(/\s/g, '');
    // The QR code for the authenticator app: a square of modules (version 1
    // is 21 x 21; the otpauth URI needs a larger one).
    await p.waitForSelector('svg.totp-qr path');
    const side = Number((await p.getAttribute('svg.totp-qr', 'viewBox')).split(' ')[2]) - 8;
    assert.ok(side >= 25 && (side - 17) % 4 === 0, `QR code of ${side} modules`);
    await check(p, 'totp-enrolment');
    await p.fill('input[name=code]', totp(secret));
    await p.click('form.signin button[type=submit]');
    await p.waitForSelector('nav a[href="/admin"]');
    await admin.close();
  } else {
    failures.push('no TOTP secret printed for the administrator');
  }

  // 11b. A data officer (second factor) exports the agency's cases as an
  // encrypted HTCDS archive from the statistics page; a short password is
  // refused next to the field.
  if (dataSecret) {
    const ctx = await browser.newContext({ bypassCSP: true, acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    const p = await ctx.newPage();
    p.on('pageerror', (e) => failures.push('page error: ' + e.message));
    await p.goto(base + '/');
    await p.fill('input[name=username]', 'dmc.data');
    await p.fill('input[name=password]', password);
    await p.click('form.signin button[type=submit]');
    await p.waitForSelector('input[name=totp_code]');
    await p.fill('input[name=totp_code]', totp(dataSecret));
    await p.click('form.signin button[type=submit]');
    await p.waitForSelector('nav a[href="/statistics"]');
    await p.click('nav a[href="/statistics"]');
    await p.waitForSelector('form.case-export');
    await p.fill('form.case-export input[name=password]', 'too short');
    await p.click('form.case-export button[type=submit]');
    await p.waitForSelector('form.case-export [id$=-error], form.case-export .field-error, form.case-export [aria-invalid=true]');
    await check(p, 'case-export-error');
    await p.fill('form.case-export input[name=password]', 'a long archive passphrase');
    const [download] = await Promise.all([p.waitForEvent('download'), p.click('form.case-export button[type=submit]')]);
    assert.equal(download.suggestedFilename(), 'ctims-htcds-cases.zip');
    const head = readFileSync(await download.path()).subarray(0, 2).toString('latin1');
    assert.equal(head, 'PK', 'the case export is a zip archive');
    await p.waitForSelector('form.case-export [role=status]');
    await check(p, 'case-export');
    await ctx.close();
  } else {
    failures.push('no TOTP secret printed for the data officer');
  }

  // 11c. Plan of action (issue 7) through the forms: the police (no
  // taskforce permission) sees no "new taskforce" button but issues a
  // directive; a taskforce member of the same agency creates a taskforce
  // (chair: its own agency), an objective, an activity (the error next to
  // the field first) and a progress update.
  {
    const ctx = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
    const p = await ctx.newPage();
    p.on('pageerror', (e) => failures.push('page error: ' + e.message));
    await signIn(p, 'ppd.police');
    await p.click('nav a[href="/taskforces"]');
    await p.waitForSelector('main h1 >> text=ຄະນະສະເພາະກິດ ແລະ ແຜນດຳເນີນງານ');
    await p.waitForLoadState('networkidle');
    assert.equal(await p.locator('main button >> text=ສ້າງຄະນະສະເພາະກິດໃໝ່').count(), 0, 'no create button without the permission');
    await p.click('nav a[href="/directives"]');
    await p.click('main button >> text=ອອກຄຳສັ່ງ');
    const dir = 'form[aria-labelledby=new-directives]';
    await p.fill(`${dir} [name=dir_Subject]`, 'Check the casino dormitories');
    await p.fill(`${dir} textarea[name=dir_Text]`, 'Visit the dormitories of the SEZ casinos with the district committee and report.');
    await p.fill(`${dir} input[name=dir_DueDate]`, '2030-01-31');
    await p.click(`${dir} button[type=submit]`);
    await p.waitForSelector(`${dir} .field-error[data-field=recipients]`);
    await p.check(`${dir} input[name=recipients] >> nth=0`);
    await check(p, 'directive-form');
    await p.click(`${dir} button[type=submit]`);
    await p.waitForSelector('main article h2 >> text=Check the casino dormitories');
    await check(p, 'directives-issued');
    await signOut(p);

    await signIn(p, 'ppd.taskforce');
    await p.click('nav a[href="/taskforces"]');
    await p.click('main button >> text=ສ້າງຄະນະສະເພາະກິດໃໝ່');
    const tfc = 'form[aria-labelledby=new-taskforces]';
    await p.fill(`${tfc} input[name=tfc_Code]`, 'BK-TF-E2E');
    await p.fill(`${tfc} input[name=tfc_NameLo]`, 'ຄະນະສະເພາະກິດທົດສອບ');
    await p.fill(`${tfc} input[name=tfc_NameEn]`, 'Test taskforce');
    await p.fill(`${tfc} input[name=tfc_PlanStart]`, '2026-01-01');
    await p.fill(`${tfc} input[name=tfc_PlanEnd]`, '2027-12-31');
    await check(p, 'taskforce-form');
    await p.click(`${tfc} button[type=submit]`);
    await p.click('main a >> text=ຄະນະສະເພາະກິດທົດສອບ');
    await p.click('main button >> text=ເພີ່ມຈຸດປະສົງ');
    const obj = 'form[aria-labelledby=new-plan-objectives]';
    await p.fill(`${obj} input[name=obj_Code]`, 'O1');
    await p.fill(`${obj} [name=obj_Title]`, 'Workers get the wages they are owed');
    await p.check(`${obj} input[name=obj_Problems] >> nth=0`);
    // A reload (or an expired session) loses nothing: the form opens again
    // with its draft.
    await p.reload();
    await p.waitForSelector(`${obj} [name=obj_Title]`);
    assert.equal(await p.inputValue(`${obj} [name=obj_Title]`), 'Workers get the wages they are owed', 'the draft survives a reload');
    await check(p, 'objective-form');
    await p.click(`${obj} button[type=submit]`);
    await p.waitForSelector('main article h3 >> text=O1. Workers get the wages they are owed');
    await p.click('main button >> text=ເພີ່ມກິດຈະກຳ (O1)');
    const act = 'main form[aria-labelledby^=new-act-]';
    assert.ok((await p.textContent(act)).includes('ອົງການຮັບຜິດຊອບ'), 'Lao field label in the activity form');
    await p.fill(`${act} input[name=act_StartDate]`, '2026-02-01');
    await p.fill(`${act} input[name=act_EndDate]`, '2026-06-30');
    await p.click(`${act} button[type=submit]`);
    await p.waitForSelector(`${act} .field-error[data-field=act_Title]`);
    await check(p, 'activity-form-error');
    await p.fill(`${act} [name=act_Title]`, 'Recover unpaid wages with the labour office');
    await p.selectOption(`${act} select[name=responsible_agency_id]`, { index: 1 });
    await p.check(`${act} input[name=act_PartnerAgencyIds] >> nth=1`);
    await p.fill(`${act} input[name=act_BudgetAmount]`, '15000000');
    await p.selectOption(`${act} select[name=act_BudgetCurrency]`, 'LAK');
    await p.click(`${act} button[type=submit]`);
    const card = 'main .tf-board li >> text=Recover unpaid wages with the labour office';
    await p.waitForSelector(card);
    await p.click('main .tf-board li button >> text=ເພີ່ມຄວາມຄືບໜ້າ');
    await p.fill('main .tf-board li form textarea[name="act_Progress[0].prg_Note"]', 'First 12 workers paid');
    await p.click('main .tf-board li form button[type=submit]');
    await p.waitForSelector('main .tf-board li details summary');
    await check(p, 'plan-with-activity');
    // An indicator computed by a named query: the query is required once
    // the source is Query (its field appears then).
    await p.click('main button >> text=ເພີ່ມຕົວຊີ້ວັດ (O1)');
    const ind = 'main form[aria-labelledby^=new-ind-]';
    await p.fill(`${ind} [name=ind_Name]`, 'Persons repatriated this year');
    await p.fill(`${ind} input[name=ind_Target]`, '100');
    assert.equal(await p.locator(`${ind} select[name=ind_Query]`).count(), 0, 'no query for a manual indicator');
    await p.selectOption(`${ind} select[name=ind_Source]`, 'Query');
    await p.fill(`${ind} input[name=ind_Location]`, 'LA-BK');
    await p.click(`${ind} button[type=submit]`);
    await p.waitForSelector(`${ind} .field-error[data-field=ind_Query]`);
    await p.selectOption(`${ind} select[name=ind_Query]`, { index: 1 });
    await p.click(`${ind} button[type=submit]`);
    await p.waitForSelector('main table.list td >> text=Persons repatriated this year');
    // A meeting with its decisions (one a line) and a follow-up action.
    await p.click('main button >> text=ບັນທຶກກອງປະຊຸມ');
    const mtg = 'form[aria-labelledby=new-taskforce-meetings]';
    await p.fill(`${mtg} input[name=mtg_Date]`, '2026-03-15');
    await p.fill(`${mtg} input[name=mtg_Place]`, 'Houayxay, provincial hall');
    await p.check(`${mtg} input[name=mtg_Attendees] >> nth=0`);
    await p.fill(`${mtg} textarea[name=mtg_Decisions]`, 'Visit the SEZ dormitories\nMeet the labour office');
    await p.click(`${mtg} button >> text=ເພີ່ມວຽກຕິດຕາມ`);
    await p.fill(`${mtg} [name="mtg_FollowUps[0].fup_Action"]`, 'List the workers owed wages');
    await check(p, 'meeting-form');
    await p.click(`${mtg} button[type=submit]`);
    await p.waitForSelector('main article h3 >> text=Houayxay, provincial hall');
    await p.waitForSelector('main article li >> text=Meet the labour office');
    await p.waitForSelector('main article li >> text=List the workers owed wages');
    await check(p, 'plan-with-meeting');
    await ctx.close();
  }

  // 12. On the demo caseload, the statistics page shows the Bokeo report's
  // figures (DESIGN.md §1): 1,255 persons assisted by 2022-09-01, 493 women,
  // 248 victims of cases the provincial police resolved.
  {
    const demoDb = join(dir, 'demo.db');
    ctims(['demo', '--db', demoDb, '--key-file', key]);
    addUser('demo.analyst', 'NCATIP-SEC', 'analyst', demoDb);
    const demo = await startServer(demoDb);
    try {
      const ctx = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
      const p = await ctx.newPage();
      p.on('pageerror', (e) => failures.push('page error: ' + e.message));
      await signIn(p, 'demo.analyst', demo.base);
      // The dashboard carries the report with its filters: Bokeo until 2022-09-01.
      await p.waitForSelector('main section[aria-labelledby=dash-stats] [data-figure=persons]');
      await p.fill('main section[aria-labelledby=dash-stats] input[name=location]', 'LA-BK');
      await p.fill('main section[aria-labelledby=dash-stats] input[name=to]', '2022-09-01');
      await p.click('main section[aria-labelledby=dash-stats] form button[type=submit]');
      await p.waitForFunction(() => document.querySelector('main [data-figure=persons]')?.textContent.replace(/\D/g, '') === '1255');
      await check(p, 'dashboard-analyst-figures');
      await p.goto(demo.base + '/statistics?location=LA-BK&to=2022-09-01');
      await p.waitForSelector('main [data-figure=persons]');
      const figure = async (name) => (await p.textContent(`main [data-figure=${name}]`)).replace(/\D/g, '');
      assert.equal(await figure('persons'), '1255', 'persons assisted in Bokeo by 2022-09-01');
      assert.equal(await figure('women'), '493', 'women among them');
      assert.equal(await figure('resolved'), '248', 'victims of cases resolved by the provincial police');
      await check(p, 'statistics-assistance');
      // Agency types in Lao, and the assisted-by view on request: the
      // district committees' row counts more persons there (referrals).
      const dmcRow = () => p.textContent('main table.list tbody tr:has-text("ຄະນະຄຸ້ມຄອງຂັ້ນເມືອງ") td');
      const leadDmc = Number((await dmcRow()).replace(/\D/g, ''));
      await p.check('main input[name=view][value=assisted_by]');
      await p.waitForFunction((n) => {
        const row = [...document.querySelectorAll('main table.list tbody tr')].find((r) => r.textContent.includes('ຄະນະຄຸ້ມຄອງຂັ້ນເມືອງ'));
        return row && Number(row.querySelector('td').textContent.replace(/\D/g, '')) !== n;
      }, leadDmc);
      assert.equal(leadDmc, 869, 'the district committees lead 869 cases');
      await check(p, 'statistics-assisted-by');
      // The downloads are real files: an XLSX workbook (a zip) and a CSV.
      const fetched = async (name) =>
        p.evaluate(async (href) => {
          const r = await fetch(href);
          const bytes = new Uint8Array(await r.arrayBuffer());
          return { status: r.status, head: String.fromCharCode(...bytes.slice(0, 2)), size: bytes.length };
        }, await p.getAttribute(`main .downloads a >> text=${name}`, 'href'));
      const xlsx = await fetched('XLSX');
      assert.equal(xlsx.status, 200);
      assert.equal(xlsx.head, 'PK', 'the XLSX download is a zip container');
      const csv = await fetched('CSV');
      assert.equal(csv.status, 200);
      assert.ok(csv.size > 100, 'the CSV download has rows');
      await p.click('#tab-sdg');
      await p.waitForSelector('main [data-figure=sdg-total]');
      await check(p, 'statistics-sdg');
      await p.click('#tab-flows');
      await p.waitForSelector('main #stats-panel table.list');
      await check(p, 'statistics-flows');
      await ctx.close();
    } finally {
      demo.proc.kill('SIGTERM');
    }
  }
} catch (e) {
  failures.push(String(e && e.stack ? e.stack : e));
  for (const c of browser.contexts())
    for (const p of c.pages()) await p.screenshot({ path: join(shots, 'failure.png'), fullPage: true }).catch(() => {});
} finally {
  await browser.close();
  server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

if (failures.length) {
  console.error('web_e2e FAILED:\n' + failures.join('\n'));
  process.exit(1);
}
console.log(`web_e2e: ok (${shot} pages, screenshots in ${shots})`);
