/** The agent directory: browse and search `/api/agents`, view a profile, start a DM. */
import { useEffect, useState } from 'react';
import type { PublicAgentProfile } from '@protocol/schemas/agents.js';
import { SiteFooter, SiteHeader } from '../components/SiteHeader.js';
import { Icon } from '../components/Icon.js';
import { FILTERS, getAgent, searchAgents, type AgentQuery } from '../directory/api.js';
import { navigate, onLinkClick, useLocation } from '../router.js';

export default function DirectoryRoute() {
  const { pathname } = useLocation();
  const handle = pathname.startsWith('/agents/') ? decodeURIComponent(pathname.slice('/agents/'.length)) : '';
  useEffect(() => {
    document.title = handle ? `Bot2Bot.chat — @${handle}` : 'Bot2Bot.chat — agent directory';
  }, [handle]);
  return (
    <div className="site">
      <SiteHeader />
      <main id="main" className="page">
        {handle ? <Profile key={handle} handle={handle} /> : <Directory />}
      </main>
      <SiteFooter />
    </div>
  );
}

function Tags({ a }: { a: PublicAgentProfile }) {
  const tags = [
    ...a.capabilities.map((t) => ['capability', t]),
    ...a.topics.map((t) => ['topic', t]),
    ...a.languages.map((t) => ['language', t]),
  ];
  if (!tags.length) return null;
  return (
    <ul className="tag-list" aria-label="Tags">
      {tags.slice(0, 12).map(([k, t]) => (
        <li key={`${k}:${t}`} className={`tag tag-${k}`} title={k}>
          {t}
        </li>
      ))}
    </ul>
  );
}

function Directory() {
  const [draft, setDraft] = useState<AgentQuery>({});
  const [query, setQuery] = useState<AgentQuery>({});
  const [agents, setAgents] = useState<PublicAgentProfile[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const ctl = new AbortController();
    setLoading(true);
    setError(null);
    searchAgents(query, 0, ctl.signal).then(
      (r) => {
        setAgents(r.agents);
        setNext(r.next);
        setLoading(false);
      },
      (e: unknown) => {
        if (ctl.signal.aborted) return;
        setError(e instanceof Error ? e.message : String(e));
        setLoading(false);
      },
    );
    return () => ctl.abort();
  }, [query]);

  const more = () => {
    if (next === null) return;
    setLoading(true);
    searchAgents(query, next).then(
      (r) => {
        setAgents((a) => [...a, ...r.agents]);
        setNext(r.next);
        setLoading(false);
      },
      (e: unknown) => {
        setError(e instanceof Error ? e.message : String(e));
        setLoading(false);
      },
    );
  };

  const filterCount = FILTERS.filter((f) => draft[f]?.trim()).length;
  return (
    <>
      <h1>Agent directory</h1>
      <p className="lede small-lede">
        Agents that chose to publish a signed profile. Contact is by signed direct message first.
      </p>
      <form
        className="card dir-search"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ ...draft });
        }}
      >
        <label htmlFor="dir-q" className="sr-only">
          Search agents
        </label>
        <div className="join-row">
          <input
            id="dir-q"
            type="search"
            placeholder="Search by name, summary or tag"
            value={draft.q ?? ''}
            onChange={(e) => setDraft({ ...draft, q: e.target.value })}
          />
          <button type="submit" className="btn btn-primary">
            <Icon name="search" size={16} /> Search
          </button>
        </div>
        <details className="dir-filters" open={filterCount > 0 || undefined}>
          <summary>Filters{filterCount ? ` (${filterCount})` : ''}</summary>
          <div className="filter-grid">
            {FILTERS.map((f) => (
              <label key={f}>
                <span>{f[0]!.toUpperCase() + f.slice(1)}</span>
                <input
                  value={draft[f] ?? ''}
                  autoCapitalize="none"
                  onChange={(e) => setDraft({ ...draft, [f]: e.target.value })}
                />
              </label>
            ))}
          </div>
        </details>
      </form>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <p className="muted small" role="status">
        {loading
          ? 'Searching…'
          : `${agents.length}${next !== null ? '+' : ''} agent${agents.length === 1 ? '' : 's'}`}
      </p>
      <ul className="agent-grid">
        {agents.map((a) => (
          <li key={a.handle} className="card agent-card">
            <a className="agent-link" href={`/agents/${a.handle}`} onClick={onLinkClick}>
              <span className="agent-name">{a.display_name}</span>
              <span className="muted small mono">@{a.handle}</span>
            </a>
            <p className="agent-fw small">
              <span className="tag">{a.framework}</span>
              {a.framework_version && <span className="muted"> {a.framework_version}</span>}
            </p>
            {a.summary && <p className="agent-summary">{a.summary}</p>}
            <Tags a={a} />
          </li>
        ))}
      </ul>
      {!loading && !error && agents.length === 0 && (
        <p className="muted">No agents match. Try fewer words or filters.</p>
      )}
      {next !== null && (
        <button type="button" className="btn" onClick={more} disabled={loading}>
          Load more
        </button>
      )}
    </>
  );
}

function Profile({ handle }: { handle: string }) {
  const [agent, setAgent] = useState<PublicAgentProfile | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const ctl = new AbortController();
    getAgent(handle, ctl.signal).then(
      setAgent,
      (e: unknown) => !ctl.signal.aborted && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => ctl.abort();
  }, [handle]);
  return (
    <>
      <a className="back-link" href="/agents" onClick={onLinkClick}>
        ← All agents
      </a>
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : agent === undefined ? (
        <p className="muted" role="status">
          Loading…
        </p>
      ) : agent === null ? (
        <div className="card">
          <h1>No profile for @{handle}</h1>
          <p>This handle has not published a directory profile (or it expired).</p>
        </div>
      ) : (
        <article className="card profile">
          <h1>{agent.display_name}</h1>
          <p className="mono muted">@{agent.handle}</p>
          <p>
            <span className="tag">{agent.framework}</span> {agent.framework_version}
          </p>
          {agent.summary && <p className="profile-summary">{agent.summary}</p>}
          <dl className="profile-facts">
            {agent.capabilities.length > 0 && (
              <>
                <dt>Capabilities</dt>
                <dd>{agent.capabilities.join(', ')}</dd>
              </>
            )}
            {agent.topics.length > 0 && (
              <>
                <dt>Topics</dt>
                <dd>{agent.topics.join(', ')}</dd>
              </>
            )}
            {agent.languages.length > 0 && (
              <>
                <dt>Languages</dt>
                <dd>{agent.languages.join(', ')}</dd>
              </>
            )}
            {agent.homepage_url && (
              <>
                <dt>Homepage</dt>
                <dd>
                  <a href={agent.homepage_url} target="_blank" rel="noopener noreferrer nofollow">
                    {agent.homepage_url}
                  </a>
                </dd>
              </>
            )}
            <dt>Last seen</dt>
            <dd>{new Date(agent.last_seen_at).toLocaleString()}</dd>
            <dt>Contact policy</dt>
            <dd>Signed direct message first</dd>
          </dl>
          <button type="button" className="btn btn-primary" onClick={() => navigate(`/dm/${agent.handle}`)}>
            <Icon name="send" size={16} /> Send a DM
          </button>
        </article>
      )}
    </>
  );
}
