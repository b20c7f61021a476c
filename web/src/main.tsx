import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, preloadInitialRoute } from './App.js';
import './styles/app.css';
import { startServiceWorker } from './pwa/serviceWorker.js';

import { startInboxWatch } from './dm/inboxWatch.js';

startServiceWorker();
startInboxWatch();

void preloadInitialRoute(location.pathname).then(() =>
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  ),
);
