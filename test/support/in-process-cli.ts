/**
 * For a test file that runs copro's `main` in this process many times on one project: before all tests,
 * make the project, enter it, set the environment and capture stdout and stderr (interleaved, in `output`);
 * after all, put everything back. vitest runs each file in its own worker, so this stays inside the file.
 */
import { afterAll, beforeAll } from 'vitest';
import { makeProject, type Project } from '../hardening/helpers.js';

export interface InProcessCli {
  project: Project;
  /** Everything written to stdout and stderr, chunk by chunk; slice from a saved length to see one run's output. */
  output: string[];
  /** Writes to the real stdout (past the capture): for a figure the test run should print. */
  say(text: string): void;
}

export function useInProcessCli(prefix: string, env: (p: Project) => Record<string, string>): InProcessCli {
  const saved = { out: process.stdout.write, err: process.stderr.write, cwd: process.cwd(), env: {} as Record<string, string | undefined> };
  const cli = { output: [] as string[], say: (text: string) => void saved.out.call(process.stdout, text) } as InProcessCli;
  beforeAll(async () => {
    cli.project = await makeProject(prefix);
    saved.cwd = process.cwd();
    process.chdir(cli.project.root);
    const vars = env(cli.project);
    saved.env = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    Object.assign(process.env, vars);
    const take = ((chunk: string | Uint8Array) => (cli.output.push(String(chunk)), true)) as typeof process.stdout.write;
    process.stdout.write = take;
    process.stderr.write = take;
  });
  afterAll(async () => {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    process.chdir(saved.cwd);
    for (const [k, v] of Object.entries(saved.env)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await cli.project?.cleanup();
  });
  return cli;
}
