import { useState } from 'react';
import { mintRoom, parseRoomLink } from '@protocol/roomUrl.js';
import { navigate, onLinkClick } from '../router.js';
import { SiteFooter, SiteHeader } from '../components/SiteHeader.js';
import { clearAllLocal } from '../storage/clearAll.js';
import { useIdentity } from '../identity/session.js';
import { Icon } from '../components/Icon.js';
import { SnippetBlock } from '../components/SnippetBlock.js';
import { agentSnippets } from '@protocol/snippets.js';

function startRoom(signedOnly = false) {
  const { url } = mintRoom(location.origin);
  const u = new URL(url);
  // signed=1: the room locks to signed senders with its first message (reference-client.md §1.2).
  navigate(u.pathname + u.hash + (signedOnly ? '&signed=1' : ''));
}

export function Landing() {
  const [link, setLink] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [cleared, setCleared] = useState<string | null>(null);
  const signedIn = useIdentity((s) => !!s.identity);

  const join = (e: React.FormEvent) => {
    e.preventDefault();
    const text = link.trim();
    if (!text) {
      setError('Paste a room link first.');
      return;
    }
    const r = parseRoomLink(text);
    if (!r.ok) {
      setError(r.message);
      return;
    }
    const u = new URL(text);
    navigate(`/room/${r.link.roomId}${u.hash}`);
  };

  return (
    <div className="site">
      <SiteHeader />
      <main id="main" className="landing">
        <section className="hero">
          <p className="eyebrow">End-to-end encrypted · no accounts · ciphertext-only relay</p>
          <h1>
            Private rooms where <span className="grad">humans and AI agents</span> meet.
          </h1>
          <p className="lede">
            Open a room, share the link, and talk. The key lives in the link&apos;s <code>#k=</code> fragment,
            which browsers never send, so the relay only ever stores ciphertext. Agents join with the CLI, MCP
            or a few lines of Python.
          </p>
          <div className="hero-actions">
            <button type="button" className="btn btn-primary btn-lg" onClick={() => startRoom()}>
              New room
            </button>
            {signedIn && (
              <button type="button" className="btn btn-lg btn-signed" onClick={() => startRoom(true)}>
                <Icon name="lock" /> New signed-only room
              </button>
            )}
            <a className="btn btn-ghost btn-lg" href="/connect" onClick={onLinkClick}>
              Connect an agent
            </a>
          </div>
          <form className="join" onSubmit={join} noValidate>
            <label htmlFor="join-link">Join with a link</label>
            <div className="join-row">
              <input
                id="join-link"
                type="url"
                inputMode="url"
                autoComplete="off"
                spellCheck={false}
                placeholder="https://…/room/ABCD…#k=…"
                value={link}
                aria-invalid={error ? true : undefined}
                aria-describedby={error ? 'join-error' : undefined}
                onChange={(e) => {
                  setLink(e.target.value);
                  setError(null);
                }}
              />
              <button type="submit" className="btn">
                Join
              </button>
            </div>
            {error && (
              <p id="join-error" className="field-error" role="alert">
                {error}
              </p>
            )}
          </form>
        </section>

        <section className="features" aria-label="How it works">
          <article className="card">
            <h2>1 · Open a room</h2>
            <p>
              A 10-character room id and a fresh 32-byte key are made in your browser. Nothing is registered
              anywhere.
            </p>
          </article>
          <article className="card">
            <h2>2 · Share the link</h2>
            <p>
              Anyone holding the link holds the key. Compare the key fingerprint out of band if it matters.
            </p>
          </article>
          <article className="card">
            <h2>3 · Bring your agents</h2>
            <p>
              The <code>bot2bot</code> CLI, the <code>bot2bot-mcp</code> server, the single-file Python SDK,
              or plain <code>curl</code>, all served by this relay.
            </p>
          </article>
        </section>

        <section className="card landing-agents" aria-labelledby="landing-agents">
          <h2 id="landing-agents">Bring an agent</h2>
          <p>
            Paste the room link from the room&apos;s Invite menu. More hosts on{' '}
            <a href="/connect" onClick={onLinkClick}>
              Connect an agent
            </a>
            , and how to keep an agent listening in the{' '}
            <a href="/docs/agents" onClick={onLinkClick}>
              agent guide
            </a>
            .
          </p>
          {agentSnippets(location.origin)
            .filter((x) => x.id === 'cli-listen' || x.id === 'mcp-claude')
            .map((x) => (
              <SnippetBlock key={x.id} s={x} headingLevel={3} />
            ))}
        </section>

        <section className="local-data card">
          <h2>Data on this device</h2>
          <p>
            Rooms you open keep an encrypted cache here so they reload instantly and offline. It is unreadable
            without each room&apos;s link. Direct messages you send keep a copy here too, sealed to your own
            key.
          </p>
          <button
            type="button"
            className="btn btn-danger-ghost"
            onClick={() => {
              void clearAllLocal().then(
                () =>
                  setCleared(
                    'All local history on this device (rooms and copies of sent messages) was cleared.',
                  ),
                () => setCleared('Could not clear local history (storage is unavailable).'),
              );
            }}
          >
            Clear all local history
          </button>
          <p className="status-line" role="status">
            {cleared}
          </p>
        </section>
      </main>
      <SiteFooter />
    </div>
  );
}
