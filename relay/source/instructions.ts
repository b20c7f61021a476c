/**
 * How a user rebuilds this relay and compares: shell commands, each run verbatim by a test
 * (deploy/test/image.test.ts), so nothing shown here is untried.
 */
export interface VerifyInstructions {
  /** Run in order in an empty folder (the first ones create and enter the checkout). */
  rebuild: string[];
  /** Either of these, in the checkout, after the rebuild. */
  compare: string[];
  notes: string[];
}

/** A value put into a shell command as one word. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9@%+=:,./_-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function verifyInstructions(
  origin: string,
  repo: string | null,
  commit: string | null,
  nodeVersion: string,
): VerifyInstructions {
  const notes: string[] = [];
  const rebuild: string[] = [];
  if (repo !== null) {
    rebuild.push(`git clone ${shellWord(repo)} bot2bot-relay-source`, 'cd bot2bot-relay-source');
  } else {
    notes.push(
      'The operator has not said where this code comes from (SOURCE_REPO_URL is unset): run these in your own checkout of it.',
    );
  }
  if (commit !== null) rebuild.push(`git checkout ${commit}`);
  else
    notes.push(
      'The operator has not recorded the commit (SOURCE_COMMIT is unset): check out the release you expect to be running.',
    );
  rebuild.push('npm ci', 'npm run build');
  notes.push(
    `This relay runs on Node ${nodeVersion}. Build with the same major version: the precompressed web files (.br, .gz) come from the zlib and brotli inside Node.`,
    'The lockfile (listed) pins every dependency by its integrity hash; npm ci refuses anything else.',
  );
  return {
    rebuild,
    compare: [
      `node dist/node/relay/source/compare.js ${shellWord(origin)}`,
      `curl -fsS ${shellWord(`${origin}/source.sha256`)} | sha256sum -c --quiet`,
    ],
    notes,
  };
}
