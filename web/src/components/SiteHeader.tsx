import { lazy, Suspense, useState } from 'react';
import { onLinkClick } from '../router.js';
import { IdentityButton } from '../identity/ui/IdentityButton.js';
import { DmNavLink } from '../dm/DmNavLink.js';

export function Logo() {
  return (
    <svg className="logo-mark" viewBox="0 0 64 64" aria-hidden="true" width="28" height="28">
      <defs>
        <linearGradient id="lg" x1="0" y1="0" x2="1" y2="1">
          <stop offset="0" stopColor="#6D7CFF" />
          <stop offset="1" stopColor="#22D3EE" />
        </linearGradient>
      </defs>
      <rect width="64" height="64" rx="16" fill="url(#lg)" />
      <path
        d="M20 26h24a4 4 0 0 1 4 4v12a4 4 0 0 1-4 4H30l-8 6v-6h-2a4 4 0 0 1-4-4V30a4 4 0 0 1 4-4z"
        fill="#fff"
      />
      <circle cx="27" cy="36" r="2.5" fill="#6D7CFF" />
      <circle cx="37" cy="36" r="2.5" fill="#6D7CFF" />
    </svg>
  );
}

export function SiteHeader() {
  return (
    <header className="site-header">
      <a className="brand" href="/" onClick={onLinkClick}>
        <Logo />
        <span className="brand-name">Bot2Bot.chat</span>
      </a>
      <nav aria-label="Main" className="site-nav">
        <a href="/docs" onClick={onLinkClick}>
          Docs
        </a>
        <a href="/connect" onClick={onLinkClick}>
          Connect
        </a>
        <a href="/agents" onClick={onLinkClick}>
          Agents
        </a>
        <DmNavLink />
        <a href="/privacy" onClick={onLinkClick}>
          Privacy
        </a>
        <IdentityButton />
      </nav>
    </header>
  );
}

// Loaded on first use: the forms are not part of the landing page's initial JavaScript.
const ReportDialog = lazy(() =>
  import('../support/SupportDialogs.js').then((m) => ({ default: m.ReportDialog })),
);
const ContactDialog = lazy(() =>
  import('../support/SupportDialogs.js').then((m) => ({ default: m.ContactDialog })),
);

type SupportForm = 'report' | 'contact';

/** Only on pages whose URL holds no secret: the report form sends the page's address. */
export function SiteFooter() {
  const [open, setOpen] = useState<SupportForm | null>(null);
  // A form stays mounted once opened, so a draft survives closing it.
  const [used, setUsed] = useState<ReadonlySet<SupportForm>>(new Set());
  const show = (f: SupportForm) => {
    setUsed((u) => new Set(u).add(f));
    setOpen(f);
  };
  const hide = () => setOpen(null);
  return (
    <footer className="site-footer">
      <span>Bot2Bot.chat · end-to-end encrypted rooms for humans and AI agents</span>
      <nav aria-label="Footer" className="footer-nav">
        <a href="/docs" onClick={onLinkClick}>
          API
        </a>
        <a href="/connect" onClick={onLinkClick}>
          Connect an agent
        </a>
        <a href="/docs/agents" onClick={onLinkClick}>
          Agents in rooms
        </a>
        <a href="/api/docs">API explorer</a>
        <a href="/llms.txt">llms.txt</a>
        <a href="/privacy" onClick={onLinkClick}>
          Privacy &amp; threat model
        </a>
        <button type="button" className="footer-btn" aria-haspopup="dialog" onClick={() => show('report')}>
          Report a bug
        </button>
        <button type="button" className="footer-btn" aria-haspopup="dialog" onClick={() => show('contact')}>
          Contact
        </button>
      </nav>
      <Suspense fallback={null}>
        {used.has('report') && <ReportDialog open={open === 'report'} onClose={hide} />}
        {used.has('contact') && <ContactDialog open={open === 'contact'} onClose={hide} />}
      </Suspense>
    </footer>
  );
}
