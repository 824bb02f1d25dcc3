import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalStateStore } from '../../lib/state';
import { runQuery } from '../../lib/warehouse/duckdb';
import { ISSUE_COLUMNS, STATE_CHANGE_COLUMNS } from '../../lib/warehouse/schema';
import { schemaMarkdown } from '../../lib/warehouse/schema-doc';
import { HOUR, startHarness } from '../support/harness';

const readme = await readFile(resolve(import.meta.dirname, '../../README.md'), 'utf8');

describe('the README', () => {
  it('opens with exactly the two set-up commands', () => {
    expect(readme).toMatch(/^# error-tracking-export\n\n```\nnpm ci && npm start\nnpm test\n```\n/);
  });

  it('documents every warehouse column exactly as the writer defines it', () => {
    expect(readme).toContain(schemaMarkdown(ISSUE_COLUMNS));
    expect(readme).toContain(schemaMarkdown(STATE_CHANGE_COLUMNS));
  });

  it('has SQL examples that run on a real warehouse', async () => {
    const examples = [...readme.matchAll(/```sql\n([\s\S]*?)```/g)].map((match) => match[1]!);
    expect(examples.length).toBeGreaterThanOrEqual(3);
    const harness = await startHarness({ distribution: 'uniform', issues: 200, services: 4, seed: 41 });
    const stateDirectory = await mkdtemp(join(tmpdir(), 'ete-readme-'));
    try {
      const stateTracking = { store: createLocalStateStore(stateDirectory), recheckMaxAgeMs: 0 };
      await harness.export({}, {}, { stateTracking });
      const resolved = harness.simulator.org.issues.filter((issue) => issue.state === 'OPEN').slice(0, 5);
      for (const issue of resolved) harness.simulator.setIssueState(issue.id, 'RESOLVED');
      const { to } = harness.simulator.org;
      await harness.export({ from: to - HOUR, to }, {}, { stateTracking });
      const warehouse = await harness.warehouse();
      for (const sql of examples) {
        const adapted = sql.replaceAll("'checkout'", `'${harness.simulator.org.services[0]}'`);
        await expect(runQuery(warehouse.connection, adapted), sql).resolves.toBeDefined();
      }
      const [timeToResolve] = examples.filter((sql) => sql.includes('median_hours_to_resolve'));
      expect((await runQuery(warehouse.connection, timeToResolve!)).rows.length).toBeGreaterThan(0);
    } finally {
      await harness.close();
      await rm(stateDirectory, { recursive: true, force: true });
    }
  });
});
