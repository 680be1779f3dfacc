#!/usr/bin/env node
// A scripted stand-in for STM32_Programmer_CLI used by the driver tests: STUB_SCRIPT is a JSON file of
// rules { match: regex over the argv joined by spaces, stdout, exitCode?, sleepMs?, times? }; the first
// rule that matches (and has uses left) answers. Every call is appended to STUB_CALLS as one JSON line.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';

const argv = process.argv.slice(2);
const line = argv.join(' ');
if (process.env.STUB_CALLS) appendFileSync(process.env.STUB_CALLS, JSON.stringify(argv) + '\n');
const rules = JSON.parse(readFileSync(process.env.STUB_SCRIPT, 'utf8'));
const usesFile = process.env.STUB_SCRIPT + '.uses.json';
const uses = existsSync(usesFile) ? JSON.parse(readFileSync(usesFile, 'utf8')) : {};
const i = rules.findIndex((r, n) => new RegExp(r.match).test(line) && (r.times === undefined || (uses[n] ?? 0) < r.times));
if (i < 0) {
  process.stdout.write(`stub: no rule for ${line}\n`);
  process.exit(99);
}
uses[i] = (uses[i] ?? 0) + 1;
writeFileSync(usesFile, JSON.stringify(uses));
const rule = rules[i];
process.stdout.write(rule.stdout ?? '');
if (rule.sleepMs === -1) {
  const hang = () => setTimeout(hang, 1 << 30); // hang forever
  hang();
}
else setTimeout(() => process.exit(rule.exitCode ?? 0), rule.sleepMs ?? 0);
