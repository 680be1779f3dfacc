#!/usr/bin/env node
// Hangs like STM32_Programmer_CLI in -fwupgrade sometimes does (field report P22); ignores SIGTERM so the
// SIGKILL escalation is exercised too. Writes its pid (and its child's) so the test can check they are gone.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
process.on('SIGTERM', () => {});
const child = spawn(process.execPath, ['-e', 'const h = () => setTimeout(h, 1 << 30); h()'], { stdio: 'ignore' });
writeFileSync(process.env.PID_FILE, JSON.stringify({ pid: process.pid, child: child.pid }));
process.stdout.write('      -------------------------------------------------------------------\n                       STM32CubeProgrammer v2.17.0\n');
const hang = () => setTimeout(hang, 1 << 30);
hang();
