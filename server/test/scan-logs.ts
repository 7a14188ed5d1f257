// Run after the whole suite (`npm test`): no secret may appear in any log line the servers wrote.
import { existsSync } from 'node:fs';
import { scanDirectory } from './kit/secrets-scan.ts';
import { LOGS_DIR } from './setup/paths.ts';

if (!existsSync(LOGS_DIR)) {
  process.stderr.write(`scan-logs: no logs at ${LOGS_DIR}; run the test suite first\n`);
  process.exit(1);
}
const { files, lines, findings } = scanDirectory(LOGS_DIR);
if (lines === 0) {
  process.stderr.write('scan-logs: the suite wrote no log lines; the scan would prove nothing\n');
  process.exit(1);
}
if (findings.length) {
  for (const f of findings) process.stderr.write(`scan-logs: ${f.kind} in ${f.file} line ${f.line}\n`);
  process.exit(1);
}
process.stdout.write(`scan-logs: ${lines} log lines in ${files} files, no secrets\n`);
