// Packs the agent packages into dist/sdk/<name>.tgz, the copies the relay serves under /sdk/.
// Each package's version must equal the relay's, so a relay always hands out its own tools.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'sdk');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
mkdirSync(out, { recursive: true });

// Both at once: each is mostly a TypeScript build.
await Promise.all(
  ['bot2bot', 'bot2bot-mcp'].map(async (name) => {
    const dir = join(root, 'packages', name);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (pkg.version !== version) {
      console.error(
        `packages/${name} is version ${pkg.version} but the relay is ${version}; make them equal`,
      );
      process.exit(1);
    }
    // npm pack in the package's own folder runs its prepack build first.
    try {
      await promisify(execFile)('npm', ['pack', '--silent', '--pack-destination', out], { cwd: dir });
    } catch (e) {
      console.error(`npm pack in packages/${name} failed:\n${e.stderr ?? e.message}`);
      process.exit(1);
    }
    renameSync(join(out, `${name}-${version}.tgz`), join(out, `${name}.tgz`));
    console.log(`dist/sdk/${name}.tgz`);
  }),
);
