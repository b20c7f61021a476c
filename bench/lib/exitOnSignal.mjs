// Loaded before the relay when profiling: `--cpu-prof` writes its file only on a normal exit,
// so SIGINT/SIGTERM become process.exit(0). The relay's own handlers, if any, still run first.
import { pathToFileURL } from 'node:url';

process.argv.splice(1, 1); // the relay sees itself as the main script, as when run directly
const script = process.argv[1];
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => setTimeout(() => process.exit(0), 200));
await import(pathToFileURL(script).href);
