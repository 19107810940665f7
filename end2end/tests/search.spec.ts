import { expect, test, type Page } from "@playwright/test";

async function signInAsDemo(page: Page) {
  await page.goto("/login");
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("Username").fill("demo");
  await page.getByLabel("Password").fill("demo-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("username")).toHaveText("demo");
}

test("the demo user finds a message by meaning and opens the conversation at it", async ({ page }) => {
  // Arrange: the demo sync's messages are chunked and embedded by the server's workers.
  await signInAsDemo(page);
  await page.getByRole("link", { name: "Search" }).click();
  await expect(page.getByTestId("embedding-status")).toBeVisible();

  // Act: ask the way a customer would; the background indexing may still be finishing.
  const results = page.getByTestId("search-result");
  await expect(async () => {
    await page.goto("/search?q=" + encodeURIComponent("the invoice shows a wrong VAT number"));
    await expect(results.first()).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 60_000 });

  // Assert: highlighted words in the snippet, and the link lands on that message.
  const first = results.first();
  await expect(first.locator("mark").first()).toBeVisible();
  await expect(first.locator(".snippet")).toContainText(/VAT|invoice/i);
  await first.locator(".result-head a").click();
  await expect(page.getByRole("heading", { name: /Conversation #\d+/ })).toBeVisible();
  expect(decodeURIComponent(page.url())).toMatch(/#cwmsg:/);
  await expect(page.locator(".thread .msg.msg-target")).toBeVisible();
  await expect(page.locator(".thread .msg.msg-target")).toContainText(/VAT|invoice/i);
});

test("the embedding status panel reports the demo project's chunks", async ({ page }) => {
  // Arrange
  await signInAsDemo(page);

  // Act
  await page.goto("/search");

  // Assert: every chunk accounted for, and the backlog drains to fully searchable.
  const panel = page.getByTestId("embedding-status");
  await expect(panel.getByTestId("embedding-progress")).toContainText(/chunks searchable by meaning/);
  await expect(panel.getByTestId("count-ready")).not.toHaveText("0", { timeout: 60_000 });
  await expect(panel.getByTestId("embedding-progress")).toContainText("(100 %)", { timeout: 60_000 });
  await expect(panel.getByTestId("count-failed")).toHaveText("0");
});
