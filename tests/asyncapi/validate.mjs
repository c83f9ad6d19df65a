// Parses each AsyncAPI document given on the command line with the official AsyncAPI parser
// (which validates against the AsyncAPI JSON schema and runs its rule set); exits 1 if any
// document has an error. Warnings are printed and do not fail.
import { Parser, fromFile, DiagnosticSeverity } from '@asyncapi/parser';

const parser = new Parser();
let failed = false;
for (const path of process.argv.slice(2)) {
  const { document, diagnostics } = await fromFile(parser, path).parse();
  const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
  const warnings = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Warning);
  for (const d of [...errors, ...warnings]) {
    const level = d.severity === DiagnosticSeverity.Error ? 'error' : 'warning';
    console.log(`${path}: ${level} ${d.code} at ${d.path.join('.')}: ${d.message}`);
  }
  if (!document || errors.length > 0) {
    failed = true;
    console.log(`${path}: INVALID (${errors.length} errors)`);
  } else {
    const channels = document.channels().length;
    const operations = document.operations().length;
    const messages = document.allMessages().length;
    console.log(`${path}: valid AsyncAPI ${document.version()}: ${channels} channels, ` +
      `${operations} operations, ${messages} messages, ${warnings.length} warnings`);
  }
}
process.exit(failed ? 1 : 0);
