import { expect, test, type Page } from "@playwright/test";

async function signInAsDemo(page: Page) {
  await page.goto("/login");
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("Username").fill("demo");
  await page.getByLabel("Password").fill("demo-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("username")).toHaveText("demo");
}

/** Reloads `page` until `check` passes: background jobs fill what the page shows. */
async function reloadUntil(page: Page, check: () => Promise<void>, timeout: number) {
  await expect(async () => {
    await page.reload();
    await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
    await check();
  }).toPass({ timeout, intervals: [1_000, 2_000, 3_000] });
}

test("a customer's conversation leads to an account whose deal is won, an action is accepted and its health is charted", async ({
  page,
}) => {
  // Background jobs (signals, actions, health) run while this journey waits for them.
  test.setTimeout(180_000);
  const suffix = Date.now().toString(36);
  const dealName = `Insights deal ${suffix}`;
  await signInAsDemo(page);

  // Arrange: a synced conversation with a known contact.
  await page.getByRole("link", { name: "Conversations", exact: true }).click();
  const withContact = page
    .getByTestId("conversations-table")
    .locator("tbody tr")
    .filter({ has: page.locator("td:nth-child(2) a") });
  await expect(withContact.first()).toBeVisible();
  await withContact.first().locator("td").first().getByRole("link").click();
  await expect(page.getByRole("heading", { name: /Conversation #\d+/ })).toBeVisible();

  // Act 1: open the contact's account, or create one from the contact.
  const openAccount = page.getByRole("link", { name: "Open account", exact: true });
  const createFromContact = page.getByTestId("create-account-from-contact");
  await expect(openAccount.or(createFromContact)).toBeVisible();
  if (await openAccount.isVisible()) {
    await openAccount.click();
  } else {
    await expect(createFromContact.getByLabel("Account name")).not.toHaveValue("");
    await createFromContact.getByRole("button", { name: "Create account from this contact" }).click();
  }
  await expect(page).toHaveURL(/\/accounts\/[^/?#]+$/);
  const accountUrl = page.url();
  await expect(page.getByTestId("account-conversations")).toBeVisible();
  await expect(page.getByTestId("account-conversation").first()).toBeVisible();

  // Act 2: a deal on the account, moved through the board to Won.
  const createDeal = page.getByTestId("create-opportunity-form");
  await createDeal.getByLabel("Name").fill(dealName);
  await createDeal.getByLabel("Amount").fill("4200");
  await createDeal.getByRole("button", { name: "Create opportunity" }).click();
  await expect(page.getByTestId("account-opportunity").filter({ hasText: dealName })).toContainText("4200.00 EUR");
  await page.getByRole("link", { name: "Pipeline", exact: true }).click();
  const column = (stage: string) => page.locator(`[data-testid="board-column"][data-stage="${stage}"]`);
  const card = page.getByTestId("board-card").filter({ hasText: dealName });
  await expect(card).toBeVisible();
  for (const stage of ["Proposal", "Won"]) {
    await card.getByLabel("Move to").selectOption({ label: stage });
    await card.getByRole("button", { name: "Move" }).click();
    await expect(column(stage).getByTestId("board-card").filter({ hasText: dealName })).toBeVisible();
  }

  // Act 3: accept a next-best-action from the inbox (raised in the background from signals).
  await page.getByRole("link", { name: "Actions", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Next-best-actions" })).toBeVisible();
  const acceptable = page
    .getByTestId("nba-row")
    .filter({ has: page.getByRole("button", { name: "Accept", exact: true }) })
    .first();
  await reloadUntil(page, () => expect(acceptable).toBeVisible({ timeout: 2_000 }), 90_000);
  const actionId = await acceptable.getAttribute("data-id");
  expect(actionId).toBeTruthy();
  await acceptable.getByRole("button", { name: "Accept", exact: true }).click();
  const accepted = page.locator(`[data-testid="nba-row"][data-id="${actionId}"]`);
  await expect(accepted).toHaveAttribute("data-status", "ACCEPTED");
  await expect(accepted.getByTestId("nba-status")).toHaveText("Accepted");
  await expect(accepted.getByRole("button", { name: "Done", exact: true })).toBeVisible();
  await expect(accepted.getByRole("button", { name: "Accept", exact: true })).toHaveCount(0);

  // Assert: the account's health, computed in the background after the contact was linked,
  // is charted with its history.
  await page.goto(accountUrl);
  const chart = page.getByTestId("health-chart");
  await reloadUntil(page, () => expect(chart).toBeVisible({ timeout: 2_000 }), 45_000);
  await expect(chart).toHaveAttribute("aria-label", /Health score/);
  await expect(page.getByTestId("health-score")).toHaveText(/^\d+$/);
  await expect(page.getByTestId("health-band")).toHaveText(/Healthy|At risk|Critical/);
  await expect(page.getByTestId("health-measures").locator("tbody tr")).toHaveCount(5);
});

test("the signals feed shows only the chosen type and status", async ({ page }) => {
  test.setTimeout(120_000);
  await signInAsDemo(page);
  await page.getByRole("link", { name: "Signals", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Signals" })).toBeVisible();

  // Arrange: signals detected (in the background) from the demo conversations.
  const rows = page.getByTestId("signal-row");
  await reloadUntil(page, () => expect(rows.first()).toBeVisible({ timeout: 2_000 }), 90_000);
  const type = (await rows.first().getAttribute("data-type")) ?? "";
  const status = (await rows.first().getAttribute("data-status")) ?? "";
  expect(type).not.toEqual("");

  // Act
  const filter = page.getByTestId("signals-filter");
  await filter.getByLabel("Type").selectOption(type);
  await filter.getByLabel("Status").selectOption(status);
  await filter.getByRole("button", { name: "Apply" }).click();

  // Assert: the filter is kept, and every listed signal matches it.
  await expect(page).toHaveURL(new RegExp(`type=${type}.*status=${status}`));
  await expect(filter.getByLabel("Type")).toHaveValue(type);
  await expect(filter.getByLabel("Status")).toHaveValue(status);
  await expect(rows.first()).toBeVisible();
  for (const row of await rows.all()) {
    await expect(row).toHaveAttribute("data-type", type);
    await expect(row).toHaveAttribute("data-status", status);
    await expect(row.getByRole("link", { name: "Open message" })).toHaveAttribute("href", /^\/conversations\/[^#]+#/);
  }
});
