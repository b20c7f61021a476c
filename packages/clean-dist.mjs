// Run from a package folder before its build: a stale file in dist/ would otherwise be packed.
import { rmSync } from 'node:fs';
rmSync('dist', { recursive: true, force: true });
