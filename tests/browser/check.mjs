// Opens an svcq HTML report (default reports/sample/index.html) in headless
// Chromium and fails on: a console error, an image that does not load, any
// request that is not a file of the report, a missing landmark, a chart without
// a text alternative naming its content, a table header without scope, status
// colours below WCAG AA contrast, or charts that a printed A4 page would split.
// Saves a screenshot and a PDF beside the page's folder in $OUT (default
// target/browser).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const page_path = resolve(process.argv[2] ?? "reports/sample/index.html");
const out = resolve(process.env.OUT ?? "target/browser");
mkdirSync(out, { recursive: true });
const problems = [];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
page.on("console", (m) => { if (m.type() === "error") problems.push(`console error: ${m.text()}`); });
page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
const folder = pathToFileURL(resolve(page_path, "..")).href;
page.on("request", (r) => {
  if (!r.url().startsWith(folder)) problems.push(`request outside the report: ${r.url()}`);
});
page.on("requestfailed", (r) => problems.push(`failed: ${r.url()} (${r.failure()?.errorText})`));
await page.goto(pathToFileURL(page_path).href, { waitUntil: "load" });

const facts = await page.evaluate(() => {
  const luminance = (rgb) => {
    const [r, g, b] = rgb.match(/\d+/g).slice(0, 3).map(Number).map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a, b) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const background = luminance(getComputedStyle(document.body).backgroundColor) === 0
    && getComputedStyle(document.body).backgroundColor.includes("0, 0, 0, 0")
    ? "rgb(255, 255, 255)" : getComputedStyle(document.body).backgroundColor;
  const colours = {};
  for (const cls of ["pass", "warn", "fail", "nodata", "meta"]) {
    const probe = document.createElement("span");
    probe.className = cls;
    probe.textContent = "x";
    document.body.appendChild(probe);
    colours[cls] = contrast(getComputedStyle(probe).color, background);
    probe.remove();
  }
  return {
    landmarks: ["header", "main", "footer"].filter((t) => !document.querySelector(t)),
    images: [...document.images].map((i) => ({
      src: i.getAttribute("src"), loaded: i.complete && i.naturalWidth > 0,
      alt: i.getAttribute("alt") ?? "",
      caption: i.closest("figure")?.querySelector("figcaption")?.textContent ?? "",
    })),
    unscoped: [...document.querySelectorAll("th")].filter((th) => !th.getAttribute("scope")).length,
    colours,
    lang: document.documentElement.lang,
    title: document.title,
  };
});
if (facts.images.length === 0) problems.push("no charts on the page");
for (const img of facts.images) {
  if (!img.loaded) problems.push(`image does not load: ${img.src}`);
  // The text alternative names the content: longer than the caption, with numbers.
  if (img.alt.length <= img.caption.length || !/\d/.test(img.alt)) {
    problems.push(`alt text of ${img.src} does not describe the chart: "${img.alt}"`);
  }
}
for (const l of facts.landmarks) problems.push(`missing landmark <${l}>`);
if (facts.unscoped) problems.push(`${facts.unscoped} table header(s) without scope`);
for (const [cls, ratio] of Object.entries(facts.colours)) {
  if (ratio < 4.5) problems.push(`.${cls} contrast ${ratio.toFixed(2)} < 4.5 (WCAG AA)`);
}
if (!facts.lang) problems.push("no lang attribute");

await page.screenshot({ path: `${out}/report.png`, fullPage: true });
await page.emulateMedia({ media: "print" });
const split = await page.evaluate(() =>
  [...document.querySelectorAll("figure")].filter((f) => getComputedStyle(f).breakInside !== "avoid").length);
if (split) problems.push(`${split} chart(s) may be split across printed pages`);
await page.pdf({ path: `${out}/report.pdf`, format: "A4", printBackground: true });
await browser.close();

if (problems.length) {
  console.error(`${page_path}:\n  ` + problems.join("\n  "));
  process.exit(1);
}
console.log(`${page_path}: ${facts.images.length} charts, no console errors, no requests outside the report, ` +
  `landmarks, alt texts, header scopes, AA contrast (${Object.entries(facts.colours)
    .map(([c, r]) => `${c} ${r.toFixed(1)}`).join(", ")}), A4 print; screenshot ${out}/report.png`);
