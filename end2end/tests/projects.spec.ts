import { expect, test } from "@playwright/test";

async function signIn(page: import("@playwright/test").Page, username: string, password: string) {
  await page.goto("/login");
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("username")).toHaveText(username);
}

test("the demo user sees the demo workspace after signing in", async ({ page }) => {
  // Arrange / Act
  await signIn(page, "demo", "demo-password");

  // Assert
  const table = page.getByTestId("projects-table");
  await expect(table.getByRole("cell", { name: "Demo workspace" })).toBeVisible();
});

test("an unknown address answers 404 with a way back", async ({ page }) => {
  // Arrange / Act
  const response = await page.goto("/no-such-page");

  // Assert
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Back to projects" })).toBeVisible();
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the login form works before any wasm has loaded", async ({ page }) => {
    // Arrange
    await page.goto("/login");

    // Act: a plain HTML form post.
    await page.getByLabel("Username").fill("demo");
    await page.getByLabel("Password").fill("demo-password");
    await page.getByRole("button", { name: "Sign in" }).click();

    // Assert: redirected home, rendered on the server for the new session.
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByTestId("projects-table").getByRole("cell", { name: "Demo workspace" })).toBeVisible();
  });
});
