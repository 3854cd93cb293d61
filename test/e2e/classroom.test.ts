// A class, end to end in Debian's chromium, on the real class server (in-process, SQLite
// in a temporary folder) serving the built site: an instructor creates a class in the
// page, two students join in their own browser contexts, one solves step 1 and the other
// fails it, and the instructor's live grid shows both. The failing student checks again
// while offline: the report waits in the outbox and arrives once the network is back.
// The solving student submits, and the verified score the page shows is the server's own
// grading. The CSV export downloads and parses. One small lab (netns-veth), one page per person.
import AxeBuilder from '@axe-core/playwright';
import { parse } from 'csv-parse/sync';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClassView, SubmissionStatus } from '../../src/classroom/protocol.js';
import { loadGrader } from '../../src/classroom/queue.js';
import { catalogOf, openClassroom, type Classroom } from '../../src/classroom/server.js';
import { distDir } from '../../src/cli/static-server.js';
import { findLab, loadLabs } from '../../src/lab/load.js';
import { launchBrowser } from './browser.js';
import { check, typeInTerminal, waitForTerminals } from './page.js';

const LAB = 'netns-veth';
const lab = findLab(LAB);
const [step1, step2] = [lab.steps[0]!, lab.steps[1]!];

let dataDir: string;
let room: Classroom;
let url: string;
let browser: Browser;
const contexts: BrowserContext[] = [];
let teacher: Page;
let ana: Page;
let bo: Page;
let classId: string;
let secret: string;

async function person(name: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 800 }, acceptDownloads: true });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`${name}'s page error:`, error.message));
  return page;
}

/** What the server holds, read over its API with the instructor's secret. */
async function classView(): Promise<ClassView> {
  const response = await fetch(`${url}api/classes/${classId}`, { headers: { authorization: `Bearer ${secret}` } });
  expect(response.status).toBe(200);
  return response.json() as Promise<ClassView>;
}
const attemptsOf = async (name: string, stepId: string) =>
  (await classView()).students.find((s) => s.displayName === name)?.labs[LAB]?.steps[stepId]?.attempts ?? 0;

/** A cell of the instructor's grid: its state and attempts as the page shows them. */
async function cell(name: string, stepId: string): Promise<string> {
  const found = teacher.locator(`[data-testid="grid"][data-lab="${LAB}"] [data-testid="student-row"][data-student="${name}"] [data-testid="cell"][data-step="${stepId}"]`);
  if (!(await found.count())) return 'absent';
  return `${await found.getAttribute('data-state')}/${await found.getAttribute('data-attempts')}`;
}

