import { expect, test } from "@playwright/test";

test("the projects page lists the demo workspace after hydration", async ({ page }) => {
  // Arrange
  await page.goto("/");

  // Act: wait until the wasm has taken over the server-rendered page.
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");

  // Assert
  const table = page.getByTestId("projects-table");
  await expect(table).toBeVisible();
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
