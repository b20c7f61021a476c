import { onLinkClick } from '../router.js';
import { SiteHeader } from '../components/SiteHeader.js';

export function NotFound() {
  return (
    <div className="site">
      <SiteHeader />
      <main id="main" className="error-page">
        <h1>Page not found</h1>
        <p>There is nothing at this address.</p>
        <a className="btn btn-primary" href="/" onClick={onLinkClick}>
          Go home
        </a>
      </main>
    </div>
  );
}

export function ErrorPage({ title, message }: { title: string; message: string }) {
  return (
    <div className="site">
      <SiteHeader />
      <main id="main" className="error-page">
        <h1>{title}</h1>
        <p>{message}</p>
        <p className="muted">
          Ask whoever shared the room for the complete link: everything after the # is the key.
        </p>
        <a className="btn btn-primary" href="/" onClick={onLinkClick}>
          Go home
        </a>
      </main>
    </div>
  );
}