async function joinClass(page: Page, joinLink: string, name: string): Promise<void> {
  await page.goto(joinLink);
  await page.fill('#display-name', name);
  await page.click('[data-testid="join-button"]');
  await page.locator(`[data-testid="class-labs"] a[data-lab="${LAB}"]`).click();
  await waitForTerminals(page);
  await page.locator('[data-testid="class-bar"]').waitFor();
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'podwire-classroom-e2e-'));
  const labs = loadLabs();
  room = await openClassroom({ dataDir, catalog: catalogOf(labs), grader: loadGrader(labs), graders: 1, site: distDir, logger: false });
  url = `${await room.app.listen({ port: 0, host: '127.0.0.1' })}/`;
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await room?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('a class in the browser', () => {
  let joinLink: string;

  it('an instructor creates a class in the page and opens its live view; the secret leaves the address', async () => {
    teacher = await person('the instructor');
    await teacher.goto(`${url}#/teach`);
    await teacher.fill('#class-name', 'Workshop e2e');
    await teacher.check(`[data-testid="class-lab-${LAB}"]`);
    await teacher.click('[data-testid="create-class-button"]');
    joinLink = await teacher.locator('[data-testid="join-link"]').inputValue();
    const instructorLink = await teacher.locator('[data-testid="instructor-link"]').inputValue();
    const [, id, key] = /#\/teach\/([^/]+)\/([^/]+)$/.exec(instructorLink) ?? [];
    [classId, secret] = [id!, key!];
    expect(joinLink).toMatch(/#\/join\/[\w-]{10,}$/);

    await teacher.goto(instructorLink);
    await teacher.locator('[data-testid="live"][data-live="true"]').waitFor();
    expect(teacher.url()).toBe(`${url}#/teach/${classId}`);
    expect(await teacher.locator('[data-testid="class-title"]').textContent()).toBe('Workshop e2e');
  });

  it('two students join; one solves step 1, the other fails it, and the grid shows both', async () => {
    ana = await person('Ana');
    bo = await person('Bo');
    await Promise.all([joinClass(ana, joinLink, 'Ana'), joinClass(bo, joinLink, 'Bo')]);

    await typeInTerminal(ana, 'node1', step1.solution.node1!);
    const checkedAt = Date.now();
    const [anaScore, boScore] = await Promise.all([check(ana), check(bo)]);
    expect(anaScore).toBe('Step passed');
    expect(boScore).toMatch(/0 of \d+ checks pass/);

    await expect.poll(() => cell('Ana', step1.id), { timeout: 20_000 }).toBe('passed/1');
    await expect.poll(() => cell('Bo', step1.id), { timeout: 20_000 }).toBe('attempted/1');
    console.log(`the grid showed both ${Date.now() - checkedAt} ms after the checks ended (as polled)`);
    // How live it is: from each Check (the report's own time) to the instructor's page hearing of it.
    const view = await classView();
    for (const name of ['Ana', 'Bo']) {
      const at = view.students.find((s) => s.displayName === name)!.labs[LAB]!.steps[step1.id]!.lastAt;
      const heard = Number(await teacher.locator(`[data-testid="student-row"][data-student="${name}"]`).getAttribute('data-received-at'));
      console.log(`${name}: Check -> the instructor's page ${heard - at} ms`);
    }
    expect(await cell('Ana', step2.id)).toBe('not-started/0');

    // A cell opens that student's last check report.
    await teacher.locator(`[data-testid="student-row"][data-student="Bo"] [data-step="${step1.id}"] button`).click();
    await expect.poll(() => teacher.locator('[data-testid="last-report-score"]').textContent()).toMatch(new RegExp(`^0 of ${step1.checks.length} checks passed`));
    const results = await teacher.locator('[data-testid="last-report"] li').allTextContents();
    expect(results).toHaveLength(step1.checks.length);

    // The page, with the grid and a report open, passes axe.
    const violations = (await new AxeBuilder({ page: teacher }).analyze()).violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`)).toEqual([]);
  });

  it('a check made offline waits in the outbox and reaches the server when the network is back', async () => {
    await bo.context().setOffline(true);
    try {
      expect(await check(bo)).toMatch(/0 of \d+ checks pass/);
      await bo.locator('[data-testid="outbox"][data-waiting="1"]').waitFor();
      expect(await attemptsOf('Bo', step1.id)).toBe(1);
    } finally {
      await bo.context().setOffline(false);
    }
    await bo.locator('[data-testid="outbox"][data-waiting="0"]').waitFor({ timeout: 30_000 });
    expect(await attemptsOf('Bo', step1.id)).toBe(2);
    await expect.poll(() => cell('Bo', step1.id), { timeout: 20_000 }).toBe('attempted/2');
    await bo.close(); // its node is not needed any more
  });

  it('a submission is graded on the server, and the page shows the score the server found', async () => {
    await ana.click('[data-testid="submit"]');
    await ana.locator('[data-testid="submission"][data-status="done"]').waitFor({ timeout: 400_000 });
    const shown = await ana.locator('[data-testid="verified-score"]');
    const [passed, total] = [Number(await shown.getAttribute('data-passed')), Number(await shown.getAttribute('data-total'))];

    // The server's own record of it.
    const { token, submissionId } = await ana.evaluate(({ classId, lab }) => ({
      token: (JSON.parse(localStorage.getItem('podwire-classes')!) as { token: string }[])[0]!.token,
      submissionId: localStorage.getItem(`podwire-submission:${classId}:${lab}`)!,
    }), { classId, lab: LAB });
    const response = await fetch(`${url}api/submissions/${submissionId}`, { headers: { authorization: `Bearer ${token}` } });
    const record = await response.json() as SubmissionStatus;
    expect(record.status).toBe('done');
    const steps = Object.values(record.verified ?? {});
    expect({ passed, total }).toEqual({ passed: steps.reduce((n, s) => n + s.passed, 0), total: steps.reduce((n, s) => n + s.total, 0) });
    // Step 1 was solved and step 2 was not: the server found exactly that, and no claim it could not find.
    expect(record.verified?.[step1.id]).toMatchObject({ passed: step1.checks.length, total: step1.checks.length });
    expect(record.verified?.[step2.id]?.passed).toBeLessThan(step2.checks.length);
    expect(record.mismatches ?? []).toEqual([]);
    await expect.poll(() => cell('Ana', step1.id), { timeout: 20_000 }).toMatch(/^verified\//);
  });

  it('the CSV export downloads and holds each student\'s self-reported and verified scores', async () => {
    const [download] = await Promise.all([teacher.waitForEvent('download'), teacher.click('[data-testid="export-csv"]')]);
    const rows = parse(readFileSync((await download.path())!, 'utf8'), { columns: true }) as Record<string, string>[];
    const row = (name: string) => rows.find((r) => r.student === name)!;
    expect(rows.map((r) => r.student).sort()).toEqual(['Ana', 'Bo']);
    expect(row('Ana')[`${LAB}/${step1.id} self-reported`]).toBe('1');
    expect(row('Ana')[`${LAB}/${step1.id} verified`]).toBe('1');
    expect(row('Bo')[`${LAB}/${step1.id} self-reported`]).toBe('0');
    expect(row('Bo')[`${LAB}/${step1.id} verified`]).toBe('');
  });
});
