/**
 * The separate metrics listener (METRICS_PORT): only `GET /metrics`, on loopback unless
 * METRICS_HOST says otherwise, so a scraper can reach it without it being on the public port.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rawJsonError } from '../http/respond.js';
import { bearerOk, type RelayMetrics } from './metrics.js';

export class MetricsListener {
  private readonly server: Server;
  url = '';

  constructor(metrics: RelayMetrics, token: string | null) {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const json = (status: number, error: string) => {
        res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
        res.end(JSON.stringify({ error }));
      };
      if (path !== '/metrics') return json(404, 'not found');
      if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, 'method not allowed');
      if (!bearerOk(req, token)) return json(401, 'metrics: bearer token required');
      metrics.render().then(
        (out) => {
          res.writeHead(200, { 'Content-Type': out.contentType, 'Cache-Control': 'no-store' });
          res.end(req.method === 'HEAD' ? undefined : out.text);
        },
        () => json(500, 'internal error'),
      );
    });
    this.server.on('clientError', (_e, socket) => {
      if (socket.writable) socket.end(rawJsonError(400, 'malformed request'));
    });
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const a = this.server.address() as AddressInfo;
        this.url = `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
