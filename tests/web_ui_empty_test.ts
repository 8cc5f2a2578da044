/**
 * The admin web UI of a server whose engine has no funko yet (an engine of
 * the test's own: the host's has other people's), used from the keyboard
 * only: Tab to each field and button, the focus visible on each button, Enter
 * logs in, the empty state says how to make a first funko, Space logs out.
 * tests/web_ui_test.ts does the rest of the UI, with a funko.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { launchChromium } from "./browser.ts";
import { startTestEngine } from "./engine.ts";
import { fileTimeLimit, ROOT, tempFolder } from "./helpers.ts";
import { serve } from "./serve_helpers.ts";
import { focusRing, tabTo } from "./ui_helpers.ts";

fileTimeLimit(import.meta.url, { minutes: 5 });

const SHOTS = join(ROOT, ".test-artifacts", "ui");

Deno.test("the web UI with no funko, from the keyboard: log in, the first steps, log out", async (t) => {
  await using engine = await startTestEngine();
  await using work = await tempFolder();
  const password = crypto.randomUUID();
  await using server = await serve({ ...engine.env, FAASO_DATA: join(work.path, "data"), FAASO_PASSWORD: password });
  await Deno.mkdir(SHOTS, { recursive: true });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/admin/`);

    await t.step("Tab to the password, type it, Tab to Log in (its focus shows), Enter", async () => {
      const field = page.getByLabel("Admin password");
      await tabTo(page, field);
      await page.keyboard.type(password);
      const button = page.getByRole("button", { name: "Log in" });
      const unfocused = await button.evaluate(focusRing);
      await tabTo(page, button);
      assert.notEqual(await button.evaluate(focusRing), unfocused, "the focused button looks focused");
      await page.keyboard.press("Enter");
      await page.locator("h1", { hasText: "Funkos" }).waitFor();
    });

    await t.step("the empty state says there is no funko and how to make one", async () => {
      const empty = page.locator("#empty");
      assert.match(await empty.locator("h2").innerText(), /No funkos yet/);
      const steps = await empty.locator("pre").innerText();
      assert.match(steps, /faaso new -r deno hello\n[\s\S]*faaso build hello\nfaaso up hello/);
      assert.equal(await page.locator("table").count(), 0, "no funko table");
      await page.screenshot({ path: join(SHOTS, "empty.png"), fullPage: true });
    });

    await t.step("Tab to Log out (its focus shows) and press Space: logged out", async () => {
      const button = page.getByRole("button", { name: "Log out" });
      const unfocused = await button.evaluate(focusRing);
      await tabTo(page, button);
      assert.notEqual(await button.evaluate(focusRing), unfocused, "the focused button looks focused");
      await page.keyboard.press("Space");
      await page.waitForURL(/\/admin\/login$/);
      await page.goto(`${server.url}/admin/`);
      assert.match(page.url(), /\/admin\/login$/, "the session is over");
    });
  } finally {
    await browser.close();
  }
});
