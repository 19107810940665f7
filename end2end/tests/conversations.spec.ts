import { expect, test } from "@playwright/test";

test("the demo user reads a synced conversation thread and opens its contact", async ({ page }) => {
  // Arrange: the demo project was filled by the real sync from the fake Chatwoot.
  await page.goto("/login");
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("Username").fill("demo");
  await page.getByLabel("Password").fill("demo-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("username")).toHaveText("demo");

  // Act
  await page.getByRole("link", { name: "Conversations" }).click();
  const table = page.getByTestId("conversations-table");
  await expect(table.locator("tbody tr").first()).toBeVisible();
  await table.locator("tbody tr").first().locator("td").first().getByRole("link").click();

  // Assert: a thread with messages, then the contact page with their conversations.
  await expect(page.getByRole("heading", { name: /Conversation #\d+/ })).toBeVisible();
  await expect(page.getByTestId("thread").locator("li").first()).toBeVisible();
  await page.locator("p.muted a").first().click();
  await expect(page.getByRole("heading", { level: 2, name: "Conversations" })).toBeVisible();
  await expect(page.getByTestId("conversations-table").locator("tbody tr").first()).toBeVisible();
});

test("settings show the demo source's sync status", async ({ page }) => {
  // Arrange
  await page.goto("/login");
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("Username").fill("demo");
  await page.getByLabel("Password").fill("demo-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("username")).toHaveText("demo");

  // Act
  await page.getByRole("link", { name: "Settings" }).click();

  // Assert
  await expect(page.getByTestId("sync-state").first()).toContainText(/last run ok|sync (queued|running)/);
});
