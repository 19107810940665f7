import { expect, test, type Page } from "@playwright/test";

async function signInAsDemo(page: Page) {
  await page.goto("/login");
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("Username").fill("demo");
  await page.getByLabel("Password").fill("demo-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("username")).toHaveText("demo");
}

test("an account's opportunity moves across the pipeline board and the totals follow", async ({ page }) => {
  // Arrange: a fresh account with one opportunity.
  const suffix = Date.now().toString(36);
  const accountName = `Playwright Corp ${suffix}`;
  const dealName = `Playwright deal ${suffix}`;
  await signInAsDemo(page);
  await page.getByRole("link", { name: "Accounts" }).click();
  const createAccount = page.getByTestId("create-account-form");
  await createAccount.getByLabel("Name").fill(accountName);
  await createAccount.getByLabel("Email domain").fill(`pw-${suffix}.example.com`);
  await createAccount.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("link", { name: accountName }).click();
  await expect(page.getByRole("heading", { name: accountName })).toBeVisible();
  const createDeal = page.getByTestId("create-opportunity-form");
  await createDeal.getByLabel("Name").fill(dealName);
  await createDeal.getByLabel("Amount").fill("1234.50");
  await createDeal.getByRole("button", { name: "Create opportunity" }).click();
  await expect(page.getByTestId("account-opportunity").filter({ hasText: dealName })).toContainText("1234.50 EUR");

  // Act: move it to Proposal, then to Won, with the keyboard-friendly select.
  await page.getByRole("link", { name: "Pipeline" }).click();
  const card = page.getByTestId("board-card").filter({ hasText: dealName });
  const column = (stage: string) => page.locator(`[data-testid="board-column"][data-stage="${stage}"]`);
  await expect(column("Lead").getByTestId("board-card").filter({ hasText: dealName })).toBeVisible();
  const openBefore = await page.getByTestId("open-totals").innerText();
  await card.getByLabel("Move to").selectOption({ label: "Proposal" });
  await card.getByRole("button", { name: "Move" }).click();
  await expect(column("Proposal").getByTestId("board-card").filter({ hasText: dealName })).toBeVisible();
  await expect(column("Proposal").getByTestId("column-totals")).toContainText("1234.50 EUR (weighted 617.25)");
  const openInProposal = await page.getByTestId("open-totals").innerText();
  await card.getByLabel("Move to").selectOption({ label: "Won" });
  await card.getByRole("button", { name: "Move" }).click();

  // Assert: it sits in Won, and the open forecast no longer counts it.
  await expect(column("Won").getByTestId("board-card").filter({ hasText: dealName })).toBeVisible();
  await expect(column("Proposal").getByTestId("board-card").filter({ hasText: dealName })).toHaveCount(0);
  expect(openInProposal).not.toEqual(openBefore);
  await expect(page.getByTestId("open-totals")).not.toHaveText(openInProposal);
});
