import { expect, test, type Page } from "@playwright/test";

// The fake Telegram the server sends PINs to (started by scripts/test.sh).
const TELEGRAM = process.env.FAKE_TELEGRAM_URL ?? "http://127.0.0.1:3200";
const WEBHOOK_SECRET = process.env.REVINTEL_TELEGRAM_WEBHOOK_SECRET ?? "e2e-webhook-secret";

async function hydrated(page: Page) {
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
}

async function signIn(page: Page, username: string, password: string) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("username")).toHaveText(username);
}

async function signOut(page: Page) {
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page.getByRole("link", { name: "Sign in" }).first()).toBeVisible();
}

async function latestPin(): Promise<string> {
  const response = await fetch(`${TELEGRAM}/__fake/messages`);
  const messages: { chat_id: number; text: string }[] = await response.json();
  const match = messages.at(-1)?.text.match(/PIN: (\d{6})/);
  if (!match) throw new Error(`no PIN in ${JSON.stringify(messages)}`);
  return match[1];
}

test.describe.serial("a person joins, works in a project and uses a token", () => {
  const username = `pw-${Date.now().toString(36)}`;
  const password = "playwright-password-1";

  test("the admin connects the owner's Telegram chat", async ({ page, request }) => {
    // Arrange
    await signIn(page, "demo", "demo-password");
    await page.getByRole("link", { name: "Settings" }).click();
    const telegram = page.getByTestId("telegram-section");

    // Act: the admin makes a bind code; the owner sends it to the bot, which Telegram relays.
    await telegram.getByRole("button", { name: "Create a bind code" }).click();
    const command = await telegram.locator("code").first().textContent();
    expect(command).toMatch(/^\/start \S+$/);
    const relayed = await request.post("/webhooks/telegram", {
      headers: { "x-telegram-bot-api-secret-token": WEBHOOK_SECRET },
      data: { update_id: 1, message: { message_id: 1, chat: { id: 4242, type: "private" }, text: command } },
    });
    await page.reload();
    await hydrated(page);

    // Assert
    expect(relayed.status()).toBe(200);
    await expect(page.getByTestId("telegram-section")).toContainText("Connected");
    await signOut(page);
  });

  test("a visitor signs up with the PIN the owner received", async ({ page }) => {
    // Arrange
    await page.goto("/signup");
    await hydrated(page);

    // Act
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password (at least 10 characters)").fill(password);
    await page.getByRole("button", { name: "Request account" }).click();
    await expect(page.getByRole("heading", { name: "Enter your PIN" })).toBeVisible();
    await hydrated(page);
    await page.getByLabel("6-digit PIN").fill(await latestPin());
    await page.getByRole("button", { name: "Create account" }).click();

    // Assert
    await expect(page.getByText("Your account is ready")).toBeVisible();
  });

  test("the new user creates projects, switches between them, makes a token and logs out", async ({ page }) => {
    // Arrange
    await signIn(page, username, password);
    await expect(page.getByText("No projects yet")).toBeVisible();

    // Act: two projects; creating one makes it the working project.
    for (const name of ["Playwright North", "Playwright South"]) {
      await page.getByLabel("Project name").fill(name);
      await page.getByRole("button", { name: "Create project" }).click();
      await expect(page.getByTestId("projects-table").getByRole("cell", { name })).toBeVisible();
    }
    const switcher = page.getByTestId("project-switcher");
    await expect(switcher.locator("option:checked")).toHaveText("Playwright South");
    await switcher.selectOption({ label: "Playwright North" });
    const switched = page.waitForResponse((r) => r.url().includes("identity/switch-project") && r.ok());
    await page.getByRole("button", { name: "Switch" }).click();
    await switched;
    await expect(page.getByTestId("project-switcher").locator("option:checked")).toHaveText("Playwright North");

    // Opened directly: a nav click here could race the switch's redirect (it failed once so).
    await page.goto("/settings");
    await hydrated(page);
    await expect(page.getByText("Project: Playwright North")).toBeVisible();
    const tokens = page.getByTestId("tokens-section");
    await tokens.getByLabel("Token name").fill("e2e-token");
    await tokens.getByRole("button", { name: "Create token" }).click();
    const secret = await page.getByTestId("new-token").locator("code.secret").textContent();

    // Assert: shown once, then only its prefix.
    expect(secret).toMatch(/^rvi_/);
    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId("tokens-section")).toContainText("e2e-token");
    await expect(page.getByTestId("tokens-section")).not.toContainText(secret!);
    const api = await page.request.post("/graphql", {
      headers: { authorization: `Bearer ${secret}` },
      data: { query: "{ me { username activeProject { name } } }" },
    });
    expect((await api.json()).data.me).toEqual({ username, activeProject: { name: "Playwright North" } });
    await expect(page.getByTestId("tokens-section")).toContainText("read only");
    const write = await page.request.post("/graphql", {
      headers: { authorization: `Bearer ${secret}` },
      data: { query: 'mutation { createProject(input: { name: "Via token" }) { id } }' },
    });
    expect((await write.json()).errors[0].extensions.code).toBe("FORBIDDEN");
    await signOut(page);
  });

  test("the owner switches on four eyes and a tighter frequency cap in the project's rules", async ({ page }) => {
    // Arrange
    await signIn(page, username, password);
    await page.goto("/settings");
    await hydrated(page);
    const rules = page.getByTestId("rules-section");

    // Act
    await rules.getByLabel("Outbound messages need an approver other than their author").check();
    await rules.getByLabel("At most this many messages per contact…").fill("2");
    await rules.getByLabel("Opt-out phrases, one per line (empty: the built-in ones)").fill("stop\nno more");
    await rules.getByRole("button", { name: "Save rules" }).click();
    await expect(rules.getByRole("status")).toHaveText("Rules saved.");

    // Assert: still so after a reload, and the audit log names the change.
    await page.reload();
    await hydrated(page);
    const saved = page.getByTestId("rules-section");
    await expect(saved.getByLabel("Outbound messages need an approver other than their author")).toBeChecked();
    await expect(saved.getByLabel("At most this many messages per contact…")).toHaveValue("2");
    await expect(page.getByText("project.settings_updated").first()).toBeVisible();
    await signOut(page);
  });
});
