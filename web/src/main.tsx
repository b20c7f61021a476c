import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, preloadInitialRoute } from './App.js';
import './styles/app.css';
import { startServiceWorker } from './pwa/serviceWorker.js';
import { startPushRenewal } from './pwa/push.js';

import { startInboxWatch } from './dm/inboxWatch.js';

startServiceWorker();
startPushRenewal();
startInboxWatch();

void preloadInitialRoute(location.pathname).then(() =>
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  ),
);
