import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, preloadInitialRoute } from './App.js';
import './styles/app.css';
import { startServiceWorker } from './pwa/serviceWorker.js';

startServiceWorker();

void preloadInitialRoute(location.pathname).then(() =>
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  ),
);
