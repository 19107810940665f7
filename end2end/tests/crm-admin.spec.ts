import { expect, test, type Page } from "@playwright/test";

async function signInAsDemo(page: Page) {
  await page.goto("/login");
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("Username").fill("demo");
  await page.getByLabel("Password").fill("demo-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("username")).toHaveText("demo");
}

async function createAccount(page: Page, name: string) {
  await page.goto("/accounts");
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  const form = page.getByTestId("create-account-form");
  await form.getByLabel("Name").fill(name);
  const created = page.waitForResponse((r) => r.url().includes("crm/create-account") && r.ok());
  await form.getByRole("button", { name: "Create account" }).click();
  await created;
}

async function openAccount(page: Page, name: string, suffix: string) {
  await page.goto(`/accounts?text=${encodeURIComponent(suffix)}`);
  await page.getByRole("link", { name, exact: true }).click();
  await expect(page.getByRole("heading", { name, exact: true })).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
}

const stageNames = (page: Page) => page.getByTestId("stage-name").allInnerTexts();

test("an account is edited and given an owner, a stage is added and moved up, and a duplicate is merged into the account", async ({
  page,
}) => {
  // Arrange: two fresh accounts, the second a duplicate of the first.
  const suffix = Date.now().toString(36);
  const survivor = `Admin Corp ${suffix}`;
  const duplicate = `Admin Corp duplicate ${suffix}`;
  const industry = `Robotics ${suffix}`;
  const stage = `PW stage ${suffix}`;
  await signInAsDemo(page);
  await createAccount(page, survivor);
  await createAccount(page, duplicate);

  // Act + assert: edit the survivor's industry and hand it to the project's other member.
  await openAccount(page, survivor, suffix);
  await expect(page.getByTestId("account-owner")).toHaveText("nobody");
  const edit = page.getByTestId("edit-account-form");
  await edit.getByLabel("Industry").fill(industry);
  await edit.getByLabel("Owner").selectOption({ label: "approver" });
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByTestId("account-industry")).toHaveText(industry);
  await expect(page.getByTestId("account-owner")).toHaveText("approver");
  await expect(page.getByTestId("account-saved")).toBeVisible();

  // A new open stage lands after the last open stage; "up" moves it one place earlier.
  await page.getByRole("link", { name: "Pipeline", exact: true }).click();
  await page.getByTestId("manage-stages").click();
  await expect(page.getByRole("heading", { name: "Pipeline stages" })).toBeVisible();
  const create = page.getByTestId("create-stage-form");
  await create.getByLabel("Name").fill(stage);
  await create.getByLabel("Default probability (%)").fill("15");
  await create.getByRole("button", { name: "Add stage" }).click();
  const row = page.getByTestId("stage-row").filter({ hasText: stage });
  await expect(row).toContainText("15 %");
  await expect(row).toContainText("open");
  const before = (await stageNames(page)).indexOf(stage);
  expect(before).toBeGreaterThan(0);
  await page.getByRole("button", { name: `Move ${stage} up` }).click();
  await expect.poll(async () => (await stageNames(page)).indexOf(stage)).toBe(before - 1);
  // The stage's own button keeps the keyboard focus after the list re-renders.
  await expect(page.getByRole("button", { name: `Move ${stage} up` })).toBeFocused();
  // Tidy up: the stage has no opportunities, so it can go.
  await page.getByRole("button", { name: `Delete ${stage}` }).click();
  await expect(page.getByTestId("stage-row").filter({ hasText: stage })).toHaveCount(0);

  // Merge the duplicate into the survivor, confirming the warning.
  await openAccount(page, survivor, suffix);
  const merge = page.getByTestId("merge-form");
  await merge.getByLabel("Duplicate account to merge").selectOption({ label: duplicate });
  await merge.getByLabel(/Yes, merge the chosen account/).check();
  await merge.getByRole("button", { name: "Merge into this account" }).click();
  const result = page.getByTestId("merge-result");
  await expect(result).toContainText(`Merged “${duplicate}” into “${survivor}”`);
  await expect(page.getByRole("heading", { name: survivor, exact: true })).toBeVisible();

  // The merged account's page says where it went.
  await result.getByRole("link", { name: "See the merged record" }).click();
  await expect(page.getByRole("heading", { name: duplicate, exact: true })).toBeVisible();
  await expect(page.getByTestId("account-status")).toHaveText("merged");
  const notice = page.getByTestId("merged-notice");
  await expect(notice).toContainText(`This account was merged into ${survivor}`);
  await expect(page.getByTestId("merge-form")).toHaveCount(0);
  await notice.getByRole("link", { name: survivor }).click();
  await expect(page.getByRole("heading", { name: survivor, exact: true })).toBeVisible();
  await expect(page.getByTestId("account-status")).toHaveText("active");
});
