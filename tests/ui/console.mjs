// Browser test of mamori's admin console, run by tests/ui.rs:
//   node tests/ui/console.mjs <base-url>
// with MAMORI_AUDITOR, MAMORI_STAFF, MAMORI_BLOCKED_ID, MAMORI_XSS_ID and
// MAMORI_SHOTS (screenshot folder) in the environment. Drives Debian's
// chromium through playwright-core; prints "ui: ok" and exits 0 on success.
import { chromium } from "playwright-core";
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const base = process.argv[2];
const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`missing ${k}`);
  return v;
};
const auditor = env("MAMORI_AUDITOR");
const staff = env("MAMORI_STAFF");
const blockedId = env("MAMORI_BLOCKED_ID");
const xssId = env("MAMORI_XSS_ID");
const shots = env("MAMORI_SHOTS");
mkdirSync(shots, { recursive: true });

const profile = mkdtempSync(join(tmpdir(), "mamori-ui-"));
const downloads = mkdtempSync(join(tmpdir(), "mamori-dl-"));
const steps = [];
const step = (s) => {
  steps.push(s);
  console.log(`ui: ${s}`);
};
function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
  viewport: { width: 1280, height: 900 },
  acceptDownloads: true,
  downloadsPath: downloads,
  locale: "ja-JP",
});
let dialogs = 0;
const cspViolations = [];
let failure = null;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("dialog", (d) => {
    dialogs += 1;
    d.dismiss().catch(() => {});
  });
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  const shot = async (name) => {
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  };
  const signIn = async (token) => {
    await page.goto(`${base}/admin/login`);
    await page.fill('input[name="token"]', token);
    await Promise.all([page.waitForLoadState("load"), page.click('form.login button[type="submit"]')]);
  };

  // A staff key is refused with a clear message.
  await page.goto(`${base}/admin/ui/logs`);
  check(page.url().endsWith("/admin/login"), "unsigned visit lands on the sign-in page");
  await shot("01-login");
  await signIn(staff);
  check(page.url().endsWith("/admin/login"), "staff key stays on the sign-in page");
  const refused = await page.textContent("p.error");
  check(refused.includes("職員用のAPIキーではサインインできません"), "staff refusal in Japanese");
  check(refused.includes("Staff API keys cannot sign in"), "staff refusal in English");
  await shot("02-login-staff-refused");
  step("staff key refused");

  // Sign in as auditor.
  await signIn(auditor);
  check(page.url().endsWith("/admin/ui/logs"), `auditor lands on the logs, got ${page.url()}`);
  const rowsAll = await page.locator("table.logs tbody tr").count();
  check(rowsAll >= 3, `several rows, got ${rowsAll}`);
  await shot("03-logs");
  step(`signed in as auditor; ${rowsAll} rows`);

  // Filter to the blocked request and open it.
  await page.selectOption('select[name="verdict"]', "blocked");
  await Promise.all([page.waitForURL(/verdict=blocked/), page.click('form.filters button[type="submit"]')]);
  const rows = page.locator("table.logs tbody tr");
  check((await rows.count()) === 1, "one blocked row");
  check((await rows.first().textContent()).includes("my_number"), "row lists the finding type");
  await shot("04-logs-blocked");
  await Promise.all([page.waitForURL(new RegExp(`/admin/ui/logs/${blockedId}$`)), rows.first().locator("a").first().click()]);
  const types = await page.locator("span.chip.finding").allTextContents();
  check(types.includes("my_number"), `finding types shown: ${types}`);
  check((await page.textContent("pre.text")).includes("[個人番号_1]"), "masked placeholder shown");
  check((await page.locator("mark.ph").count()) >= 1, "placeholder highlighted");
  await shot("05-detail-blocked");
  step("filtered to the blocked request and opened it");

  // A stored <script> prompt stays inert.
  await page.goto(`${base}/admin/ui/logs/${xssId}`);
  const pre = await page.textContent("pre.text");
  check(pre.includes("<script>window.__xss=1</script>"), "script shown as text");
  check((await page.evaluate(() => window.__xss)) === undefined, "window.__xss unset");
  check((await page.locator("main script, main img, main a[href^='javascript']").count()) === 0, "no live markup from the prompt");
  check(dialogs === 0, "no dialog fired");
  await shot("06-detail-xss");
  step("<script> prompt rendered inert");

  // Stats.
  await Promise.all([page.waitForURL(/\/admin\/ui\/stats/), page.click('a.nav[href="/admin/ui/stats"]')]);
  check((await page.locator("svg.chart").count()) >= 3, "charts drawn");
  check((await page.textContent("main")).includes("my_number"), "findings by type listed");
  await shot("07-stats");
  step("stats page");

  // Audit trail and exports.
  await Promise.all([page.waitForURL(/\/admin\/ui\/audit/), page.click('a.nav[href="/admin/ui/audit"]')]);
  check((await page.textContent("main")).includes("改ざんは検出されませんでした"), "chain intact");
  await shot("08-audit");
  const [csvDl] = await Promise.all([page.waitForEvent("download"), page.click('a[href^="/admin/ui/export?format=csv"]')]);
  const csvPath = join(downloads, "export.csv");
  await csvDl.saveAs(csvPath);
  const csv = readFileSync(csvPath, "utf8");
  check(csv.startsWith("\uFEFFseq,id,time,"), "CSV header after the BOM Excel needs");
  check(csv.includes(blockedId) && csv.includes(xssId), "CSV has the records");
  const [jsonlDl] = await Promise.all([page.waitForEvent("download"), page.click('a[href^="/admin/ui/export?format=jsonl"]')]);
  const jsonlPath = join(downloads, "export.jsonl");
  await jsonlDl.saveAs(jsonlPath);
  const recs = readFileSync(jsonlPath, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  check(recs.length === rowsAll, `JSONL has every record (${recs.length} of ${rowsAll})`);
  check(recs.some((r) => r.id === blockedId && r.verdict === "blocked"), "JSONL has the blocked record");
  step(`exports downloaded (${csvDl.suggestedFilename()}, ${jsonlDl.suggestedFilename()})`);

  // Use plans and a plan's report with its downloads.
  await Promise.all([page.waitForURL(/\/admin\/ui\/plans$/), page.click('a.nav[href="/admin/ui/plans"]')]);
  check((await page.textContent("table.logs")).includes("青"), "plan colour shown");
  await shot("10-plans");
  await Promise.all([page.waitForURL(/\/admin\/ui\/plans\/p-ui$/), page.click('a[href="/admin/ui/plans/p-ui"] >> nth=0')]);
  check((await page.textContent("main")).includes("利用実績"), "plan report shown");
  await shot("11-plan-report");
  const [mdDl] = await Promise.all([page.waitForEvent("download"), page.click('a[href^="/admin/ui/plans/p-ui/report?format=md"]')]);
  const mdPath = join(downloads, "report.md");
  await mdDl.saveAs(mdPath);
  check(readFileSync(mdPath, "utf8").includes("p-ui"), "Markdown report downloaded");
  step("use plans and report");

  // An auditor cannot reach an admin action.
  check((await page.locator('a.nav[href="/admin/ui/admin"]').count()) === 0, "no admin entry for auditors");
  const resp = await page.goto(`${base}/admin/ui/admin`);
  check(resp.status() === 403, `admin page is 403, got ${resp.status()}`);
  await shot("09-admin-refused");
  await page.goto(`${base}/admin/ui/logs`);
  const csrf = await page.getAttribute('input[name="csrf"]', "value");
  const post = await page.request.post(`${base}/admin/ui/admin/reload`, { form: { csrf }, maxRedirects: 0 });
  check(post.status() === 403, `admin action POST is 403, got ${post.status()}`);
  step("auditor refused admin actions");

  // Sign out.
  await Promise.all([page.waitForURL(/\/admin\/login$/), page.click('.who button[type="submit"]')]);
  await page.goto(`${base}/admin/ui/logs`);
  check(page.url().endsWith("/admin/login"), "signed out");
  step("signed out");

  check(dialogs === 0, "no dialog fired at all");
  check(cspViolations.length === 0, `no CSP violations: ${cspViolations.join(" | ")}`);
} catch (e) {
  failure = e;
} finally {
  await context.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
  rmSync(downloads, { recursive: true, force: true });
}
if (failure) {
  console.error(`ui: FAILED after [${steps.join("; ")}]: ${failure.stack ?? failure}`);
  process.exit(1);
}
console.log("ui: ok");
